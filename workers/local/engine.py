"""The engine's two entry points, `render` (a prompt to a picture) and `edit` (an edit prompt
applied to a picture), and the blurred preview an adapter shows while a slow render waits."""

from __future__ import annotations

import random

from PIL import Image, ImageChops, ImageFilter, ImageStat

from workers.local.abstract import _paint_abstract
from workers.local.canvas import LAYOUT_KEY, _layout, _scaled_layout
from workers.local.edits import _add_subjects, _apply_colours, _apply_filters, _colour_balance, _remove_subject
from workers.local.masked import _checked_mask, _edit_inside
from workers.local.palette import _from_hsv
from workers.local.placement import _paint_subjects
from workers.local.prompt import _parse, _Parser, _rng, _tokens, prompt_seed
from workers.local.reference import _tint_towards
from workers.local.scenes import _paint_backdrop, _resolve_scene
from workers.local.sizes import MIN_SIDE
from workers.local.subjects import _stamp
from workers.local.variation import _grade_changes, _hue_shift, _seed_of, _Variant, _vary_scene

# --- render -----------------------------------------------------------------------------------


def render(
    prompt: str,
    *,
    width: int,
    height: int,
    seed: int | None = None,
    transparent: bool = False,
    reference: Image.Image | None = None,
) -> Image.Image:
    """Draws `prompt` as an RGBA width×height picture; equal arguments give equal pixels, and
    two seeds give visibly different pictures (see `variation`).

    With `transparent`, only the named subjects are returned on a clear background (the whole
    scene if the prompt names none). A `reference` image lends the picture its palette a little.
    """
    size = (max(1, int(width)), max(1, int(height)))
    canvas = (max(MIN_SIDE, size[0]), max(MIN_SIDE, size[1]))  # tiny sizes are drawn larger, then shrunk
    plan = _parse(prompt)
    rng = _rng(prompt, seed)
    variant = _Variant.of(_seed_of(prompt, seed))
    if plan.is_abstract:
        backdrop, layer = _paint_abstract(plan, canvas, rng, hue_shift=_hue_shift(variant))
    else:
        scene = _vary_scene(_resolve_scene(plan), variant)
        backdrop = _paint_backdrop(plan, scene, canvas, rng)
        layer = Image.new("RGBA", canvas, (0, 0, 0, 0))
        _paint_subjects(layer, plan, scene, rng, variant)
    layout = _layout(backdrop) + _layout(layer)
    if transparent and layer.getbbox():
        picture = layer
    else:
        backdrop.alpha_composite(layer)
        picture = backdrop
    if reference is not None:
        picture = _tint_towards(picture, reference)
    if canvas != size:
        picture = picture.resize(size, Image.Resampling.LANCZOS)
        layout = _scaled_layout(layout, size[0] / canvas[0], size[1] / canvas[1])
    picture.info[LAYOUT_KEY] = layout
    return picture


# --- clauses and the public edit ------------------------------------------------------------

_ADD_VERBS = {"add", "put", "place", "insert", "include", "draw", "give", "sprinkle"}
_REMOVE_VERBS = {"remove", "erase", "delete", "without", "rid"}
_CHANGE_VERBS = {"make", "turn", "change", "paint", "colour", "color", "recolour", "recolor", "set", "convert"}
_CLAUSE_BREAKS = {"and", ",", ";", ".", "!", "?", "then", "also", "plus"}


def _clauses(tokens: list[str]) -> list[tuple[str, list[str]]]:
    """Splits an edit prompt into (verb, words) clauses; a clause without a verb inherits one."""
    clauses: list[tuple[str, list[str]]] = []
    words: list[str] = []
    verb = "change"
    for token in [*tokens, "."]:
        if token not in _CLAUSE_BREAKS:
            words.append(token)
            continue
        if words:
            verb = next((_verb_of(w) for w in words if _verb_of(w)), verb)
            clauses.append((verb, words))
        words = []
    return clauses


def _verb_of(word: str) -> str | None:
    if word in _ADD_VERBS:
        return "add"
    if word in _REMOVE_VERBS:
        return "remove"
    return "change" if word in _CHANGE_VERBS else None


def _apply_clause(
    img: Image.Image, verb: str, words: list[str], rng: random.Random, area: Image.Image | None = None
) -> Image.Image:
    """One clause: its filters first, then its addition (inside `area`, if given), removal or
    colour change."""
    plan = _Parser().parse(words)
    img = _apply_filters(img, words)
    if verb == "add" and plan.subjects:
        return _add_subjects(img, plan, rng, area)
    if verb == "remove":
        return _remove_subject(img)
    return _apply_colours(img, plan)


def _differs(a: Image.Image, b: Image.Image) -> bool:
    # alpha_only=False: by default getbbox() of an RGBA image only looks at alpha
    return ImageChops.difference(a, b).getbbox(alpha_only=False) is not None


def _gentle_change(img: Image.Image, prompt: str, rng: random.Random) -> Image.Image:
    """When nothing in the prompt was understood: a faint prompt-coloured tint and a small mark."""
    colour = _from_hsv(prompt_seed(prompt) / 2**31, 0.55, 1.0)
    out = _colour_balance(colour, 0.08)(img, [])
    w, h = out.size
    side = max(6, min(w, h) // 18)
    x, y = w - side - max(2, w // 40), h - side - max(2, h // 40)
    corner = ImageStat.Stat(out.convert("RGB").crop((x, y, x + side, y + side))).mean
    mark = tuple(255 - round(v) for v in corner)  # the opposite of what is there, so it always shows
    _stamp(out, "star", mark, (x + rng.randint(-1, 1), y, side, side))  # type: ignore[arg-type]
    return out


def _edit_whole(
    original: Image.Image,
    prompt: str,
    seed: int | None,
    reference: Image.Image | None,
    area: Image.Image | None = None,
) -> Image.Image:
    """The edit prompt applied to all of `original` (RGBA): clauses, reference palette, the
    seed's grade of what changed. Never identical to `original`. Additions go inside `area`
    (an "L" mask of the same size) when it is given."""
    rng = _rng(prompt, seed)
    result = original
    for verb, words in _clauses(_tokens(prompt)):
        result = _apply_clause(result, verb, words, rng, area)
    if result.size != original.size:
        result = result.resize(original.size, Image.Resampling.BICUBIC)
    if reference is not None:
        result = _tint_towards(result, reference)
    if not _differs(result, original):
        result = _gentle_change(result, prompt, rng)
    return _grade_changes(original, result, _Variant.of(_seed_of(prompt, seed)))


def edit(
    image: Image.Image,
    prompt: str,
    *,
    seed: int | None = None,
    mask: Image.Image | None = None,
    reference: Image.Image | None = None,
) -> Image.Image:
    """Applies an edit prompt to `image`; same size, never identical to the input. Equal
    arguments give equal pixels; two seeds give different results.

    Understands colour changes ("make the robot blue"), additions ("add a small crescent moon
    in the sky"), removals and whole-image filters (darker, night, black and white, blur,
    mirror, rotate...). Returns RGBA if the input had transparency, else RGB.

    `mask` (an "L" image of the same size; 255 may change, 0 must not, values between change
    partly) confines the edit to the mask's area: pixels where it is 0 come back unchanged.
    ValueError if it is another size or has no non-zero pixel. A `reference` image lends the
    result its palette a little (inside the mask, if there is one).
    """
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    original = image.convert("RGBA")
    checked = None if mask is None else _checked_mask(mask, original.size)

    def change(picture: Image.Image, area: Image.Image | None = None) -> Image.Image:
        return _edit_whole(picture, prompt, seed, reference, area)

    if checked is None:
        result = change(original)
    else:
        result = _edit_inside(original, checked, change, _Variant.of(_seed_of(prompt, seed)))
    return result if has_alpha else result.convert("RGB")


# --- previews ---------------------------------------------------------------------------------


def preview_of(image: Image.Image) -> Image.Image:
    """A coarse, blurred stand-in for a partial image."""
    small = image.convert("RGB").resize((max(1, image.width // 16), max(1, image.height // 16)))
    return small.resize((min(256, image.width), min(256, image.height))).filter(ImageFilter.GaussianBlur(2))
