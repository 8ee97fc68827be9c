"""Drawing surfaces: the pen that draws a subject on its tile in fractional coordinates,
supersampling (draw at 2x, box-filter down), compositing, and the layout record (what was
drawn where) that an image carries so a later edit can find its subjects."""

from __future__ import annotations

import json
import math

from PIL import Image, ImageDraw

from workers.local.palette import RGB, _darker

SUPERSAMPLE = 2  # subjects are drawn at 2x and box-filtered down: cheap anti-aliasing


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
