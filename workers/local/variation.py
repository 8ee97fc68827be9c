"""What a seed changes: the variant of a picture. Two seeds never share a layout (the seed feeds
the drawing's randomness), and on top of that a variant shifts the scene's palette, the horizon
and, for edits, the tone of whatever the edit changed, so that two seeds differ visibly and
never byte for byte.

The variant's three numbers come from the seed by multiplicative (Weyl) hashing: consecutive
seeds, which are what `n` images use, land far apart on at least one of them (for seeds up to
nine apart, at least a fifth of the range), where a random draw could put two close together.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, replace

from PIL import Image, ImageChops

from workers.local.palette import RGB, _from_hsv
from workers.local.prompt import prompt_seed
from workers.local.scenes import _Scene

# The fractional parts of the golden ratio, of sqrt(3) and of sqrt(2) in 32-bit fixed point.
_STEPS = (0x9E3779B9, 0xBB67AE85, 0x6A09E667)


def _seed_of(prompt: str, seed: int | None) -> int:
    """The seed a picture is drawn with: the caller's, or one taken from the prompt."""
    return prompt_seed(prompt) if seed is None else int(seed)


@dataclass(frozen=True)
class _Variant:
    """Three numbers in [0, 1) that a seed sets: `tone` (hue), `shade` (light), `lift` (levels)."""

    tone: float
    shade: float
    lift: float

    @classmethod
    def of(cls, seed: int) -> _Variant:
        # seed 0 sits in the middle of every range: the plainest picture
        tone, shade, lift = ((seed * step + 2**31) % 2**32 / 2**32 for step in _STEPS)
        return cls(tone, shade, lift)


# --- renders ----------------------------------------------------------------------------------


def _vary_colour(colour: RGB, hue: float, light: float) -> RGB:
    """`colour` turned by `hue` (a fraction of the colour wheel) and brightened by `light`
    (-1..1: a share of the way to black or to white, so dark skies change too)."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in colour))
    v = v + (1 - v) * light * 0.35 if light > 0 else v * (1 + light * 0.25)
    return _from_hsv(h + hue, s, v)


def _vary_scene(scene: _Scene, variant: _Variant) -> _Scene:
    """The scene's sky and ground a little warmer or cooler, lighter or darker; the horizon a
    little higher or lower."""
    hue = (variant.tone - 0.5) * 0.1  # up to 18 degrees either way
    light = (variant.shade - 0.5) * 2  # -1..1
    sky = (_vary_colour(scene.sky[0], hue, light), _vary_colour(scene.sky[1], hue * 0.6, light))
    ground = _vary_colour(scene.ground, -hue * 0.5, -light * 0.6)
    horizon = scene.horizon
    if horizon < 1:
        horizon = min(0.8, max(0.5, horizon + (variant.lift - 0.5) * 0.08))
    return replace(scene, sky=sky, ground=ground, horizon=horizon)


def _vary_subject(colour: RGB, scale: float, variant: _Variant) -> tuple[RGB, float]:
    """A subject's colour a shade lighter or darker (a touch of hue too) and its size a few
    percent larger or smaller: even a lone subject on a clear background differs by seed."""
    colour = _vary_colour(colour, (variant.tone - 0.5) * 0.03, (variant.shade - 0.5) * 0.8)
    return colour, scale * (1 + (variant.lift - 0.5) * 0.08)


def _hue_shift(variant: _Variant) -> float:
    """How far an abstract composition's base hue turns (a fraction of the colour wheel)."""
    return (variant.tone - 0.5) * 0.1


# --- edits ------------------------------------------------------------------------------------


def _changed(original: Image.Image, result: Image.Image) -> Image.Image:
    """An "L" mask: 255 wherever any band of `result` differs from `original`."""
    bands = ImageChops.difference(original, result).split()
    spread = bands[0]
    for band in bands[1:]:
        spread = ImageChops.lighter(spread, band)
    return spread.point([0] + [255] * 255)


def _tone_curve(variant: _Variant) -> list[int]:
    """One lookup table for every colour band (so a grey picture stays grey): the variant's
    brightness (`shade`), contrast (`lift`) and gamma (`tone`), each a few percent either way."""
    gain, contrast, gamma = 0.92 + 0.16 * variant.shade, 0.9 + 0.2 * variant.lift, 0.94 + 0.12 * variant.tone
    return [max(0, min(255, round(255 * (0.5 + ((v / 255) ** gamma * gain - 0.5) * contrast)))) for v in range(256)]


def _is_grey(img: Image.Image) -> bool:
    red, green, blue = img.convert("RGB").split()
    return ImageChops.difference(red, green).getbbox() is None and ImageChops.difference(green, blue).getbbox() is None


def _grade_changes(original: Image.Image, result: Image.Image, variant: _Variant) -> Image.Image:
    """`result` with the variant's tone curve (and, in colour, a faint tint) on the pixels the
    edit changed; the pixels it left alone stay exactly as they were. Both images are RGBA."""
    changed = _changed(original, result)
    if changed.getbbox() is None:
        return result
    rgb = result.convert("RGB")
    graded = rgb.point(_tone_curve(variant) * 3)
    if not _is_grey(rgb):  # a grey result (black and white) stays grey
        graded = Image.blend(graded, Image.new("RGB", rgb.size, _from_hsv(variant.tone, 0.7, 0.9)), 0.06)
    graded = graded.convert("RGBA")
    graded.putalpha(result.getchannel("A"))
    out = Image.composite(graded, result, changed)
    if _changed(original, out).getbbox() is None:  # the curve undid the edit: keep the plain one
        return result
    out.info.update(result.info)
    return out
