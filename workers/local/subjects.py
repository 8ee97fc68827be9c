"""The subjects the engine can draw: one drawing per kind (robot, sunflower, crescent moon, ...),
the kinds' default colours, tile shapes and zones, and stamping a subject onto an image."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from workers.local.canvas import LAYOUT_KEY, _composite, _downsample, _layout, _Pen, _supersampled
from workers.local.palette import RGB, _darker, _hsv255, _lighter, _mix

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


def _stamp(dst: Image.Image, kind: str, colour: RGB, box: tuple[int, int, int, int]) -> None:
    """Draws a subject into box (x, y, width, height) of an RGBA image, and notes it in the
    image's layout (a new list each time: Pillow's copies share `info` values)."""
    x, y, w, h = box
    _composite(dst, _tile(kind, colour, w, h), x, y)
    entry = {"kind": kind, "colour": list(colour), "box": [x, y, w, h]}
    dst.info[LAYOUT_KEY] = [*_layout(dst), entry]
