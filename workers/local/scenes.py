"""Scenes: the sky, light and ground a place and time of day call for, and each place's scenery
(hedges, waves, dunes, pines, a skyline); everything in the picture that the prompt did not name."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw

from workers.local.palette import RGB, _darker, _from_hsv, _lighter, _mix
from workers.local.prompt import _Plan
from workers.local.subjects import _KINDS, _VARIED, _stamp


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
    side = rng.random() < 0.5  # the seed puts the light on its usual side or the other one
    if scene.lighting == "night":
        _scatter_stars(img, horizon, rng)
        if not kinds & {"moon", "crescent"} and scene.place != "space":
            x, y = round(w * 0.08) if side else round(w * 0.92) - unit // 6, round(h * rng.uniform(0.05, 0.1))
            _stamp(img, "crescent", _KINDS["crescent"].colour, (x, y, unit // 6, unit // 6))
    elif scene.lighting == "sunny" and "sun" not in kinds:
        x = round(w * 0.92) - unit // 5 if side else round(w * 0.08)
        _stamp(img, "sun", _KINDS["sun"].colour, (x, round(h * rng.uniform(0.03, 0.08)), unit // 5, unit // 5))
    elif scene.lighting == "sunset" and "sun" not in kinds:
        r, x = unit // 6, w * (0.62 if side else 0.38)
        ImageDraw.Draw(img).ellipse((x - r, horizon - r, x + r, horizon + r), fill=(255, 190, 90))


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
