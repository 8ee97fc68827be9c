"""Edits confined to an area: what the image model is sent, and the composite that keeps the rest.

Two ways to ask (the catalog's `mask` capability): "native" sends the whole source and the
canonical mask (OpenAI's edits endpoint; the local engine); "composite" sends the crop of the
area with a margin and an instruction (Gemini and OpenRouter image models, which take no mask)
and pastes the answer back. Models treat a mask as guidance, not a promise, so whichever way was
used, the stored image is the source with the model's pixels inside the area, faded in over
FEATHER_PX pixels around it: every pixel farther out is the source's, value for value.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageFilter

FEATHER_PX = 6  # the fade's width outside the area; beyond it the source is untouched
CROP_MARGIN = 0.25  # of the area's larger side, around the crop a "composite" model is sent
CROP_MIN_MARGIN = 24
CROP_NOTE = (
    "The image is a crop of a larger picture. Apply the request to it, keep its framing, size, "
    "lighting and edges as they are so it blends back into the picture, and change nothing the "
    "request does not name. Request: "
)
SIZE_KEYS = ("size", "aspect_ratio", "resolution")  # a masked edit keeps its source's size


@dataclass(frozen=True)
class AreaRequest:
    """What the model is sent for a confined edit: the image to edit, the box it covers, a note."""

    method: str
    image_png: bytes
    box: tuple[int, int, int, int]
    prompt: str
    aspect_ratio_hint: str | None = None


def open_image(data: bytes) -> Image.Image:
    """Decoded pixels in a mode compositing keeps exactly: RGBA with transparency, RGB, or L."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if image.mode in ("RGB", "RGBA", "L"):
            return image.copy()
        has_alpha = image.mode in ("LA", "PA", "RGBa", "La") or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def crop_box(editable: Image.Image) -> tuple[int, int, int, int]:
    """The area's bounding box grown by the margin, inside the image."""
    left, top, right, bottom = editable.getbbox() or (0, 0, *editable.size)
    margin = max(CROP_MIN_MARGIN, round(CROP_MARGIN * max(right - left, bottom - top)))
    width, height = editable.size
    return max(0, left - margin), max(0, top - margin), min(width, right + margin), min(height, bottom + margin)


def area_request(method: str, source: Image.Image, editable: Image.Image, prompt: str) -> AreaRequest:
    """The image a model edits for `method`: the whole source (native) or the area's crop."""
    if method == "native":
        return AreaRequest(method, png_bytes(source), (0, 0, *source.size), prompt)
    box = crop_box(editable)
    crop = source.crop(box)
    ratio = f"{crop.width}:{crop.height}"
    return AreaRequest("composite", png_bytes(crop), box, CROP_NOTE + prompt, aspect_ratio_hint=ratio)


def feathered(editable: Image.Image) -> Image.Image:
    """The area grown by half the feather, then blurred over the other half: 255 inside the area,
    a ramp down to 0 within FEATHER_PX outside it, 0 beyond."""
    half = FEATHER_PX // 2
    return editable.filter(ImageFilter.MaxFilter(2 * half + 1)).filter(ImageFilter.BoxBlur(half))


def composite(source: Image.Image, result: bytes, editable: Image.Image, box: tuple[int, int, int, int]) -> bytes:
    """The source with the model's answer for `box` laid in through the feathered area, as PNG.

    The answer is scaled to the box if the model returned another size. Only pixels where the
    feathered area is above 0 are touched; PNG keeps every other one exactly.
    """
    answer = open_image(result).convert(source.mode)
    width, height = box[2] - box[0], box[3] - box[1]
    if answer.size != (width, height):
        answer = answer.resize((width, height), Image.Resampling.LANCZOS)
    # Only near the area can the feathered alpha be above 0: filter that zone, not the whole image.
    left, top, right, bottom = editable.getbbox() or box
    reach = FEATHER_PX + 1
    zone = (
        max(box[0], left - reach),
        max(box[1], top - reach),
        min(box[2], right + reach),
        min(box[3], bottom + reach),
    )
    alpha = feathered(editable.crop(zone))
    patch = answer.crop((zone[0] - box[0], zone[1] - box[1], zone[2] - box[0], zone[3] - box[1]))
    out = source.copy()
    out.paste(patch, zone[:2], alpha)
    return png_bytes(out)


def composite_inside(source: Image.Image, result: bytes, allowed: Image.Image, box: tuple[int, int, int, int]) -> bytes:
    """The source with the model's answer for `box` laid in through `allowed` ("L", 255 = may
    change) with a hard edge, as PNG: a product's print area ends where it ends, and every pixel
    outside it (and every protected pixel) is the source's, value for value."""
    answer = open_image(result).convert(source.mode)
    width, height = box[2] - box[0], box[3] - box[1]
    if answer.size != (width, height):
        answer = answer.resize((width, height), Image.Resampling.LANCZOS)
    out = source.copy()
    out.paste(answer, box[:2], allowed.crop(box))
    return png_bytes(out)
