"""Laying out the named subjects: backdrop subjects, a row in the sky and a row on the ground."""

from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image

from workers.local.palette import RGB
from workers.local.prompt import _Plan, _Subject
from workers.local.scenes import _Scene
from workers.local.subjects import _KINDS, _VARIED, _stamp
from workers.local.variation import _Variant, _vary_subject


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


def _paint_subjects(
    layer: Image.Image, plan: _Plan, scene: _Scene, rng: random.Random, variant: _Variant | None = None
) -> None:
    """Backdrop subjects first, then the sky, then the row standing on the ground; a variant
    shades and sizes every subject a little."""
    items = _expand(plan.subjects)
    if variant is not None:
        items = [_Item(i.kind, *_vary_subject(i.colour, i.scale, variant)) for i in items]
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
