"""An offline, deterministic image engine for local development (the "local" image provider).

It draws recognisable cartoon pictures with Pillow primitives only: a scene (sky gradient and
ground) chosen by words like "night" or "beach", a small vocabulary of subjects ("robot",
"sunflower", "crescent moon", ...) coloured by the colour words that qualify them and laid out
side by side, and an abstract composition when nothing in the prompt is recognised. Edits
recolour the main subject, add subjects or apply simple transforms. The same prompt, size and
seed always give the same pixels. No network, no Django, no model weights.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import json
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps, ImageStat, PngImagePlugin

from workers.providers.base import ImagePreview, ImageRequest, ImageResult, InputImage, ProviderError

__all__ = ["LocalImages", "edit", "prompt_seed", "render"]

RGB = tuple[int, int, int]

SUPERSAMPLE = 2  # subjects are drawn at 2x and box-filtered down: cheap anti-aliasing
MAX_SIDE = 2048  # keeps every render well under a second even for "4K" requests
MIN_SIDE = 64
DEFAULT_SIDE = 1024

# --------------------------------------------------------------------------------------------
# Colours
# --------------------------------------------------------------------------------------------

_COLOURS: dict[str, RGB] = {
    "red": (220, 45, 45),
    "crimson": (190, 25, 55),
    "maroon": (128, 30, 40),
    "orange": (245, 140, 30),
    "yellow": (250, 215, 50),
    "gold": (230, 180, 40),
    "golden": (230, 180, 40),
    "green": (60, 170, 70),
    "lime": (150, 220, 60),
    "olive": (120, 130, 50),
    "teal": (30, 150, 150),
    "cyan": (40, 200, 220),
    "turquoise": (60, 210, 200),
    "blue": (45, 105, 225),
    "navy": (30, 45, 120),
    "indigo": (75, 60, 170),
    "purple": (140, 70, 190),
    "violet": (150, 90, 220),
    "lavender": (185, 160, 230),
    "magenta": (220, 50, 180),
    "pink": (245, 130, 180),
    "brown": (140, 90, 50),
    "beige": (225, 205, 170),
    "black": (35, 35, 40),
    "white": (245, 245, 245),
    "gray": (140, 140, 145),
    "grey": (140, 140, 145),
    "silver": (195, 200, 210),
}
_TONE_MODIFIERS = {"dark": 0.4, "deep": 0.35, "light": -0.45, "pale": -0.5, "pastel": -0.45}


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    """The colour a fraction `t` of the way from `a` to `b`."""
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _darker(colour: RGB, t: float) -> RGB:
    return _mix(colour, (0, 0, 0), t)


def _lighter(colour: RGB, t: float) -> RGB:
    return _mix(colour, (255, 255, 255), t)


def _modify(colour: RGB, modifier: str | None) -> RGB:
    """Applies "dark"/"light"-style words: positive amounts darken, negative ones lighten."""
    amount = _TONE_MODIFIERS.get(modifier or "", 0.0)
    return _darker(colour, amount) if amount >= 0 else _lighter(colour, -amount)


def _hsv255(colour: RGB) -> tuple[int, int, int]:
    """The colour in Pillow's HSV mode scale (every band 0-255)."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in colour))
    return round(h * 255) % 256, round(s * 255), round(v * 255)


def _from_hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


# --------------------------------------------------------------------------------------------
# Seeds
# --------------------------------------------------------------------------------------------


def prompt_seed(prompt: str) -> int:
    """A stable 31-bit seed for a prompt (hashlib, so it survives PYTHONHASHSEED)."""
    return int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:4], "big") >> 1


def _rng(prompt: str, seed: int | None) -> random.Random:
    """Randomness for one picture; it mixes in the prompt so two prompts never share a layout."""
    key = f"{prompt}\x00{prompt_seed(prompt) if seed is None else seed}"
    return random.Random(int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big"))


# --------------------------------------------------------------------------------------------
# Drawing on subject tiles
# --------------------------------------------------------------------------------------------


class _Pen:
    """Draws on a tile in fractional coordinates (0..1 of its width and height), with outlines."""

    def __init__(self, tile: Image.Image) -> None:
        self.draw = ImageDraw.Draw(tile)
        self.w, self.h = tile.size
        self.stroke = max(1, round(min(self.w, self.h) * 0.022))

    def xy(self, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x * self.w, y * self.h) for x, y in points]

    def _box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        x0, x1 = sorted((x0, x1))  # callers may mirror a shape by flipping the sign of its width
        y0, y1 = sorted((y0, y1))
        return [x0 * self.w, y0 * self.h, x1 * self.w, y1 * self.h]

    def _edge(self, fill: tuple[int, ...], outline: bool) -> tuple[RGB | None, int]:
        return (_darker(fill[:3], 0.5), self.stroke) if outline else (None, 0)  # type: ignore[arg-type]

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, fill: tuple[int, ...], outline: bool = True) -> None:
        edge, width = self._edge(fill, outline)
        self.draw.ellipse(self._box(x0, y0, x1, y1), fill=fill, outline=edge, width=width)

    def circle(self, cx: float, cy: float, r: float, fill: tuple[int, ...], outline: bool = True) -> None:
        """A true circle centred at (cx, cy); `r` is a fraction of the tile width."""
        rx, ry = r, r * self.w / self.h
        self.ellipse(cx - rx, cy - ry, cx + rx, cy + ry, fill, outline)

    def rect(
        self, x0: float, y0: float, x1: float, y1: float, fill: RGB, radius: float = 0.0, outline: bool = True
    ) -> None:
        edge, width = self._edge(fill, outline)
        box = self._box(x0, y0, x1, y1)
        # Pillow rejects a radius larger than half the box, which happens on tiny tiles
        radius_px = min(radius * min(self.w, self.h), (box[2] - box[0]) / 2 - 1, (box[3] - box[1]) / 2 - 1)
        if radius_px >= 1:
            self.draw.rounded_rectangle(box, radius=radius_px, fill=fill, outline=edge, width=width)
        else:
            self.draw.rectangle(box, fill=fill, outline=edge, width=width)

    def poly(self, points: list[tuple[float, float]], fill: RGB, outline: bool = True) -> None:
        edge, width = self._edge(fill, outline)
        self.draw.polygon(self.xy(points), fill=fill, outline=edge, width=width)

    def line(self, points: list[tuple[float, float]], fill: RGB, width: float) -> None:
        """A polyline; `width` is a fraction of the tile's shorter side."""
        self.draw.line(self.xy(points), fill=fill, width=max(1, round(width * min(self.w, self.h))), joint="curve")

    def arc(self, box: tuple[float, float, float, float], start: float, end: float, fill: RGB, width: float) -> None:
        self.draw.arc(self._box(*box), start, end, fill=fill, width=max(1, round(width * min(self.w, self.h))))

    def blob(self, boxes: list[tuple[float, float, float, float]], fill: RGB) -> None:
        """A union of ellipses with one outline around the whole shape (clouds, tree tops)."""
        grow_x, grow_y = self.stroke / self.w, self.stroke / self.h
        for x0, y0, x1, y1 in boxes:  # outline colour first, slightly larger, then the fills
            self.ellipse(x0 - grow_x, y0 - grow_y, x1 + grow_x, y1 + grow_y, _darker(fill, 0.5), outline=False)
        for box in boxes:
            self.ellipse(*box, fill, outline=False)

    def petals(
        self, cx: float, cy: float, radii: tuple[float, float], count: int, fill: RGB, phase: float = 0.0
    ) -> None:
        """Pointed petals or rays around (cx, cy); radii are fractions of the tile width."""
        inner, outer = radii[0] * self.w, radii[1] * self.w
        middle = (inner + outer) / 2
        ox, oy = cx * self.w, cy * self.h
        spread = math.pi / count * 0.9
        for k in range(count):
            a = phase + 2 * math.pi * k / count
            polar = [(inner, -1.0), (middle, -0.8), (outer, 0.0), (middle, 0.8), (inner, 1.0)]  # (radius, side)
            xy = [(ox + r * math.cos(a + side * spread), oy + r * math.sin(a + side * spread)) for r, side in polar]
            self.draw.polygon(xy, fill=fill, outline=_darker(fill, 0.4), width=max(1, self.stroke // 2))


# --- the subjects -----------------------------------------------------------------------------

_WHITE: RGB = (255, 255, 255)
_INK: RGB = (35, 35, 45)


def _draw_robot(p: _Pen, c: RGB) -> None:
    dark, light = _darker(c, 0.35), _lighter(c, 0.35)
    p.line([(0.5, 0.03), (0.5, 0.1)], dark, 0.025)  # antenna
    p.circle(0.5, 0.035, 0.045, (240, 70, 60))
    for x in (0.06, 0.82):  # arms and hands sit behind the body
        p.rect(x, 0.38, x + 0.12, 0.64, c, radius=0.04)
        p.circle(x + 0.06, 0.67, 0.065, dark)
    for x in (0.29, 0.56):  # legs and feet
        p.rect(x, 0.7, x + 0.15, 0.92, dark)
        p.rect(x - 0.04, 0.9, x + 0.19, 0.985, dark, radius=0.02)
    p.rect(0.44, 0.3, 0.56, 0.37, dark)  # neck
    p.rect(0.2, 0.35, 0.8, 0.72, c, radius=0.05)  # body
    p.rect(0.32, 0.42, 0.68, 0.63, light, radius=0.03)  # chest panel with buttons
    for i, button in enumerate(((240, 70, 60), (250, 200, 50), (70, 200, 110))):
        p.circle(0.4 + 0.1 * i, 0.525, 0.035, button)
    p.rect(0.26, 0.08, 0.74, 0.32, c, radius=0.06)  # head
    for x in (0.39, 0.61):
        p.circle(x, 0.185, 0.075, (220, 245, 255))
        p.circle(x, 0.185, 0.035, _INK, outline=False)
    p.rect(0.38, 0.255, 0.62, 0.285, dark)  # mouth grille


_LEAF: RGB = (45, 125, 40)  # darker than any lawn, so stems stand out on grass


def _leaf(p: _Pen, base: tuple[float, float], length: float, fill: RGB) -> None:
    """A pointed leaf from `base`, `length` (signed fraction of the width) to the side."""
    x, y = base
    steps = [k / 8 for k in range(9)]  # a lens between two sine bulges, tilted upwards
    upper = [(x + length * t, y - 0.07 * t - 0.045 * math.sin(math.pi * t)) for t in steps]
    lower = [(x + length * t, y - 0.07 * t + 0.03 * math.sin(math.pi * t)) for t in reversed(steps)]
    p.poly(upper + lower, fill)


def _draw_sunflower(p: _Pen, c: RGB) -> None:
    p.line([(0.5, 0.42), (0.5, 1.0)], _LEAF, 0.07)  # stem and leaves
    _leaf(p, (0.5, 0.7), -0.4, _LEAF)
    _leaf(p, (0.5, 0.82), 0.4, _LEAF)
    cy = 0.5 * p.w / p.h  # head centred half a width below the top
    p.petals(0.5, cy, (0.14, 0.5), 14, _darker(c, 0.15), phase=math.pi / 14)
    p.petals(0.5, cy, (0.14, 0.46), 14, c)
    p.circle(0.5, cy, 0.2, (110, 70, 30))
    for k in range(8):  # seeds in the disc
        a = 2 * math.pi * k / 8
        p.circle(0.5 + 0.1 * math.cos(a), cy + 0.1 * math.sin(a) * p.w / p.h, 0.025, (70, 45, 20), outline=False)


def _draw_flower(p: _Pen, c: RGB) -> None:
    p.line([(0.5, 0.35), (0.5, 1.0)], _LEAF, 0.06)
    _leaf(p, (0.5, 0.74), 0.4, _LEAF)
    cy = 0.5 * p.w / p.h
    for k in range(6):
        a = 2 * math.pi * k / 6
        p.circle(0.5 + 0.24 * math.cos(a), cy + 0.24 * math.sin(a) * p.w / p.h, 0.17, c)
    p.circle(0.5, cy, 0.16, (250, 200, 40) if _hsv255(c)[0] > 30 else (250, 245, 220))


def _draw_sun(p: _Pen, c: RGB) -> None:
    p.petals(0.5, 0.5, (0.32, 0.49), 12, _mix(c, (255, 140, 0), 0.35))
    p.circle(0.5, 0.5, 0.3, c)
    p.circle(0.42, 0.42, 0.08, _lighter(c, 0.5), outline=False)  # a glint


def _draw_moon(p: _Pen, c: RGB) -> None:
    p.circle(0.5, 0.5, 0.45, c)
    for cx, cy, r in ((0.36, 0.38, 0.09), (0.62, 0.6, 0.12), (0.58, 0.3, 0.05)):
        p.circle(cx, cy, r, _darker(c, 0.12))


def _draw_crescent(p: _Pen, c: RGB) -> None:
    p.circle(0.5, 0.5, 0.45, c)
    p.circle(0.7, 0.38, 0.4, (0, 0, 0, 0), outline=False)  # erase a disc to leave the crescent


def _draw_star(p: _Pen, c: RGB) -> None:
    points = []
    for k in range(10):
        r = 0.48 if k % 2 == 0 else 0.2
        a = -math.pi / 2 + math.pi * k / 5
        points.append((0.5 + r * math.cos(a), 0.53 + r * math.sin(a)))
    p.poly(points, c)


def _draw_tree(p: _Pen, c: RGB) -> None:
    p.rect(0.42, 0.5, 0.58, 1.0, (120, 80, 45))
    p.blob([(0.05, 0.25, 0.55, 0.65), (0.45, 0.25, 0.95, 0.65), (0.2, 0.0, 0.8, 0.45), (0.25, 0.35, 0.75, 0.7)], c)
    for cx, cy in ((0.35, 0.2), (0.62, 0.4), (0.3, 0.48)):
        p.circle(cx, cy, 0.05, _lighter(c, 0.25), outline=False)


def _draw_house(p: _Pen, c: RGB) -> None:
    roof = (180, 60, 50)
    p.rect(0.68, 0.08, 0.8, 0.35, (150, 70, 60))  # chimney, behind the roof
    p.rect(0.12, 0.42, 0.88, 0.99, c)
    p.poly([(0.03, 0.46), (0.5, 0.04), (0.97, 0.46)], roof)
    p.rect(0.42, 0.66, 0.58, 0.99, (120, 75, 40))  # door and knob
    p.circle(0.55, 0.83, 0.015, (240, 200, 60), outline=False)
    for x in (0.2, 0.66):
        p.rect(x, 0.55, x + 0.14, 0.72, (170, 215, 245))
        p.line([(x + 0.07, 0.55), (x + 0.07, 0.72)], _darker(c, 0.5), 0.015)
        p.line([(x, 0.635), (x + 0.14, 0.635)], _darker(c, 0.5), 0.015)


def _draw_mountains(p: _Pen, c: RGB) -> None:
    peaks = [(0.0, 0.6), (0.2, 0.25), (0.36, 0.55), (0.55, 0.0), (0.72, 0.45), (0.86, 0.18), (1.0, 0.55)]
    p.poly([(0.0, 1.0), *peaks, (1.0, 1.0)], c)
    for i in (1, 3, 5):
        (lx, ly), (px, py), (rx, ry) = peaks[i - 1], peaks[i], peaks[i + 1]
        p.poly([(px, py), (rx, ry), (rx, 1.0), (px, 1.0)], _darker(c, 0.18), outline=False)  # shaded side
        t = 0.28
        cap = [
            (px + (lx - px) * t, py + (ly - py) * t),
            (px, py),
            (px + (rx - px) * t, py + (ry - py) * t),
            (px + (rx - px) * t * 0.5, py + (ry - py) * t * 0.7),
            (px, py + (1 - py) * 0.12),
        ]
        p.poly(cap, (248, 250, 255), outline=False)


def _draw_cloud(p: _Pen, c: RGB) -> None:
    puffs = [(0.05, 0.45, 0.45, 0.95), (0.25, 0.15, 0.65, 0.85), (0.5, 0.3, 0.8, 0.9), (0.6, 0.5, 0.95, 0.95)]
    p.blob([*puffs, (0.2, 0.55, 0.85, 0.97)], c)


def _draw_cat(p: _Pen, c: RGB) -> None:
    light, pink = _lighter(c, 0.45), (240, 150, 160)
    p.line([(0.72, 0.95), (0.9, 0.88), (0.95, 0.65), (0.86, 0.5)], c, 0.08)  # tail
    p.ellipse(0.18, 0.42, 0.82, 1.0, c)  # body and belly
    p.ellipse(0.36, 0.6, 0.64, 0.97, light, outline=False)
    for sign in (-1, 1):  # pointed ears with pink insides
        p.poly([(0.5 + sign * 0.24, 0.24), (0.5 + sign * 0.23, 0.0), (0.5 + sign * 0.06, 0.12)], c)
        p.poly([(0.5 + sign * 0.21, 0.18), (0.5 + sign * 0.21, 0.06), (0.5 + sign * 0.11, 0.12)], pink, outline=False)
    p.ellipse(0.22, 0.06, 0.78, 0.5, c)  # head
    for x in (0.38, 0.62):
        p.ellipse(x - 0.06, 0.2, x + 0.06, 0.31, (130, 200, 80))
        p.ellipse(x - 0.015, 0.205, x + 0.015, 0.305, _INK, outline=False)
    p.poly([(0.47, 0.33), (0.53, 0.33), (0.5, 0.37)], pink)
    for sign in (-1, 1):  # whiskers
        p.line([(0.5 + sign * 0.1, 0.37), (0.5 + sign * 0.36, 0.33)], _INK, 0.01)
        p.line([(0.5 + sign * 0.1, 0.39), (0.5 + sign * 0.36, 0.42)], _INK, 0.01)
    for x in (0.3, 0.55):
        p.ellipse(x, 0.9, x + 0.15, 0.99, light)


def _draw_dog(p: _Pen, c: RGB) -> None:
    dark, light = _darker(c, 0.35), _lighter(c, 0.45)
    p.ellipse(0.2, 0.45, 0.8, 1.0, c)  # body and chest
    p.ellipse(0.36, 0.55, 0.64, 0.95, light, outline=False)
    p.ellipse(0.25, 0.05, 0.75, 0.5, c)  # head
    p.ellipse(0.13, 0.08, 0.32, 0.42, dark)  # floppy ears
    p.ellipse(0.68, 0.08, 0.87, 0.42, dark)
    p.ellipse(0.37, 0.27, 0.63, 0.46, light)  # snout, nose, tongue
    p.ellipse(0.44, 0.27, 0.56, 0.34, _INK)
    p.ellipse(0.46, 0.41, 0.54, 0.5, (235, 110, 130))
    for x in (0.39, 0.61):
        p.circle(x, 0.2, 0.04, _INK, outline=False)
        p.circle(x + 0.012, 0.19, 0.012, _WHITE, outline=False)
    for x in (0.3, 0.55):
        p.ellipse(x, 0.9, x + 0.15, 0.99, light)


def _draw_car(p: _Pen, c: RGB) -> None:
    glass = (170, 215, 245)
    p.poly([(0.2, 0.45), (0.32, 0.08), (0.7, 0.08), (0.82, 0.45)], c)  # cabin and windows
    p.poly([(0.27, 0.43), (0.35, 0.15), (0.49, 0.15), (0.49, 0.43)], glass)
    p.poly([(0.53, 0.43), (0.53, 0.15), (0.67, 0.15), (0.76, 0.43)], glass)
    p.rect(0.02, 0.4, 0.98, 0.8, c, radius=0.12)  # body
    p.rect(0.9, 0.5, 0.97, 0.6, (255, 230, 120), radius=0.03)  # headlight
    p.line([(0.52, 0.5), (0.58, 0.5)], _darker(c, 0.5), 0.03)  # door handle
    for x in (0.24, 0.76):
        p.circle(x, 0.8, 0.1, (40, 40, 45))
        p.circle(x, 0.8, 0.045, (190, 190, 200))


def _draw_boat(p: _Pen, c: RGB) -> None:
    p.line([(0.5, 0.04), (0.5, 0.72)], (90, 60, 40), 0.03)  # mast and flag
    p.poly([(0.5, 0.04), (0.64, 0.08), (0.5, 0.12)], (230, 60, 50))
    p.poly([(0.53, 0.12), (0.53, 0.66), (0.9, 0.66)], (250, 250, 245))  # sails
    p.poly([(0.47, 0.2), (0.47, 0.66), (0.16, 0.66)], (235, 235, 230))
    p.poly([(0.03, 0.7), (0.97, 0.7), (0.8, 0.96), (0.2, 0.96)], c)  # hull
    p.line([(0.1, 0.78), (0.9, 0.78)], _lighter(c, 0.5), 0.03)


def _draw_heart(p: _Pen, c: RGB) -> None:
    points = []
    for k in range(48):  # the classic parametric heart curve, scaled into the tile
        t = 2 * math.pi * k / 48
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        points.append((0.5 + x / 34, 0.44 - y / 34))
    p.poly(points, c)
    p.ellipse(0.22, 0.2, 0.36, 0.34, _lighter(c, 0.55), outline=False)


def _draw_fish(p: _Pen, c: RGB) -> None:
    dark = _darker(c, 0.25)
    p.poly([(0.68, 0.5), (0.98, 0.15), (0.92, 0.5), (0.98, 0.85)], dark)  # tail
    p.poly([(0.3, 0.25), (0.45, 0.02), (0.55, 0.25)], dark)  # top fin
    p.ellipse(0.03, 0.18, 0.75, 0.82, c)
    for x in (0.32, 0.47):
        p.arc((x - 0.1, 0.25, x + 0.1, 0.75), 300, 60, _lighter(c, 0.5), 0.04)  # stripes
    p.circle(0.18, 0.42, 0.045, _WHITE)
    p.circle(0.18, 0.42, 0.02, _INK, outline=False)
    p.line([(0.04, 0.58), (0.1, 0.6)], _darker(c, 0.5), 0.03)


def _draw_bird(p: _Pen, c: RGB) -> None:
    p.poly([(0.22, 0.55), (0.0, 0.4), (0.05, 0.7)], _darker(c, 0.3))  # tail
    p.ellipse(0.12, 0.3, 0.75, 0.9, c)
    p.circle(0.74, 0.35, 0.16, c)  # head, beak, eye
    p.poly([(0.86, 0.3), (1.0, 0.38), (0.86, 0.45)], (250, 170, 40))
    p.circle(0.78, 0.3, 0.035, _INK, outline=False)
    p.ellipse(0.25, 0.42, 0.6, 0.72, _darker(c, 0.25))  # wing
    p.ellipse(0.35, 0.62, 0.65, 0.86, _lighter(c, 0.5), outline=False)  # breast


def _draw_watering_can(p: _Pen, c: RGB) -> None:
    dark = _darker(c, 0.35)
    p.arc((0.04, 0.3, 0.46, 0.85), 90, 270, dark, 0.07)  # back handle
    p.line([(0.62, 0.82), (0.93, 0.22)], c, 0.09)  # spout and its rose
    p.ellipse(0.86, 0.1, 0.99, 0.3, dark)
    p.arc((0.32, 0.08, 0.68, 0.6), 180, 360, dark, 0.06)  # top handle
    p.rect(0.26, 0.32, 0.72, 0.98, c, radius=0.06)  # body with a band
    p.rect(0.26, 0.5, 0.72, 0.58, _lighter(c, 0.35), outline=False)
    p.ellipse(0.3, 0.28, 0.68, 0.38, dark)


def _draw_rainbow(p: _Pen, c: RGB) -> None:
    bands: list[tuple[int, ...]] = [
        (230, 50, 50),
        (245, 140, 30),
        (250, 215, 50),
        (70, 180, 70),
        (50, 120, 220),
        (90, 70, 180),
        (150, 80, 200),
    ]
    for i, band in enumerate([*bands, (0, 0, 0, 0)]):  # nested discs, outermost first; clear the middle
        r = 0.48 - i * 0.035
        p.circle(0.5, 1.0, r, band, outline=False)
    del c  # a rainbow keeps its own colours


def _draw_balloon(p: _Pen, c: RGB) -> None:
    p.line([(0.5, 0.64), (0.42, 0.75), (0.58, 0.87), (0.5, 1.0)], (120, 120, 130), 0.02)  # string
    p.poly([(0.44, 0.68), (0.5, 0.6), (0.56, 0.68)], _darker(c, 0.2))  # knot
    p.ellipse(0.08, 0.0, 0.92, 0.64, c)
    p.ellipse(0.24, 0.1, 0.38, 0.26, _lighter(c, 0.55), outline=False)


def _draw_butterfly(p: _Pen, c: RGB) -> None:
    for sign in (-1, 1):
        p.ellipse(0.5 + sign * 0.02, 0.05, 0.5 + sign * 0.46, 0.55, c)  # upper and lower wings
        p.ellipse(0.5 + sign * 0.03, 0.45, 0.5 + sign * 0.34, 0.9, _darker(c, 0.15))
        p.circle(0.5 + sign * 0.24, 0.3, 0.05, _WHITE)
        p.line([(0.5, 0.25), (0.5 + sign * 0.12, 0.0)], _INK, 0.02)  # antennae
    p.ellipse(0.46, 0.2, 0.54, 0.85, _INK)


def _draw_planet(p: _Pen, c: RGB) -> None:
    ring = _lighter(c, 0.45)
    p.arc((0.02, 0.35, 0.98, 0.7), 180, 360, ring, 0.06)  # back of the ring
    p.circle(0.5, 0.5, 0.28, c)
    p.ellipse(0.3, 0.35, 0.62, 0.45, _darker(c, 0.15), outline=False)  # bands
    p.arc((0.02, 0.35, 0.98, 0.7), 0, 180, ring, 0.06)  # front of the ring


def _draw_snowman(p: _Pen, c: RGB) -> None:
    p.line([(0.3, 0.5), (0.02, 0.36)], (120, 80, 45), 0.03)  # twig arms
    p.line([(0.7, 0.5), (0.98, 0.36)], (120, 80, 45), 0.03)
    p.circle(0.5, 0.78, 0.42, c)
    p.circle(0.5, 0.47, 0.31, c)
    p.circle(0.5, 0.23, 0.23, c)
    p.rect(0.3, 0.0, 0.7, 0.1, _INK)  # hat, scarf, face, buttons
    p.rect(0.22, 0.09, 0.78, 0.13, _INK)
    p.rect(0.3, 0.31, 0.7, 0.36, (220, 50, 50), radius=0.02)
    p.poly([(0.5, 0.22), (0.72, 0.25), (0.5, 0.27)], (245, 140, 30))
    for x in (0.42, 0.58):
        p.circle(x, 0.18, 0.03, _INK, outline=False)
    for y in (0.44, 0.52, 0.6):
        p.circle(0.5, y, 0.03, _INK, outline=False)


@dataclass(frozen=True)
class _Kind:
    """How to draw one subject: its drawer, default colour, tile shape and where it lives."""

    draw: Callable[[_Pen, RGB], None]
    colour: RGB
    aspect: float  # tile width / height ("backdrop" subjects span the canvas instead)
    height: float  # tile height as a fraction of the canvas height at scale 1
    zone: str  # "ground" (stands on the ground), "float" (hovers above it), "sky" or "backdrop"


_KINDS: dict[str, _Kind] = {
    "robot": _Kind(_draw_robot, (150, 165, 185), 0.72, 0.5, "ground"),
    "sunflower": _Kind(_draw_sunflower, (250, 205, 40), 0.6, 0.56, "ground"),
    "flower": _Kind(_draw_flower, (240, 100, 160), 0.5, 0.3, "ground"),
    "tree": _Kind(_draw_tree, (60, 150, 65), 0.75, 0.56, "ground"),
    "house": _Kind(_draw_house, (235, 205, 160), 1.0, 0.44, "ground"),
    "cat": _Kind(_draw_cat, (235, 145, 55), 0.8, 0.3, "ground"),
    "dog": _Kind(_draw_dog, (165, 110, 60), 0.85, 0.3, "ground"),
    "car": _Kind(_draw_car, (215, 45, 45), 2.0, 0.2, "ground"),
    "boat": _Kind(_draw_boat, (150, 90, 50), 1.0, 0.36, "ground"),
    "wateringcan": _Kind(_draw_watering_can, (60, 150, 100), 1.35, 0.24, "ground"),
    "snowman": _Kind(_draw_snowman, (248, 250, 255), 0.62, 0.45, "ground"),
    "heart": _Kind(_draw_heart, (225, 40, 75), 1.0, 0.24, "float"),
    "fish": _Kind(_draw_fish, (250, 140, 40), 1.6, 0.16, "float"),
    "butterfly": _Kind(_draw_butterfly, (245, 140, 40), 1.2, 0.13, "float"),
    "sun": _Kind(_draw_sun, (255, 205, 50), 1.0, 0.24, "sky"),
    "moon": _Kind(_draw_moon, (245, 240, 210), 1.0, 0.18, "sky"),
    "crescent": _Kind(_draw_crescent, (250, 235, 170), 1.0, 0.18, "sky"),
    "star": _Kind(_draw_star, (255, 215, 70), 1.0, 0.11, "sky"),
    "cloud": _Kind(_draw_cloud, (252, 252, 255), 1.9, 0.13, "sky"),
    "bird": _Kind(_draw_bird, (70, 140, 215), 1.25, 0.1, "sky"),
    "balloon": _Kind(_draw_balloon, (225, 50, 60), 0.62, 0.24, "sky"),
    "planet": _Kind(_draw_planet, (220, 150, 90), 1.6, 0.2, "sky"),
    "mountain": _Kind(_draw_mountains, (105, 115, 150), 0.0, 0.36, "backdrop"),
    "rainbow": _Kind(_draw_rainbow, (0, 0, 0), 0.0, 0.5, "backdrop"),
}
# Plural subjects without a colour of their own get a cheerful mix instead of clones.
_VARIED: dict[str, list[RGB]] = {
    "flower": [(240, 100, 160), (250, 205, 50), (150, 90, 210), (235, 70, 60), (245, 150, 40)],
    "balloon": [(225, 50, 60), (50, 120, 225), (250, 205, 50), (70, 180, 90), (160, 80, 200)],
}


def _tile(kind: str, colour: RGB, width: int, height: int) -> Image.Image:
    """One subject drawn on a transparent width×height tile, anti-aliased by supersampling."""
    big = _supersampled((max(1, width), max(1, height)))
    _KINDS[kind].draw(_Pen(big), colour)
    return _downsample(big)


def _supersampled(size: tuple[int, int]) -> Image.Image:
    """A clear canvas SUPERSAMPLE times larger, premultiplied ("RGBa") so averaging it is exact."""
    return Image.new("RGBa", (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE), (0, 0, 0, 0))


def _downsample(big: Image.Image) -> Image.Image:
    """Box-averages a supersampled drawing to its final size: anti-aliased edges, no dark fringe."""
    # In premultiplied mode reduce() needs no RGBA<->RGBa round trip at the large size.
    return big.reduce(SUPERSAMPLE).convert("RGBA")


def _composite(dst: Image.Image, tile: Image.Image, x: int, y: int) -> None:
    """Alpha-composites `tile` onto RGBA `dst` at (x, y), clipping whatever falls outside."""
    sx, sy = max(0, -x), max(0, -y)
    if sx >= tile.width or sy >= tile.height or x >= dst.width or y >= dst.height:
        return
    dst.alpha_composite(tile, (x + sx, y + sy), (sx, sy))


LAYOUT_KEY = "easel-layout"  # a PNG text chunk: what was drawn where, so a later edit can find it


def _stamp(dst: Image.Image, kind: str, colour: RGB, box: tuple[int, int, int, int]) -> None:
    """Draws a subject into box (x, y, width, height) of an RGBA image, and notes it in the
    image's layout (a new list each time: Pillow's copies share `info` values)."""
    x, y, w, h = box
    _composite(dst, _tile(kind, colour, w, h), x, y)
    entry = {"kind": kind, "colour": list(colour), "box": [x, y, w, h]}
    dst.info[LAYOUT_KEY] = [*_layout(dst), entry]


def _layout(img: Image.Image) -> list[dict]:
    value = img.info.get(LAYOUT_KEY) or []
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [e for e in value if isinstance(e, dict) and {"kind", "colour", "box"} <= set(e)]


def _scaled_layout(layout: list[dict], sx: float, sy: float) -> list[dict]:
    return [
        {
            **e,
            "box": [round(e["box"][0] * sx), round(e["box"][1] * sy), round(e["box"][2] * sx), round(e["box"][3] * sy)],
        }
        for e in layout
    ]


# --------------------------------------------------------------------------------------------
# Reading the prompt
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Scenes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scene:
    sky: tuple[RGB, RGB]  # top and bottom of the sky gradient
    ground: RGB
    horizon: float  # fraction of the height where the ground starts; 1.0 means no ground
    place: str
    lighting: str


_SKIES: dict[str, tuple[RGB, RGB]] = {
    "day": ((105, 165, 230), (200, 228, 250)),
    "sunny": ((60, 150, 240), (175, 222, 255)),
    "night": ((8, 12, 40), (45, 55, 110)),
    "sunset": ((70, 50, 130), (250, 150, 80)),
}
_GROUND_LIGHT = {"day": 0.0, "sunny": 0.0, "night": 0.6, "sunset": 0.3}  # how much each darkens the ground
# place -> (ground colour, horizon, default lighting)
_PLACE_LOOK: dict[str, tuple[RGB, float, str]] = {
    "meadow": ((100, 175, 80), 0.66, "day"),
    "garden": ((85, 165, 70), 0.62, "sunny"),
    "sea": ((40, 110, 190), 0.58, "day"),
    "beach": ((235, 210, 150), 0.7, "sunny"),
    "desert": ((225, 180, 110), 0.66, "sunny"),
    "forest": ((55, 115, 55), 0.66, "day"),
    "snow": ((240, 245, 252), 0.64, "day"),
    "space": ((0, 0, 0), 1.0, "night"),
    "city": ((95, 95, 105), 0.72, "day"),
}


def _resolve_scene(plan: _Plan) -> _Scene:
    """The place and lighting asked for, or implied by the subjects (stars and moons mean night)."""
    kinds = {s.kind for s in plan.subjects}
    place = plan.place or ("space" if "planet" in kinds else "meadow")
    ground, horizon, default_light = _PLACE_LOOK[place]
    night_sky = bool(kinds & {"moon", "crescent", "star"}) and "sun" not in kinds
    lighting = plan.lighting or ("night" if night_sky else default_light)
    sky = _SKIES[lighting]
    if place == "space":
        sky = ((5, 5, 20), (30, 18, 60))
    if plan.sky_colour:
        sky = (_darker(plan.sky_colour, 0.15), _lighter(plan.sky_colour, 0.5))
    ground = _darker(plan.ground_colour or ground, _GROUND_LIGHT[lighting])
    return _Scene(sky, ground, horizon, place, lighting)


def _vertical_gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    """An RGBA top-to-bottom gradient (a resized 256-step ramp: fast at any size)."""
    ramp = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    return Image.composite(Image.new("RGBA", size, bottom), Image.new("RGBA", size, top), ramp)


def _paint_backdrop(plan: _Plan, scene: _Scene, size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Sky, light (sun, moon, stars), ground and the place's scenery: everything not named."""
    w, h = size
    img = _vertical_gradient(size, *scene.sky)
    horizon = round(h * scene.horizon)
    _paint_light(img, plan, scene, horizon, rng)
    if horizon < h:
        img.paste(_vertical_gradient((w, h - horizon), scene.ground, _darker(scene.ground, 0.25)), (0, horizon))
    _DECORATE[scene.place](img, scene, horizon, rng)
    return img


def _paint_light(img: Image.Image, plan: _Plan, scene: _Scene, horizon: int, rng: random.Random) -> None:
    """Stars at night, a sun on sunny days, a low sun at sunset: unless the prompt names them."""
    w, h = img.size
    kinds = {s.kind for s in plan.subjects}
    unit = min(w, h)
    if scene.lighting == "night":
        _scatter_stars(img, horizon, rng)
        if not kinds & {"moon", "crescent"} and scene.place != "space":
            _stamp(img, "crescent", _KINDS["crescent"].colour, (round(w * 0.08), round(h * 0.07), unit // 6, unit // 6))
    elif scene.lighting == "sunny" and "sun" not in kinds:
        _stamp(img, "sun", _KINDS["sun"].colour, (round(w * 0.92) - unit // 5, round(h * 0.05), unit // 5, unit // 5))
    elif scene.lighting == "sunset" and "sun" not in kinds:
        r = unit // 6
        ImageDraw.Draw(img).ellipse((w * 0.62 - r, horizon - r, w * 0.62 + r, horizon + r), fill=(255, 190, 90))


def _scatter_stars(img: Image.Image, horizon: int, rng: random.Random) -> None:
    draw = ImageDraw.Draw(img)
    w = img.width
    for _ in range(70):
        x, y = rng.uniform(0, w), rng.uniform(0, horizon * 0.92)
        r = rng.uniform(0.6, 1.8) * max(1.0, w / 600)
        shade = rng.randint(170, 255)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(shade, shade, min(255, shade + 20)))


def _decorate_meadow(img: Image.Image, scene: _Scene, horizon: int, rng: random.Random) -> None:
    if scene.lighting in ("day", "sunny"):
        _drift_clouds(img, horizon, rng, 2)
    _grass_tufts(img, scene, horizon, rng)


def _decorate_garden(img: Image.Image, scene: _Scene, horizon: int, rng: random.Random) -> None:
    w, h = img.size
    hedge = _darker(scene.ground, 0.3)
    draw = ImageDraw.Draw(img)
    step = max(8, w // 14)
    for x in range(-step // 2, w + step, step):  # a hedge along the horizon
        draw.ellipse((x - step * 0.7, horizon - step * 0.6, x + step * 0.7, horizon + step * 0.4), fill=hedge)
    for _ in range(40):  # small flowers dotted over the lawn
        x, y = rng.uniform(0, w), rng.uniform(horizon + step * 0.5, h)
        r = max(1.5, w / 250)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(_VARIED["flower"]))


def _decorate_sea(img: Image.Image, scene: _Scene, horizon: int, rng: random.Random) -> None:
    if scene.lighting in ("day", "sunny"):
        _drift_clouds(img, horizon, rng, 2)
    _waves(img, horizon, img.height, _lighter(scene.ground, 0.3), rng)


def _decorate_beach(img: Image.Image, scene: _Scene, horizon: int, rng: random.Random) -> None:
    w, h = img.size
    band = horizon + round((h - horizon) * 0.3)
    water = _darker((45, 125, 200), _GROUND_LIGHT[scene.lighting])
    img.paste(_vertical_gradient((w, band - horizon), water, _lighter(water, 0.2)), (0, horizon))
    _waves(img, horizon, band, _lighter(water, 0.35), rng)
    ImageDraw.Draw(img).line([(0, band), (w, band)], fill=_lighter(water, 0.7), width=max(2, h // 120))


def _decorate_desert(img: Image.Image, scene: _Scene, horizon: int, rng: random.Random) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    for i in range(3):  # rolling dunes
        cx, rw = rng.uniform(0, w), w * rng.uniform(0.35, 0.6)
        top = horizon - h * 0.04 + i * h * 0.07
        draw.ellipse((cx - rw, top, cx + rw, top + h * 0.3), fill=_mix(scene.ground, (250, 215, 150), 0.25 + 0.2 * i))


def _decorate_forest(img: Image.Image, scene: _Scene, horizon: int, rng: random.Random) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    step = max(6, w // 18)
    for x in range(-step, w + step, step):  # a line of pines along the horizon
        tall = h * rng.uniform(0.12, 0.22)
        shade = _darker(scene.ground, rng.uniform(0.2, 0.45))
        draw.polygon([(x - step * 0.75, horizon + 2), (x, horizon - tall), (x + step * 0.75, horizon + 2)], fill=shade)


def _decorate_snow(img: Image.Image, scene: _Scene, horizon: int, rng: random.Random) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    for i in range(2):  # soft snowy hills, then falling flakes
        cx = w * (0.25 + 0.5 * i)
        hill = (cx - w * 0.45, horizon - h * 0.08, cx + w * 0.45, horizon + h * 0.2)
        draw.ellipse(hill, fill=_darker(scene.ground, 0.04 * (i + 1)))
    for _ in range(90):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1, 2.5) * max(1.0, w / 600)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255))


def _decorate_space(img: Image.Image, scene: _Scene, horizon: int, rng: random.Random) -> None:
    w, h = img.size
    r = min(w, h) * rng.uniform(0.05, 0.09)
    x, y = rng.choice((0.15, 0.85)) * w, rng.uniform(0.15, 0.35) * h
    colour = _from_hsv(rng.random(), 0.45, 0.8)
    draw = ImageDraw.Draw(img)
    draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)  # a far planet with a terminator shadow
    draw.ellipse((x - r * 0.6, y - r, x + r * 1.4, y + r), fill=_darker(colour, 0.35))
    draw.ellipse((x - r, y - r, x + r * 0.5, y + r), fill=colour)


def _decorate_city(img: Image.Image, scene: _Scene, horizon: int, rng: random.Random) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    x = 0.0
    lit = scene.lighting in ("night", "sunset")
    while x < w:  # a skyline of blocks with windows
        bw, bh = w * rng.uniform(0.06, 0.12), h * rng.uniform(0.12, 0.35)
        body = _mix((70, 80, 105), scene.sky[0], rng.uniform(0.1, 0.35))
        draw.rectangle((x, horizon - bh, x + bw, horizon), fill=body)
        _windows(draw, (x, horizon - bh, bw, bh), (250, 220, 120) if lit else _lighter(body, 0.35), rng)
        x += bw + w * rng.uniform(0.0, 0.02)


def _windows(
    draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], colour: RGB, rng: random.Random
) -> None:
    x, y, bw, bh = box
    size = max(2.0, bw / 7)
    for row in range(int((bh - size) // (size * 2))):
        for col in range(3):
            if rng.random() < 0.7:
                wx, wy = x + size * (1 + col * 2), y + size * (1 + row * 2)
                draw.rectangle((wx, wy, wx + size * 0.9, wy + size * 0.9), fill=colour)


def _drift_clouds(img: Image.Image, horizon: int, rng: random.Random, count: int) -> None:
    """Soft background clouds, kept off the left and right edges (edits read the edges)."""
    w, h = img.size
    for i in range(count):
        ch = round(h * rng.uniform(0.07, 0.1))
        cw = round(ch * 1.9)
        x = round(w * (0.1 + 0.8 * (i + rng.uniform(0.1, 0.9)) / count) - cw / 2)
        x = max(round(w * 0.03), min(w - cw - round(w * 0.03), x))
        _stamp(img, "cloud", (250, 252, 255), (x, round(h * rng.uniform(0.04, 0.2)), cw, ch))


def _grass_tufts(img: Image.Image, scene: _Scene, horizon: int, rng: random.Random) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    colour = _darker(scene.ground, 0.12)  # subtle, so edits still see the ground as background
    for _ in range(60):
        x, y = rng.uniform(0, w), rng.uniform(horizon + h * 0.03, h)
        t = h * 0.015
        draw.line([(x - t, y - t), (x, y), (x + t, y - t * 1.4)], fill=colour, width=max(1, w // 400))


def _waves(img: Image.Image, top: int, bottom: int, colour: RGB, rng: random.Random) -> None:
    w = img.width
    draw = ImageDraw.Draw(img)
    size = max(6.0, w / 40)
    for _ in range(max(4, (bottom - top) // 12)):
        x, y = rng.uniform(-size, w), rng.uniform(top + size * 0.5, bottom - 2)
        draw.arc((x, y, x + size * 2, y + size), 200, 340, fill=colour, width=max(1, w // 350))


_DECORATE: dict[str, Callable[[Image.Image, _Scene, int, random.Random], None]] = {
    "meadow": _decorate_meadow,
    "garden": _decorate_garden,
    "sea": _decorate_sea,
    "beach": _decorate_beach,
    "desert": _decorate_desert,
    "forest": _decorate_forest,
    "snow": _decorate_snow,
    "space": _decorate_space,
    "city": _decorate_city,
}

# --------------------------------------------------------------------------------------------
# Laying out the named subjects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    kind: str
    colour: RGB
    scale: float


def _expand(subjects: list[_Subject]) -> list[_Item]:
    """One item per drawn instance; many small things (stars) shrink so they fit."""
    items = []
    for subject in subjects:
        palette = _VARIED.get(subject.kind) if subject.colour is None and subject.count > 1 else None
        scale = subject.scale * (0.5 if subject.count > 3 else 1.0)
        for i in range(subject.count):
            colour = palette[i % len(palette)] if palette else subject.colour or _KINDS[subject.kind].colour
            items.append(_Item(subject.kind, colour, scale))
    return items


def _tile_size(item: _Item, size: tuple[int, int], slot_width: float, max_height: float) -> tuple[int, int]:
    """The item's tile size: its natural height, shrunk to fit its slot."""
    kind = _KINDS[item.kind]
    th = min(kind.height * item.scale * size[1], max_height)
    tw = th * kind.aspect
    if tw > slot_width:
        th, tw = th * slot_width / tw, slot_width
    return max(4, round(tw)), max(4, round(th))


def _paint_subjects(layer: Image.Image, plan: _Plan, scene: _Scene, rng: random.Random) -> None:
    """Backdrop subjects first, then the sky, then the row standing on the ground."""
    items = _expand(plan.subjects)
    horizon = round(layer.height * scene.horizon)
    backdrop = sorted((i for i in items if _KINDS[i.kind].zone == "backdrop"), key=lambda i: i.kind != "rainbow")
    for item in backdrop:  # a rainbow goes behind the mountains, so its feet hide among them
        _paint_backdrop_subject(layer, item, horizon)
    _paint_sky_row(layer, [i for i in items if _KINDS[i.kind].zone == "sky"], horizon, rng)
    _paint_ground_row(layer, [i for i in items if _KINDS[i.kind].zone in ("ground", "float")], horizon, rng)


def _paint_backdrop_subject(layer: Image.Image, item: _Item, horizon: int) -> None:
    """Mountains span the width and a rainbow is a centred half-disc, both standing on the horizon."""
    w, h = layer.size
    th = round(_KINDS[item.kind].height * item.scale * h)
    bottom = horizon + (round(h * 0.02) if item.kind == "mountain" else 0)
    tw = w if item.kind == "mountain" else min(w, round(th * 2))  # the rainbow keeps a half-disc shape
    _stamp(layer, item.kind, item.colour, ((w - tw) // 2, bottom - th, tw, th))


def _paint_sky_row(layer: Image.Image, items: list[_Item], horizon: int, rng: random.Random) -> None:
    """Sky subjects side by side across the top; a crowd (say, stars) is scattered instead."""
    w, h = layer.size
    for i, item in enumerate(items):
        tw, th = _tile_size(item, (w, h), w / max(1, len(items)) * 0.9, horizon * 0.5)
        if len(items) > 4:
            cx, top = rng.uniform(0.05, 0.95) * w, rng.uniform(0.03, 0.5) * horizon
        else:
            cx = (i + 0.5 + rng.uniform(-0.1, 0.1)) * w / len(items)
            top = h * 0.04 + rng.uniform(0, 0.1) * horizon
        _stamp(layer, item.kind, item.colour, (round(cx - tw / 2), round(top), tw, th))


def _paint_ground_row(layer: Image.Image, items: list[_Item], horizon: int, rng: random.Random) -> None:
    """Ground subjects side by side, feet in the foreground; "float" ones hover a little."""
    w, h = layer.size
    feet = horizon + (h - horizon) * 0.62 if horizon < h else h * 0.85
    for i, item in enumerate(items):
        tw, th = _tile_size(item, (w, h), w / len(items) * 0.9, feet * 0.92)
        cx = (i + 0.5) * w / len(items) + rng.uniform(-0.02, 0.02) * w
        bottom = feet + rng.uniform(-0.015, 0.015) * h - (h * 0.12 if _KINDS[item.kind].zone == "float" else 0)
        _stamp(layer, item.kind, item.colour, (round(cx - tw / 2), round(bottom - th), tw, th))


# --------------------------------------------------------------------------------------------
# Abstract compositions, for prompts with nothing recognisable
# --------------------------------------------------------------------------------------------


def _abstract_palette(plan: _Plan, rng: random.Random) -> list[RGB]:
    """Two background tones and five accents around one hue (the prompt's colour, if any)."""
    base = colorsys.rgb_to_hsv(*(c / 255 for c in plan.loose_colours[0]))[0] if plan.loose_colours else rng.random()
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


def _paint_abstract(plan: _Plan, size: tuple[int, int], rng: random.Random) -> tuple[Image.Image, Image.Image]:
    """A gradient and a dozen flat shapes, all chosen by the prompt's own randomness."""
    palette = _abstract_palette(plan, rng)
    backdrop = _vertical_gradient(size, palette[0], palette[1])
    big = _supersampled(size)
    draw = ImageDraw.Draw(big)
    for _ in range(rng.randint(8, 13)):
        _abstract_shape(draw, big.size, rng.choice(palette[2:]), rng)
    return backdrop, _downsample(big)


# --------------------------------------------------------------------------------------------
# Public: render
# --------------------------------------------------------------------------------------------


def render(prompt: str, *, width: int, height: int, seed: int | None = None, transparent: bool = False) -> Image.Image:
    """Draws `prompt` as an RGBA width×height picture; equal arguments give equal pixels.

    With `transparent`, only the named subjects are returned on a clear background (the whole
    scene if the prompt names none).
    """
    size = (max(1, int(width)), max(1, int(height)))
    canvas = (max(MIN_SIDE, size[0]), max(MIN_SIDE, size[1]))  # tiny sizes are drawn larger, then shrunk
    plan = _parse(prompt)
    rng = _rng(prompt, seed)
    if plan.is_abstract:
        backdrop, layer = _paint_abstract(plan, canvas, rng)
    else:
        scene = _resolve_scene(plan)
        backdrop = _paint_backdrop(plan, scene, canvas, rng)
        layer = Image.new("RGBA", canvas, (0, 0, 0, 0))
        _paint_subjects(layer, plan, scene, rng)
    layout = _layout(backdrop) + _layout(layer)
    if transparent and layer.getbbox():
        picture = layer
    else:
        backdrop.alpha_composite(layer)
        picture = backdrop
    if canvas != size:
        picture = picture.resize(size, Image.Resampling.LANCZOS)
        layout = _scaled_layout(layout, size[0] / canvas[0], size[1] / canvas[1])
    picture.info[LAYOUT_KEY] = layout
    return picture


# --------------------------------------------------------------------------------------------
# Looking at an existing image (for edits)
# --------------------------------------------------------------------------------------------

_ANALYSIS_SIDE = 160  # masks are found on a thumbnail: fast, and photo noise averages out
_EDGE_DIFF = 60  # colour distance from both edges of its row that makes a pixel "subject"
_CHROMA = 70  # HSV saturation (0-255) above which a pixel has a hue worth matching
_HUE_TOLERANCE = 18  # on Pillow's 0-255 hue scale, about 25 degrees


def _lut(test: Callable[[int], bool]) -> list[int]:
    """A 256-entry point() table: 255 where `test` holds, else 0."""
    return [255 if test(v) else 0 for v in range(256)]


def _count(mask: Image.Image) -> int:
    """How many pixels of a binary mask are set."""
    return mask.histogram()[255]


def _colour_distance(a: Image.Image, b: Image.Image) -> Image.Image:
    """Per-pixel sum of the channel differences (clipped at 255)."""
    red, green, blue = ImageChops.difference(a, b).split()
    return ImageChops.add(ImageChops.add(red, green), blue)


def _edge_columns(rgb: Image.Image) -> tuple[Image.Image, Image.Image]:
    """Each row's left and right edge colours stretched across the image."""
    w, h = rgb.size
    strip = max(1, w // 80)
    left = rgb.crop((0, 0, strip, h)).resize((1, h), Image.Resampling.BOX).resize((w, h), Image.Resampling.NEAREST)
    right = rgb.crop((w - strip, 0, w, h)).resize((1, h), Image.Resampling.BOX).resize((w, h), Image.Resampling.NEAREST)
    return left, right


def _foreground(small: Image.Image) -> Image.Image:
    """Pixels unlike both edges of their row: sky and ground run edge to edge, subjects don't."""
    left, right = _edge_columns(small)
    distance = ImageChops.darker(_colour_distance(small, left), _colour_distance(small, right))
    return distance.point(_lut(lambda v: v > _EDGE_DIFF))


def _thumbnail(img: Image.Image) -> Image.Image:
    """An RGB copy at most _ANALYSIS_SIDE pixels on its long side."""
    small = img.convert("RGB")
    small.thumbnail((_ANALYSIS_SIDE, _ANALYSIS_SIDE), Image.Resampling.BOX)
    return small


def _upscale(mask: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A small binary mask scaled up to `size`, still binary."""
    return mask.resize(size, Image.Resampling.BILINEAR).point(_lut(lambda v: v >= 128))


def _hue_distance(a: int, b: int) -> int:
    d = abs(a - b) % 256
    return min(d, 256 - d)


def _dominant_hue(histogram: list[int], prefer: int | None) -> int:
    """The most common hue (smoothed); a preferred hue wins if it is at least a quarter as common."""
    smooth = [sum(histogram[(i + d) % 256] for d in range(-6, 7)) for i in range(256)]
    best = max(range(256), key=smooth.__getitem__)
    if prefer is not None:
        near = max((i for i in range(256) if _hue_distance(i, prefer) <= _HUE_TOLERANCE), key=smooth.__getitem__)
        if smooth[near] >= 0.25 * smooth[best]:
            return near
    return best


@dataclass(frozen=True)
class _Foreground:
    """Where the subjects are: on the analysis thumbnail (grown a little) and at full size."""

    thumbnail: Image.Image
    small_mask: Image.Image
    mask: Image.Image


def _find_foreground(img: Image.Image) -> _Foreground | None:
    """The foreground masks, or None when there is no clear subject (nothing, or everything)."""
    small = _thumbnail(img)
    fg = _foreground(small)
    coverage = _count(fg) / (fg.width * fg.height)
    if not 0.003 < coverage < 0.85:
        return None
    grown = fg.filter(ImageFilter.MaxFilter(3))  # joins a subject's parts across thin outlines
    return _Foreground(small, grown, _foreground(img.convert("RGB")))


_MaskMaker = Callable[[Image.Image, Image.Image], Image.Image]  # (hue band, saturation band) -> mask


def _colour_test(found: _Foreground, prefer_hue: int | None) -> _MaskMaker:
    """A mask maker (hue band, saturation band -> mask) for the foreground's commonest colour."""
    small_h, small_s, _ = found.thumbnail.convert("HSV").split()
    chroma = ImageChops.multiply(found.small_mask, small_s.point(_lut(lambda v: v >= _CHROMA)))
    if _count(chroma) < 0.3 * max(1, _count(found.small_mask)):
        # mostly grey or white (a steel robot, a snowman): its unsaturated pixels
        return lambda hue, sat: sat.point(_lut(lambda v: v < _CHROMA))
    target = _dominant_hue(small_h.histogram(mask=chroma), prefer_hue)
    in_hue = _lut(lambda v: _hue_distance(v, target) <= _HUE_TOLERANCE)
    return lambda hue, sat: ImageChops.multiply(hue.point(in_hue), sat.point(_lut(lambda v: v >= _CHROMA)))


def _flood(data: bytes, width: int, start: int, seen: bytearray) -> list[int]:
    """Pixel indices of the 4-connected non-zero region of `data` that contains `start`."""
    seen[start] = 1
    region, stack = [], [start]
    while stack:
        i = stack.pop()
        region.append(i)
        x = i % width
        for j in (i - width, i + width, i - 1 if x > 0 else -1, i + 1 if x < width - 1 else -1):
            if 0 <= j < len(data) and data[j] and not seen[j]:
                seen[j] = 1
                stack.append(j)
    return region


def _largest_blob(mask: Image.Image) -> list[int]:
    """The biggest connected region of a small binary mask (plain flood fills: it is tiny)."""
    data, seen = mask.tobytes(), bytearray(mask.width * mask.height)
    best: list[int] = []
    for start in range(len(data)):
        if data[start] and not seen[start]:
            region = _flood(data, mask.width, start, seen)
            best = region if len(region) > len(best) else best
    return best


def _region_mask(size: tuple[int, int], region: list[int]) -> Image.Image:
    """A binary mask with the given pixel indices set."""
    pixels = bytearray(size[0] * size[1])
    for i in region:
        pixels[i] = 255
    return Image.frombytes("L", size, bytes(pixels))


def _dominant_blob(img: Image.Image, prefer_hue: int | None) -> tuple[_Foreground, list[int], _MaskMaker] | None:
    """The foreground, the dominant subject's pixels on its thumbnail, and its colour test."""
    found = _find_foreground(img)
    if found is None:
        return None
    test = _colour_test(found, prefer_hue)
    small_h, small_s, _ = found.thumbnail.convert("HSV").split()
    matching = ImageChops.multiply(test(small_h, small_s), found.small_mask)
    # grown first, so parts with a thin gap between them (a robot's arms) count as one subject
    blob = _largest_blob(matching.filter(ImageFilter.MaxFilter(3)))
    return (found, blob, test) if blob else None


def _subject_mask(img: Image.Image, prefer_hue: int | None = None) -> Image.Image | None:
    """The dominant subject: the largest foreground blob of the foreground's commonest colour."""
    hit = _dominant_blob(img, prefer_hue)
    if hit is None:
        return None
    found, blob, test = hit
    near = _region_mask(found.thumbnail.size, blob).filter(ImageFilter.MaxFilter(5))
    hue, sat, _ = img.convert("RGB").convert("HSV").split()
    # the thumbnail says roughly where; the full-size colour and edge tests draw the outline
    mask = ImageChops.multiply(ImageChops.multiply(test(hue, sat), found.mask), _upscale(near, img.size))
    return mask if _count(mask) > 0 else None


def _background_estimate(img: Image.Image) -> Image.Image:
    """What lies behind the subjects, guessed by blending each row's edge colours across it."""
    rgb = img.convert("RGB")
    left, right = _edge_columns(rgb)
    across = Image.linear_gradient("L").rotate(90).resize(rgb.size, Image.Resampling.BILINEAR)
    return Image.composite(right, left, across).convert("RGBA")  # 255 at the right edge


# --------------------------------------------------------------------------------------------
# Edit operations (all on RGBA images, alpha preserved)
# --------------------------------------------------------------------------------------------


def _on_rgb(img: Image.Image, transform: Callable[[Image.Image], Image.Image]) -> Image.Image:
    """Applies a colour transform to the RGB bands, leaving alpha untouched."""
    alpha = img.getchannel("A")
    out = transform(img.convert("RGB")).convert("RGBA")
    out.putalpha(alpha)
    return out


def _recolour(img: Image.Image, mask: Image.Image, target: RGB) -> Image.Image:
    """Gives the masked pixels the target's hue (or greyness), keeping their shading."""
    rgb = img.convert("RGB")
    hue, sat, val = rgb.convert("HSV").split()
    th, ts, tv = _hsv255(target)
    shift = round((tv - ImageStat.Stat(val, mask).mean[0]) * 0.7)  # move brightness, keep the shading
    new_val = val.point([max(0, min(255, v + shift)) for v in range(256)])
    if ts < 40:  # black, white or grey: drain the colour
        new_hue, new_sat = hue, Image.new("L", rgb.size, 0)
    else:
        new_hue, new_sat = Image.new("L", rgb.size, th), sat.point([max(v, round(ts * 0.85)) for v in range(256)])
    recoloured = Image.merge("HSV", (new_hue, new_sat, new_val)).convert("RGB")
    return _on_rgb(img, lambda base: Image.composite(recoloured, base, mask))


def _tint(img: Image.Image, colour: RGB, amount: float = 0.5) -> Image.Image:
    """Washes the whole image towards a colour, keeping its light and dark."""

    def wash(rgb: Image.Image) -> Image.Image:
        grey = ImageOps.grayscale(rgb)
        toned = ImageOps.colorize(grey, black=_darker(colour, 0.85), white=_lighter(colour, 0.85), mid=colour)
        return Image.blend(rgb, toned, amount)

    return _on_rgb(img, wash)


def _recolour_subject(img: Image.Image, plan: _Plan, target: RGB) -> Image.Image:
    """Recolours the named subject where the layout says it is; otherwise the dominant subject
    (the named one's usual hue preferred), else tints it all."""
    named = next((s.kind for s in plan.subjects), None)
    placed = [e for e in _layout(img) if e["kind"] == named] if named else []
    if placed:
        return _recolour_placed(img, placed, target)
    prefer = None
    if named is not None and _hsv255(_KINDS[named].colour)[1] >= _CHROMA:
        prefer = _hsv255(_KINDS[named].colour)[0]
    mask = _subject_mask(img, prefer)
    return _recolour(img, mask, target) if mask is not None else _tint(img, target)


def _recolour_placed(img: Image.Image, placed: list[dict], target: RGB) -> Image.Image:
    """Recolours the pixels of each placed subject that have its colour, inside its box."""
    hue, sat, val = img.convert("RGB").convert("HSV").split()
    mask = Image.new("L", img.size, 0)
    for entry in placed:
        x, y, w, h = entry["box"]
        eh, es, ev = _hsv255(tuple(entry["colour"]))  # type: ignore[arg-type]
        if es >= _CHROMA:
            near = hue.point([255 if min(abs(v - eh), 256 - abs(v - eh)) <= _HUE_TOLERANCE else 0 for v in range(256)])
            test = ImageChops.multiply(near, sat.point([255 if v >= _CHROMA * 0.6 else 0 for v in range(256)]))
        else:  # a grey or black subject: match brightness instead of hue
            test = val.point([255 if abs(v - ev) <= 40 else 0 for v in range(256)])
        box = Image.new("L", img.size, 0)
        box.paste(255, (x, y, x + w, y + h))
        mask = ImageChops.lighter(mask, ImageChops.multiply(test, box))
    if _count(mask) == 0:
        return _tint(img, target)
    out = _recolour(img, mask, target)
    names = {e["kind"] for e in placed}
    out.info[LAYOUT_KEY] = [{**e, "colour": list(target)} if e["kind"] in names else e for e in _layout(img)]
    return out


def _horizon(img: Image.Image) -> int:
    """The first row (full size) where the left edge colour jumps: where the sky meets the ground."""
    small = _thumbnail(img)
    column = small.crop((0, 0, 1, small.height)).resize((1, small.height))
    colours = [column.getpixel((0, y)) for y in range(small.height)]
    for y in range(1, len(colours)):
        if max(abs(a - b) for a, b in zip(colours[y], colours[y - 1], strict=True)) > 25:  # type: ignore[arg-type]
            return round(y * img.height / small.height)
    return img.height


def _recolour_background(img: Image.Image, target: RGB, part: str) -> Image.Image:
    """Recolours what is not foreground above the horizon ("sky") or below it ("ground")."""
    # full-size edge test, not the thumbnail one: its blocky, grown mask would leave a halo
    mask = ImageChops.invert(_foreground(img.convert("RGB")))
    horizon = _horizon(img)
    if part == "sky" and horizon < img.height:
        mask.paste(0, (0, horizon, img.width, img.height))
    elif part == "ground":
        mask.paste(0, (0, 0, img.width, min(horizon, img.height // 2) if horizon >= img.height else horizon))
    return _recolour(img, mask, target)


def _apply_colours(img: Image.Image, plan: _Plan) -> Image.Image:
    """Colour changes: the sky, the ground, then the subject (named or not)."""
    if plan.sky_colour:
        img = _recolour_background(img, plan.sky_colour, "sky")
    if plan.ground_colour:
        img = _recolour_background(img, plan.ground_colour, "ground")
    target = next((s.colour for s in plan.subjects if s.colour), None)
    target = target or (plan.loose_colours[-1] if plan.loose_colours else None)
    return _recolour_subject(img, plan, target) if target else img


def _free_spot(busy: Image.Image, zone: str, tile: tuple[int, int], rng: random.Random) -> tuple[int, int]:
    """The least busy place for a tile in the zone: nine columns, a few heights, ties by chance."""
    w, h = busy.size
    tw, th = tile
    margin = round(w * 0.04)
    left, right = margin, max(margin, w - tw - margin)
    if zone.endswith("left"):
        right = max(left, w // 2 - tw)
    elif zone.endswith("right"):
        left = min(right, w // 2)
    ys = [h * 0.05, h * 0.1] if zone.startswith("sky") else [h * 0.82 - th, h * 0.9 - th]
    spots = [(round(left + (right - left) * k / 8), max(0, round(y))) for k in range(9) for y in ys]

    def busyness(spot: tuple[int, int]) -> float:
        x, y = spot
        return ImageStat.Stat(busy.crop((x, y, x + tw, y + th))).mean[0] + rng.random()  # random: fair ties

    return min(spots, key=busyness)


def _zone(kind: str, locations: set[str]) -> str:
    """Where to add a subject: the prompt's "in the sky"/"on the ground"/"left" win over habit."""
    vertical = "sky" if "sky" in locations else "ground" if "ground" in locations else None
    vertical = vertical or ("sky" if _KINDS[kind].zone in ("sky", "backdrop") else "ground")
    side = "left" if "left" in locations else "right" if "right" in locations else ""
    return f"{vertical}-{side}"


def _add_subjects(img: Image.Image, plan: _Plan, rng: random.Random) -> Image.Image:
    """Draws the named subjects where the image is emptiest within their zone."""
    out = img.copy()
    found = _find_foreground(out)
    busy = found.mask if found else Image.new("L", out.size, 0)
    front = busy.copy()  # the subjects a rainbow or mountains must stay behind
    for item in _expand(plan.subjects):
        if _KINDS[item.kind].zone == "backdrop":
            out = _add_behind(out, item, front)
            continue
        zone = _zone(item.kind, plan.locations)
        cap = out.height * (0.4 if zone.startswith("sky") else 0.6)
        tile = _tile_size(item, out.size, out.width * 0.45, cap)
        x, y = _free_spot(busy, zone, tile, rng)
        _stamp(out, item.kind, item.colour, (x, y, *tile))
        busy.paste(255, (x, y, x + tile[0], y + tile[1]))  # the next addition goes elsewhere
    return out


def _add_behind(img: Image.Image, item: _Item, front: Image.Image) -> Image.Image:
    """Draws a backdrop subject at the horizon, then puts the `front` pixels back over it."""
    layer = img.copy()
    _paint_backdrop_subject(layer, item, _horizon(img))
    return Image.composite(img, layer, front)


def _remove_subject(img: Image.Image) -> Image.Image:
    """Paints the background back over the whole object the dominant subject belongs to."""
    hit = _dominant_blob(img, None)
    if hit is None:
        return img
    found, blob, _ = hit
    small = found.small_mask
    whole = _flood(small.tobytes(), small.width, blob[0], bytearray(small.width * small.height))
    area = _upscale(_region_mask(small.size, whole).filter(ImageFilter.MaxFilter(5)), img.size)
    out = Image.composite(_background_estimate(img), img, area.filter(ImageFilter.GaussianBlur(2)))
    out.putalpha(img.getchannel("A"))
    return out


# --- whole-image filters --------------------------------------------------------------------


def _brightness(factor: float) -> Callable[[Image.Image, list[str]], Image.Image]:
    return lambda img, words: _on_rgb(img, lambda rgb: ImageEnhance.Brightness(rgb).enhance(factor))


def _colour_balance(colour: RGB, amount: float) -> Callable[[Image.Image, list[str]], Image.Image]:
    return lambda img, words: _on_rgb(img, lambda rgb: Image.blend(rgb, Image.new("RGB", rgb.size, colour), amount))


def _night(img: Image.Image, words: list[str]) -> Image.Image:
    def moonlit(rgb: Image.Image) -> Image.Image:
        return Image.blend(ImageEnhance.Brightness(rgb).enhance(0.5), Image.new("RGB", rgb.size, (15, 25, 80)), 0.3)

    return _on_rgb(img, moonlit)


def _grayscale(img: Image.Image, words: list[str]) -> Image.Image:
    return _on_rgb(img, lambda rgb: ImageOps.grayscale(rgb).convert("RGB"))


def _sepia(img: Image.Image, words: list[str]) -> Image.Image:
    def toned(rgb: Image.Image) -> Image.Image:
        return ImageOps.colorize(ImageOps.grayscale(rgb), (40, 26, 13), (255, 240, 205), mid=(165, 125, 85))

    return _on_rgb(img, toned)


def _blur(img: Image.Image, words: list[str]) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(max(2.0, max(img.size) / 150)))


def _sharpen(img: Image.Image, words: list[str]) -> Image.Image:
    return _on_rgb(img, lambda rgb: rgb.filter(ImageFilter.UnsharpMask(radius=2, percent=160)))


def _invert(img: Image.Image, words: list[str]) -> Image.Image:
    return _on_rgb(img, ImageOps.invert)


def _contrast(img: Image.Image, words: list[str]) -> Image.Image:
    return _on_rgb(img, lambda rgb: ImageEnhance.Contrast(rgb).enhance(1.45))


def _saturation(factor: float) -> Callable[[Image.Image, list[str]], Image.Image]:
    return lambda img, words: _on_rgb(img, lambda rgb: ImageEnhance.Color(rgb).enhance(factor))


def _pixelate(img: Image.Image, words: list[str]) -> Image.Image:
    block = max(4, max(img.size) // 64)
    small = img.resize((max(1, img.width // block), max(1, img.height // block)), Image.Resampling.BOX)
    return small.resize(img.size, Image.Resampling.NEAREST)


def _flip(img: Image.Image, words: list[str]) -> Image.Image:
    """Mirrors left-right, or top-bottom when the prompt says vertically / upside down."""
    vertical = {"vertical", "vertically", "upsidedown"} & set(words)
    return ImageOps.flip(img) if vertical else ImageOps.mirror(img)


def _rotate(img: Image.Image, words: list[str]) -> Image.Image:
    """Rotates by the stated degrees (90 by default; clockwise unless told left), keeping the size."""
    degrees = next((int(w) for w in words if w.isdigit() and 0 < int(w) < 360), 90)
    anticlockwise = {"left", "counterclockwise", "anticlockwise"} & set(words)
    fill = tuple(round(v) for v in ImageStat.Stat(img).mean)  # corners take the average colour
    turned = img.rotate(degrees if anticlockwise else -degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    return ImageOps.fit(turned, img.size, Image.Resampling.BICUBIC)


_FILTERS: dict[str, Callable[[Image.Image, list[str]], Image.Image]] = {
    **dict.fromkeys(("darker", "darken", "dim", "dimmer", "dark", "gloomy", "moody"), _brightness(0.6)),
    **dict.fromkeys(("brighter", "brighten", "lighter", "lighten", "bright"), _brightness(1.35)),
    **dict.fromkeys(("night", "nighttime", "midnight"), _night),
    **dict.fromkeys(("grayscale", "greyscale", "monochrome", "bw"), _grayscale),
    **dict.fromkeys(("sepia", "vintage", "retro", "old"), _sepia),
    **dict.fromkeys(("blur", "blurry", "blurred", "soften", "soft", "dreamy"), _blur),
    **dict.fromkeys(("sharpen", "sharper", "crisp"), _sharpen),
    **dict.fromkeys(("mirror", "mirrored", "flip", "flipped", "upsidedown"), _flip),
    **dict.fromkeys(("rotate", "rotated"), _rotate),
    **dict.fromkeys(("invert", "inverted", "negative"), _invert),
    **dict.fromkeys(("contrast", "punchy"), _contrast),
    **dict.fromkeys(("saturate", "saturated", "vivid", "vibrant", "colourful", "colorful"), _saturation(1.6)),
    **dict.fromkeys(("desaturate", "muted", "faded", "washed"), _saturation(0.45)),
    **dict.fromkeys(("pixelate", "pixelated", "pixel", "8bit"), _pixelate),
    **dict.fromkeys(("warm", "warmer", "sunset", "golden"), _colour_balance((255, 150, 50), 0.18)),
    **dict.fromkeys(("cool", "cooler", "cold", "colder", "icy"), _colour_balance((60, 130, 255), 0.18)),
    "sunny": _brightness(1.15),
}


def _apply_filters(img: Image.Image, words: list[str]) -> Image.Image:
    """Every filter a word asks for, each once; "dark"/"light" before a colour are not filters."""
    applied: set[int] = set()
    for i, word in enumerate(words):
        transform = _FILTERS.get(word)
        following = words[i + 1] if i + 1 < len(words) else ""
        if transform is None or id(transform) in applied or (word in _TONE_MODIFIERS and following in _COLOURS):
            continue
        if word == "golden" and following in _NOUNS:  # "a golden star" is a colour, not a mood
            continue
        applied.add(id(transform))
        img = transform(img, words)
    return img


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


def _apply_clause(img: Image.Image, verb: str, words: list[str], rng: random.Random) -> Image.Image:
    """One clause: its filters first, then its addition, removal or colour change."""
    plan = _Parser().parse(words)
    img = _apply_filters(img, words)
    if verb == "add" and plan.subjects:
        return _add_subjects(img, plan, rng)
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


def edit(image: Image.Image, prompt: str, *, seed: int | None = None) -> Image.Image:
    """Applies an edit prompt to `image`; same size, never identical to the input.

    Understands colour changes ("make the robot blue"), additions ("add a small crescent moon
    in the sky"), removals and whole-image filters (darker, night, black and white, blur,
    mirror, rotate...). Returns RGBA if the input had transparency, else RGB.
    """
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    original = image.convert("RGBA")
    rng = _rng(prompt, seed)
    result = original
    for verb, words in _clauses(_tokens(prompt)):
        result = _apply_clause(result, verb, words, rng)
    if result.size != original.size:
        result = result.resize(original.size, Image.Resampling.BICUBIC)
    if not _differs(result, original):
        result = _gentle_change(result, prompt, rng)
    return result if has_alpha else result.convert("RGB")


# --------------------------------------------------------------------------------------------
# The provider
# --------------------------------------------------------------------------------------------

_RATIO_WORDS = {
    "square": (1, 1),
    "portrait": (3, 4),
    "landscape": (4, 3),
    "wide": (16, 9),
    "widescreen": (16, 9),
    "banner": (21, 9),
    "panorama": (21, 9),
    "panoramic": (21, 9),
}
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def _parse_dims(value: object) -> tuple[int, int] | None:
    """ "1536x1024" -> (1536, 1024); anything else (None, "auto", "2K") -> None."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*[x×*]\s*(\d{1,5})\s*", str(value or ""), re.IGNORECASE)
    return (int(match[1]), int(match[2])) if match else None


def _parse_ratio(value: object) -> tuple[float, float] | None:
    """ "16:9" -> (16, 9); anything else -> None."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[:/]\s*(\d+(?:\.\d+)?)\s*", str(value or ""))
    if not match or float(match[1]) <= 0 or float(match[2]) <= 0:
        return None
    return float(match[1]), float(match[2])


def _long_side(value: object) -> int | None:
    """ "1K" -> 1024, "2K" -> 2048, "4K" -> 2048 (capped to keep renders quick)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*k\s*", str(value or ""), re.IGNORECASE)
    return min(MAX_SIDE, round(float(match[1]) * 1024)) if match else None


def _ratio_from_prompt(prompt: str) -> tuple[float, float] | None:
    return next((_RATIO_WORDS[t] for t in _tokens(prompt) if t in _RATIO_WORDS), None)


def _clamp_size(width: float, height: float) -> tuple[int, int]:
    """At most MAX_SIDE on the long side (keeping the shape), at least MIN_SIDE on each."""
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(MIN_SIDE, round(width * scale)), max(MIN_SIDE, round(height * scale))


def _resolve_size(request: ImageRequest) -> tuple[int, int]:
    """Config size, config aspect ratio, the LLM's hints, then prompt words; 1024 square last."""
    config = request.config
    explicit = _parse_dims(config.get("size"))
    if explicit:
        return _clamp_size(*explicit)
    long_side = _long_side(config.get("size")) or _long_side(config.get("resolution")) or DEFAULT_SIDE
    ratio = _parse_ratio(config.get("aspect_ratio"))
    if ratio is None:
        hinted = _parse_dims(request.size_hint)
        if hinted:
            return _clamp_size(*hinted)
        long_side = _long_side(request.size_hint) or long_side
        ratio = _parse_ratio(request.aspect_ratio_hint) or _ratio_from_prompt(request.prompt) or (1, 1)
    rw, rh = ratio
    return _clamp_size(long_side, long_side * rh / rw) if rw >= rh else _clamp_size(long_side * rw / rh, long_side)


@dataclass(frozen=True)
class _Output:
    """How results are encoded, from the request's config."""

    format: str  # "png" | "jpeg" | "webp"
    quality: int
    transparent: bool

    @classmethod
    def from_config(cls, config: dict[str, object]) -> _Output:
        fmt = str(config.get("output_format") or "png").lower().replace("jpg", "jpeg")
        fmt = fmt if fmt in _MIME else "png"
        compression = config.get("output_compression")
        quality = 90 if compression is None else max(0, min(100, int(compression)))  # type: ignore[call-overload]
        transparent = config.get("background") == "transparent" and fmt != "jpeg"
        return cls(fmt, quality, transparent)

    @property
    def mime_type(self) -> str:
        return _MIME[self.format]


def _encode(image: Image.Image, output: _Output) -> bytes:
    """Encodes one image; without a transparent background, alpha is flattened onto white."""
    layout = _layout(image)
    if image.mode != "RGB" and not output.transparent:
        flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
        flat.alpha_composite(image.convert("RGBA"))
        image = flat.convert("RGB")
    buffer = io.BytesIO()
    if output.format == "png":
        info = PngImagePlugin.PngInfo()
        info.add_text(LAYOUT_KEY, json.dumps(layout, separators=(",", ":")))
        image.save(buffer, "PNG", compress_level=6, pnginfo=info)
    else:
        image.save(buffer, output.format.upper(), quality=output.quality)
    return buffer.getvalue()


def _decode(source: InputImage) -> Image.Image:
    """The input image, upright and loaded; undecodable data is a permanent bad request."""
    try:
        with Image.open(io.BytesIO(source.data)) as opened:
            opened.load()
            upright = ImageOps.exif_transpose(opened)
            decoded = upright.convert("RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB")
            if LAYOUT_KEY in opened.info and upright.size == opened.size:
                decoded.info[LAYOUT_KEY] = opened.info[LAYOUT_KEY]  # exif_transpose drops text chunks
            return decoded
    except Exception as exc:  # Pillow signals bad data with many types (OSError, SyntaxError, ValueError, ...)
        raise ProviderError(
            f"the input image could not be decoded ({type(exc).__name__})", permanent=True, kind="bad_request"
        ) from exc


class LocalImages:
    """The "local" image provider: renders or edits offline with this module's engine."""

    name: ClassVar[str] = "local"

    def __init__(self, settings: object | None = None, *, latency: float | None = None) -> None:
        del settings  # nothing to configure: no keys, no network
        if latency is None:
            from django.conf import settings as django_settings

            latency = getattr(django_settings, "EASEL_LOCAL_IMAGE_DELAY", 0.0) if django_settings.configured else 0.0
        # Simulated model latency (EASEL_LOCAL_IMAGE_DELAY), so demos and tests see what a remote
        # model's wait looks like: a blurred preview half-way, cancellation while waiting.
        self.latency = float(latency)

    def generate(
        self,
        request: ImageRequest,
        *,
        on_preview: Callable[[ImagePreview], None] = lambda preview: None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[ImageResult]:
        """n images, seeds base+0..n-1; stops early (returning what it has) when cancelled."""
        output = _Output.from_config(request.config)
        source = _decode(request.input_images[0]) if request.input_images else None
        size = _resolve_size(request)
        config_seed = request.config.get("seed")
        base_seed = prompt_seed(request.prompt) if config_seed is None else int(config_seed)
        results: list[ImageResult] = []
        for index in range(max(1, min(10, int(request.config.get("n") or 1)))):
            if cancelled():
                break
            seed = base_seed + index
            if source is not None:
                image = edit(source, request.prompt, seed=seed)
            else:
                image = render(request.prompt, width=size[0], height=size[1], seed=seed, transparent=output.transparent)
            if self.latency > 0:
                self._wait(self.latency / 2, cancelled)
                on_preview(ImagePreview(index, _encode(_preview_of(image), _Output("png", 90, False)), "image/png"))
                self._wait(self.latency / 2, cancelled)
                if cancelled():
                    break
            results.append(ImageResult(_encode(image, output), output.mime_type, revised_prompt=None, seed=seed))
        return results

    @staticmethod
    def _wait(seconds: float, cancelled: Callable[[], bool]) -> None:
        deadline = time.monotonic() + seconds
        while not cancelled() and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(0.05, left))


def _preview_of(image: Image.Image) -> Image.Image:
    """A coarse, blurred stand-in for a partial image."""
    small = image.convert("RGB").resize((max(1, image.width // 16), max(1, image.height // 16)))
    return small.resize((min(256, image.width), min(256, image.height))).filter(ImageFilter.GaussianBlur(2))
