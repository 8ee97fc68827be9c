"""Masks and regions: one vocabulary for "change only here".

A caller names the area an edit may change with a mask (a PNG the size of the source image:
transparent where it may change, OpenAI's convention; or an opaque black and white image, white
where it may change), with `regions` (rectangles and polygons in the source's pixels, origin top
left), or with both (their union). Easel keeps one form of it, the canonical mask: an RGBA PNG
of the source's size, alpha 0 where the image may change and 255 where it must not. That PNG is
what OpenAI's edits endpoint takes as it is, and what `editable_area` reads back for compositing.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageChops, ImageDraw

from designs.exceptions import Invalid
from designs.services.images import NotAnImage, inspect_image

MAX_REGIONS = 32
MAX_POLYGON_POINTS = 100
RECT_KEYS = frozenset({"type", "x", "y", "width", "height"})
POLYGON_KEYS = frozenset({"type", "points"})


@dataclass(frozen=True)
class EditArea:
    """Where an edit may change its source: `png` the canonical mask, `editable` 255 = may change."""

    png: bytes
    editable: Image.Image
    regions: tuple[dict[str, Any], ...] = ()

    @property
    def size(self) -> tuple[int, int]:
        return self.editable.size


def edit_area(
    *, size: tuple[int, int], mask: bytes | None = None, regions: Any = None, field: str = "regions"
) -> EditArea:
    """The canonical area from a mask's bytes and/or regions, checked against the source's size.

    Invalid for a mask that is not an image, is another size, leaves nothing to change, or
    allows everything while regions are also given; and for any region `parse_regions` refuses.
    """
    parsed = parse_regions(regions, size=size, field=field) if regions is not None else []
    editable = Image.new("L", size, 0)
    if mask is not None:
        editable = read_mask(mask, size=size)
        low, high = editable.getextrema()
        if high == 0:
            raise Invalid("mask: it is fully opaque (or all black), so it leaves nothing the edit may change")
        if low == 255 and parsed:
            raise Invalid(
                "mask: it is fully transparent (the whole image may change) and regions were also given; "
                "give one or the other"
            )
    if parsed:
        editable = ImageChops.lighter(editable, regions_image(parsed, size))
    if editable.getbbox() is None:
        raise Invalid(f"{field}: the area covers no whole pixel of the {size[0]}x{size[1]} image")
    return EditArea(png=canonical_png(editable), editable=editable, regions=tuple(parsed))


def read_mask(data: bytes, *, size: tuple[int, int]) -> Image.Image:
    """A mask's bytes as an "L" image, 255 where the image may change.

    A mask with any transparency follows OpenAI (transparent = may change); a fully opaque one
    is read as black and white (white = may change).
    """
    try:
        inspect_image(data)
    except NotAnImage as exc:
        raise Invalid(f"mask: {exc}") from exc
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if image.size != tuple(size):
            raise Invalid(
                f"mask: it is {image.width}x{image.height} but the image it applies to is "
                f"{size[0]}x{size[1]}; they must be the same size"
            )
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        if has_alpha:
            alpha = image.convert("RGBA").getchannel("A")
            if alpha.getextrema()[0] < 255:
                return ImageChops.invert(alpha)
        return image.convert("L")


def canonical_png(editable: Image.Image) -> bytes:
    """The RGBA PNG OpenAI's edits take: black, alpha 255 - editable (transparent = may change)."""
    mask = Image.new("RGBA", editable.size, (0, 0, 0, 255))
    mask.putalpha(ImageChops.invert(editable))
    out = io.BytesIO()
    mask.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()


def editable_area(png: bytes, *, size: tuple[int, int]) -> Image.Image:
    """A stored mask read back for compositing ("L", 255 = may change)."""
    return read_mask(png, size=size)


# --- regions ----------------------------------------------------------------------------------


def parse_regions(value: Any, *, size: tuple[int, int], field: str = "regions") -> list[dict[str, Any]]:
    """`regions` checked against a width x height image and normalised.

    Each is a rectangle `{"x", "y", "width", "height"}` or a polygon `{"points": [[x, y], ...]}`
    (or `{"polygon": [...]}`)
    (an optional `"type"` of "rect" or "polygon" says which), in the image's pixels. Invalid
    names the first region that is outside the image, has no area or crosses itself.
    """
    if not isinstance(value, list):
        raise Invalid(f"{field} must be a list of rectangles and polygons")
    if not value:
        raise Invalid(f"{field}: give at least one region (or leave {field} out)")
    if len(value) > MAX_REGIONS:
        raise Invalid(f"{field}: {len(value)} regions is over the limit of {MAX_REGIONS}")
    return [_region(item, f"{field}[{index}]", size) for index, item in enumerate(value)]


def _region(item: Any, where: str, size: tuple[int, int]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise Invalid(f"{where} must be an object: a rectangle {{x, y, width, height}} or a polygon {{points}}")
    if "polygon" in item and "points" not in item:  # {"polygon": [[x, y], ...]} says the same
        item = {**{k: v for k, v in item.items() if k != "polygon"}, "points": item["polygon"], "type": "polygon"}
    kind = item.get("type")
    if kind is None:
        kind = "polygon" if "points" in item else "rect"
    if kind in ("rect", "rectangle"):
        return _rectangle(item, where, size)
    if kind == "polygon":
        return _polygon(item, where, size)
    raise Invalid(f"{where}.type must be 'rect' or 'polygon', not {str(kind)[:40]!r}")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{where} must be a number of pixels")
    try:
        number = float(value)  # an int of 400 digits does not fit
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise Invalid(f"{where} must be a finite number of pixels")
    return number


def _rectangle(item: dict[str, Any], where: str, size: tuple[int, int]) -> dict[str, Any]:
    unknown = set(item) - RECT_KEYS
    if unknown:
        names = ", ".join(sorted(unknown))[:80]
        raise Invalid(f"{where}: unknown key(s) {names} (a rectangle has x, y, width, height)")
    for key in ("x", "y", "width", "height"):
        if key not in item:
            raise Invalid(f"{where}.{key} is required")
    x, y, width, height = (_number(item[k], f"{where}.{k}") for k in ("x", "y", "width", "height"))
    if width <= 0 or height <= 0:
        raise Invalid(f"{where} has no area (width and height must be above 0)")
    if x < 0 or y < 0 or x + width > size[0] or y + height > size[1]:
        raise Invalid(f"{where} lies outside the {size[0]}x{size[1]} image")
    return {"type": "rect", "x": x, "y": y, "width": width, "height": height}


def _polygon(item: dict[str, Any], where: str, size: tuple[int, int]) -> dict[str, Any]:
    unknown = set(item) - POLYGON_KEYS
    if unknown:
        raise Invalid(f"{where}: unknown key(s) {', '.join(sorted(unknown))[:80]} (a polygon has points)")
    points = item.get("points")
    if not isinstance(points, list) or not 3 <= len(points) <= MAX_POLYGON_POINTS:
        raise Invalid(f"{where}.points must be a list of 3 to {MAX_POLYGON_POINTS} [x, y] points")
    parsed: list[tuple[float, float]] = []
    for index, point in enumerate(points):
        if not isinstance(point, list | tuple) or len(point) != 2:
            raise Invalid(f"{where}.points[{index}] must be an [x, y] pair")
        x, y = (_number(v, f"{where}.points[{index}]") for v in point)
        if not (0 <= x <= size[0] and 0 <= y <= size[1]):
            raise Invalid(f"{where} lies outside the {size[0]}x{size[1]} image (point {index})")
        parsed.append((x, y))
    if _crosses_itself(parsed):
        raise Invalid(f"{where} crosses itself; give its points in order around the shape")
    if abs(_shoelace(parsed)) < 1:
        raise Invalid(f"{where} has no area")
    return {"type": "polygon", "points": [[x, y] for x, y in parsed]}


def _shoelace(points: list[tuple[float, float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)) / 2


def _crosses_itself(points: list[tuple[float, float]]) -> bool:
    """Whether two edges that do not share a corner touch (O(n²): at most 100 points)."""
    edges = list(zip(points, points[1:] + points[:1], strict=True))
    count = len(edges)
    for i in range(count):
        for j in range(i + 1, count):
            if j == i + 1 or (i == 0 and j == count - 1):
                continue  # neighbours share a corner
            if _segments_touch(*edges[i], *edges[j]):
                return True
    return False


def _segments_touch(a, b, c, d) -> bool:  # noqa: ANN001 - four (x, y) points
    def turn(p, q, r) -> float:  # noqa: ANN001
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    def within(p, q, r) -> bool:  # noqa: ANN001 - r on the line pq: is it between p and q?
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])

    d1, d2, d3, d4 = turn(c, d, a), turn(c, d, b), turn(a, b, c), turn(a, b, d)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return any(
        side == 0 and within(p, q, r) for side, p, q, r in ((d1, c, d, a), (d2, c, d, b), (d3, a, b, c), (d4, a, b, d))
    )


def regions_image(regions: list[dict[str, Any]], size: tuple[int, int]) -> Image.Image:
    """The regions drawn as an "L" image, 255 inside (a pixel is in when its area is)."""
    image = Image.new("L", size, 0)
    draw = ImageDraw.Draw(image)
    for region in regions:
        if region["type"] == "rect":
            x0, y0 = math.floor(region["x"]), math.floor(region["y"])
            x1 = math.ceil(region["x"] + region["width"]) - 1
            y1 = math.ceil(region["y"] + region["height"]) - 1
            draw.rectangle((x0, y0, max(x0, x1), max(y0, y1)), fill=255)
        else:
            draw.polygon([tuple(point) for point in region["points"]], fill=255)
    return image
