"""Reading the prompt: seeds, tokens (multi-word names joined), the subject, place and light
vocabulary, and the parser that turns a prompt into a plan of what to draw."""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field

from workers.local.palette import _COLOURS, _TONE_MODIFIERS, RGB, _modify
from workers.local.subjects import _KINDS

# --- seeds ------------------------------------------------------------------------------------


def prompt_seed(prompt: str) -> int:
    """A stable 31-bit seed for a prompt (hashlib, so it survives PYTHONHASHSEED)."""
    return int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:4], "big") >> 1


def _rng(prompt: str, seed: int | None) -> random.Random:
    """Randomness for one picture; it mixes in the prompt so two prompts never share a layout."""
    key = f"{prompt}\x00{prompt_seed(prompt) if seed is None else seed}"
    return random.Random(int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big"))


# --- words ------------------------------------------------------------------------------------

_PHRASES = [  # multi-word names become one token before the prompt is split
    (r"watering\s+cans?", "wateringcan"),
    (r"(crescent|half|new)\s+moons?", "crescent"),
    (r"full\s+moon", "moon"),
    (r"sun\s+flowers?", "sunflower"),
    (r"hot\s*-?\s*air\s+balloons?", "balloon"),
    (r"black\s*(and|&|-)\s*white|b\s*&\s*w", "grayscale"),
    (r"upside\s*-?\s*down", "upsidedown"),
    (r"(counter|anti)\s*-?\s*clockwise", "counterclockwise"),
    (r"get\s+rid\s+of", "remove"),
    (r"snow\s+m[ae]n", "snowman"),
    (r"outer\s+space", "space"),
]
_NOUNS: dict[str, str] = {
    "robot": "robot",
    "bot": "robot",
    "android": "robot",
    "sunflower": "sunflower",
    "flower": "flower",
    "rose": "flower",
    "tulip": "flower",
    "daisy": "flower",
    "blossom": "flower",
    "sun": "sun",
    "moon": "moon",
    "crescent": "crescent",
    "star": "star",
    "tree": "tree",
    "oak": "tree",
    "house": "house",
    "home": "house",
    "cottage": "house",
    "cabin": "house",
    "hut": "house",
    "mountain": "mountain",
    "hill": "mountain",
    "peak": "mountain",
    "cloud": "cloud",
    "cat": "cat",
    "kitten": "cat",
    "kitty": "cat",
    "dog": "dog",
    "puppy": "dog",
    "car": "car",
    "boat": "boat",
    "ship": "boat",
    "sailboat": "boat",
    "yacht": "boat",
    "heart": "heart",
    "fish": "fish",
    "goldfish": "fish",
    "bird": "bird",
    "parrot": "bird",
    "robin": "bird",
    "wateringcan": "wateringcan",
    "rainbow": "rainbow",
    "balloon": "balloon",
    "butterfly": "butterfly",
    "planet": "planet",
    "snowman": "snowman",
}
_IRREGULAR_PLURALS = {
    "snowmen": "snowman",
    "puppies": "dog",
    "daisies": "flower",
    "butterflies": "butterfly",
    "fishes": "fish",
    "cloudy": "cloud",
    "starry": "star",
}
_SIZES = {
    "tiny": 0.45,
    "little": 0.65,
    "small": 0.65,
    "large": 1.3,
    "big": 1.3,
    "huge": 1.55,
    "giant": 1.55,
    "enormous": 1.55,
}
_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "pair": 2,
    "couple": 2,
    "few": 3,
    "several": 4,
    "many": 6,
}
_PLACES = {
    "meadow": "meadow",
    "field": "meadow",
    "grass": "meadow",
    "park": "garden",
    "garden": "garden",
    "sea": "sea",
    "ocean": "sea",
    "lake": "sea",
    "water": "sea",
    "underwater": "sea",
    "beach": "beach",
    "shore": "beach",
    "coast": "beach",
    "island": "beach",
    "desert": "desert",
    "dunes": "desert",
    "forest": "forest",
    "woods": "forest",
    "jungle": "forest",
    "snow": "snow",
    "snowy": "snow",
    "winter": "snow",
    "arctic": "snow",
    "space": "space",
    "galaxy": "space",
    "cosmos": "space",
    "city": "city",
    "town": "city",
    "street": "city",
    "skyline": "city",
    "downtown": "city",
}
_LIGHTS = {
    "sunny": "sunny",
    "sunshine": "sunny",
    "day": "day",
    "daytime": "day",
    "night": "night",
    "nighttime": "night",
    "midnight": "night",
    "starry": "night",
    "sunset": "sunset",
    "sunrise": "sunset",
    "dusk": "sunset",
    "dawn": "sunset",
    "evening": "sunset",
}
_SKY_WORDS = {"sky", "background", "backdrop"}
_GROUND_WORDS = {"ground", "grass", "field", "meadow", "lawn", "sea", "ocean", "water", "sand", "snow", "floor"}
_LOCATIONS = {
    "sky": "sky",
    "top": "sky",
    "above": "sky",
    "upper": "sky",
    "overhead": "sky",
    "ground": "ground",
    "bottom": "ground",
    "below": "ground",
    "lower": "ground",
    "floor": "ground",
    "left": "left",
    "right": "right",
    "centre": "center",
    "center": "center",
    "middle": "center",
}
# Words that end a noun phrase: a colour never reaches across them to a later subject.
_BREAKS = {
    ",",
    ".",
    ";",
    "!",
    "?",
    "&",
    "and",
    "with",
    "next",
    "beside",
    "near",
    "under",
    "above",
    "below",
    "behind",
    "in",
    "on",
    "at",
    "holding",
    "by",
    "over",
    "while",
    "then",
    "plus",
    "also",
    "of",
    "to",
}


def _tokens(prompt: str) -> list[str]:
    """Lower-case words and punctuation, with known multi-word names joined into one token."""
    text = prompt.lower()
    for pattern, replacement in _PHRASES:
        text = re.sub(rf"\b(?:{pattern})\b", replacement, text)
    return re.findall(r"[a-z0-9]+|[,.;!?&]", text)


def _lookup_noun(word: str) -> tuple[str, bool] | None:
    """(kind, is_plural) for a subject noun, or None."""
    if word in _NOUNS:
        return _NOUNS[word], False
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word], True
    for suffix, stem_end in (("ies", "y"), ("es", ""), ("s", "")):
        stem = word[: -len(suffix)] + stem_end
        if word.endswith(suffix) and stem in _NOUNS:
            return _NOUNS[stem], True
    return None


def _count_word(word: str) -> int | None:
    if word.isdigit() and 0 < int(word) <= 12:
        return int(word)
    return _NUMBERS.get(word)


@dataclass
class _Subject:
    kind: str
    colour: RGB | None = None  # None: the kind's default
    scale: float = 1.0
    count: int = 1


@dataclass
class _Plan:
    """What a prompt asks for, as far as this engine understands it."""

    subjects: list[_Subject] = field(default_factory=list)
    place: str | None = None
    lighting: str | None = None
    sky_colour: RGB | None = None
    ground_colour: RGB | None = None
    loose_colours: list[RGB] = field(default_factory=list)  # colours that qualify no subject
    locations: set[str] = field(default_factory=set)

    @property
    def is_abstract(self) -> bool:
        return not (self.subjects or self.place or self.lighting or self.sky_colour or self.ground_colour)


class _Parser:
    """Reads tokens left to right: colour, size and count words qualify the next subject noun."""

    def __init__(self) -> None:
        self.plan = _Plan()
        self._target: _Subject | str | None = None  # what a colour at the end of the phrase would qualify
        self._reset()

    def _reset(self) -> None:
        self.colour: RGB | None = None
        self.modifier: str | None = None
        self.scale = 1.0
        self.count: int | None = None

    def parse(self, tokens: list[str]) -> _Plan:
        for i, token in enumerate(tokens):
            self._feed(token, tokens[i + 1] if i + 1 < len(tokens) else "")
        self._close_phrase()
        return self.plan

    def _feed(self, token: str, following: str) -> None:
        """One token; `following` is the next one (to tell "dark blue" from "make it dark")."""
        if token in _LOCATIONS:
            self.plan.locations.add(_LOCATIONS[token])
        if token in _BREAKS:
            self._close_phrase()
        elif token in _TONE_MODIFIERS and following in _COLOURS:
            self.modifier = token
        elif token in _COLOURS:
            self.colour, self.modifier = _modify(_COLOURS[token], self.modifier), None
        elif token in _SIZES:
            self.scale = _SIZES[token]
        elif (count := _count_word(token)) is not None:
            self.count = count
        elif (noun := _lookup_noun(token)) is not None:
            self._add_subject(*noun)
        else:
            self._note_scene_word(token)

    def _add_subject(self, kind: str, plural: bool) -> None:
        """A subject noun takes the pending colour, size and count; plurals without a count get a few."""
        default = 9 if kind == "star" else 3 if _KINDS[kind].zone == "sky" else 2
        count = self.count or (default if plural else 1)
        if _KINDS[kind].zone == "backdrop":
            count = 1  # one mountain range, one rainbow
        subject = _Subject(kind, self.colour, self.scale, min(count, 12 if kind == "star" else 6))
        self.plan.subjects.append(subject)
        self._target = subject if subject.colour is None else None
        self._reset()

    def _note_scene_word(self, token: str) -> None:
        part = "sky" if token in _SKY_WORDS else "ground" if token in _GROUND_WORDS else None
        if part and self.colour:  # "a blue sky": the colour is used up here
            self._colour_part(part, self.colour)
            self.colour, self._target = None, None
        elif part:  # "the sky ... blue": a colour at the phrase's end comes back to it
            self._target = part
        if token in _PLACES and self.plan.place is None:
            self.plan.place = _PLACES[token]
        if token in _LIGHTS and self.plan.lighting is None:
            self.plan.lighting = _LIGHTS[token]

    def _colour_part(self, part: str, colour: RGB) -> None:
        if part == "sky":
            self.plan.sky_colour = colour
        else:
            self.plan.ground_colour = colour

    def _close_phrase(self) -> None:
        """A colour left over at the end of a phrase ("a robot painted red") goes to its subject."""
        if self.colour is not None:
            if isinstance(self._target, _Subject):
                self._target.colour = self.colour
            elif self._target is not None:
                self._colour_part(self._target, self.colour)
            else:
                self.plan.loose_colours.append(self.colour)
        self._target = None
        self._reset()


def _parse(prompt: str) -> _Plan:
    """What the prompt asks for (see _Parser)."""
    return _Parser().parse(_tokens(prompt))
