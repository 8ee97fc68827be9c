"""Colours: the colour words a prompt may use, tone words ("dark", "pale"), mixing and HSV."""

from __future__ import annotations

import colorsys

RGB = tuple[int, int, int]

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
