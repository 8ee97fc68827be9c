"""Abstract compositions, for prompts with nothing recognisable: a gradient and flat shapes."""

from __future__ import annotations

import colorsys
import random

from PIL import Image, ImageDraw

from workers.local.canvas import _downsample, _supersampled
from workers.local.palette import RGB, _from_hsv
from workers.local.prompt import _Plan
from workers.local.scenes import _vertical_gradient


def _abstract_palette(plan: _Plan, rng: random.Random, hue_shift: float = 0.0) -> list[RGB]:
    """Two background tones and five accents around one hue (the prompt's colour, if any,
    turned by `hue_shift`)."""
    base = colorsys.rgb_to_hsv(*(c / 255 for c in plan.loose_colours[0]))[0] if plan.loose_colours else rng.random()
    base += hue_shift
    return [
        _from_hsv(base, 0.18, 0.97),
        _from_hsv(base + 0.08, 0.35, 0.85),
        _from_hsv(base + 0.5, 0.7, 0.85),
        _from_hsv(base + 0.1, 0.75, 0.95),
        _from_hsv(base - 0.08, 0.6, 0.7),
        _from_hsv(base, 0.8, 0.35),
        _from_hsv(base + 0.58, 0.35, 0.98),
    ]


def _abstract_shape(draw: ImageDraw.ImageDraw, size: tuple[int, int], colour: RGB, rng: random.Random) -> None:
    """One flat shape: disc, ring, half-disc, block, triangle or band."""
    w, h = size
    x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.06, 0.3) * min(w, h)
    box = (x - r, y - r, x + r, y + r)
    shape = rng.randrange(6)
    if shape == 0:
        draw.ellipse(box, fill=colour)
    elif shape == 1:
        draw.ellipse(box, outline=colour, width=max(2, round(r * 0.25)))
    elif shape == 2:
        start = rng.choice((0, 90, 180, 270))
        draw.pieslice(box, start, start + 180, fill=colour)
    elif shape == 3:
        draw.rounded_rectangle((x - r, y - r * 0.6, x + r, y + r * 0.6), radius=r * 0.2, fill=colour)
    elif shape == 4:
        draw.polygon([(x, y - r), (x + r, y + r * 0.8), (x - r, y + r * 0.8)], fill=colour)
    else:
        draw.line([(x - r * 2, y + r), (x + r * 2, y - r)], fill=colour, width=max(2, round(r * 0.3)))


def _paint_abstract(
    plan: _Plan, size: tuple[int, int], rng: random.Random, hue_shift: float = 0.0
) -> tuple[Image.Image, Image.Image]:
    """A gradient and a dozen flat shapes, all chosen by the prompt's own randomness."""
    palette = _abstract_palette(plan, rng, hue_shift)
    backdrop = _vertical_gradient(size, palette[0], palette[1])
    big = _supersampled(size)
    draw = ImageDraw.Draw(big)
    for _ in range(rng.randint(8, 13)):
        _abstract_shape(draw, big.size, rng.choice(palette[2:]), rng)
    return backdrop, _downsample(big)
