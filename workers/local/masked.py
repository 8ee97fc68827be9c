"""Masked edits: an edit confined to the area a mask allows.

The mask is an "L" image the size of the picture: 255 where the edit may change it, 0 where it
must not, values between for a partial change. The edit works on a crop (the bounding box of
the mask's non-zero pixels and a small margin, so "add a moon" puts the moon in that area and
a recolour acts on what is there), and the edited crop goes back through the mask: every pixel
where the mask is 0 keeps its exact value.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image, ImageChops, ImageStat

from workers.local.canvas import LAYOUT_KEY, _layout
from workers.local.variation import _changed, _Variant

_MARGIN = 0.08  # of the area's longer side: context around it, for the edit to read


def _checked_mask(mask: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The mask as "L"; ValueError when it is another size or allows no change at all."""
    if not isinstance(mask, Image.Image):
        raise ValueError(f"the mask must be a Pillow image, not {type(mask).__name__}")
    if mask.size != tuple(size):
        raise ValueError(
            f"the mask is {mask.width}x{mask.height} but the image is {size[0]}x{size[1]}; they must be the same size"
        )
    grey = mask if mask.mode == "L" else mask.convert("L")
    if grey.getbbox() is None:
        raise ValueError("the mask has no non-zero pixel, so it leaves nothing the edit may change")
    return grey


def _area(mask: Image.Image) -> tuple[int, int, int, int]:
    """The box (left, top, right, bottom) of the mask's non-zero pixels and a small margin."""
    left, top, right, bottom = mask.getbbox()  # type: ignore[misc]  # _checked_mask: never None
    margin = max(4, round(_MARGIN * max(right - left, bottom - top)))
    return (
        max(0, left - margin),
        max(0, top - margin),
        min(mask.width, right + margin),
        min(mask.height, bottom + margin),
    )


def _overlaps(entry: dict, box: tuple[int, int, int, int]) -> bool:
    x, y, w, h = entry["box"]
    return x < box[2] and x + w > box[0] and y < box[3] and y + h > box[1]


def _shifted(layout: list[dict], dx: int, dy: int) -> list[dict]:
    return [{**e, "box": [e["box"][0] + dx, e["box"][1] + dy, e["box"][2], e["box"][3]]} for e in layout]


def _crop(img: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """The crop, with the layout record of the subjects it shows in its own coordinates."""
    crop = img.crop(box)
    crop.info[LAYOUT_KEY] = _shifted([e for e in _layout(img) if _overlaps(e, box)], -box[0], -box[1])
    return crop


def _changed_inside(original: Image.Image, result: Image.Image, mask: Image.Image) -> bool:
    """Whether any pixel the mask lets change did change."""
    return ImageChops.multiply(_changed(original, result), mask.point([0] + [255] * 255)).getbbox() is not None


def _forced_change(original: Image.Image, result: Image.Image, mask: Image.Image, variant: _Variant) -> Image.Image:
    """When the edit's change fell outside the mask: a contrasting wash (its strength set by
    the seed) over the masked area, or its stronger half if it has one, so a masked edit never
    comes back unchanged."""
    strong = mask.point([0] * 128 + [255] * 128)
    where = strong if strong.getbbox() else mask.point([0] + [255] * 255)
    mean = ImageStat.Stat(original.convert("RGB"), where).mean
    opposite = Image.new("RGB", original.size, tuple(255 - round(v) for v in mean))
    washed = Image.blend(original.convert("RGB"), opposite, 0.25 + 0.2 * variant.shade).convert("RGBA")
    washed.putalpha(original.getchannel("A"))
    return Image.composite(washed, result, where)


def _edit_inside(
    original: Image.Image,
    mask: Image.Image,
    change: Callable[[Image.Image, Image.Image], Image.Image],
    variant: _Variant,
) -> Image.Image:
    """`change(crop, crop's mask)` applied to the mask's area of `original` (RGBA) and pasted
    back through `mask` (a checked "L" mask): pixels where the mask is 0 come back exactly."""
    box = _area(mask)
    edited = change(_crop(original, box), mask.crop(box))
    if edited.size != (box[2] - box[0], box[3] - box[1]):
        edited = edited.resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.BICUBIC)
    whole = original.copy()
    whole.paste(edited.convert("RGBA"), box[:2])
    result = Image.composite(whole, original, mask)
    if not _changed_inside(original, result, mask):
        result = _forced_change(original, result, mask, variant)
    result.paste(original, (0, 0), mask.point([255] + [0] * 255))  # exact where the mask is 0
    untouched = [e for e in _layout(original) if not _overlaps(e, box)]
    result.info[LAYOUT_KEY] = untouched + _shifted(_layout(edited), box[0], box[1])
    return result
