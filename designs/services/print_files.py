"""Print files and mockups: a customized product image made ready for a printer, and for a page.

A print file is the print area cropped out of the product image, scaled to the output's trim size,
grown by bleed on every side, and saved with what a print shop checks before it prints: the DPI
written into the file and an embedded sRGB profile (without one, a RIP guesses the colour space).
Bleed is made by edge extension, not by scaling: repeating the outermost pixels keeps the trim
line exactly where the customer's design put it, and the cut may wander into the bleed safely.

This module knows only Pillow, so a worker, a view or a script can call it with bytes in hand.
Coordinates are the image's stored pixels; EXIF orientation is not applied, because the area
was measured on the pixels as stored.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, fields

from PIL import Image, ImageChops, ImageCms, UnidentifiedImageError

MIME = {"png": "image/png", "jpeg": "image/jpeg", "tiff": "image/tiff"}
PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF"}
MIN_DPI, MAX_DPI = 72, 1200
WHITE = (255, 255, 255, 255)
MOCKUP_DPI = 72
MOCKUP_QUALITY = 90


@dataclass(frozen=True)
class OutputSpec:
    """What a product's printer wants: the trim size in pixels, its DPI, a file format, and bleed."""

    width_px: int  # trim size of the print file, without bleed
    height_px: int
    dpi: int
    format: str  # "png" | "jpeg" | "tiff"
    bleed_px: int = 0  # added on every side, by edge extension
    min_dpi: int | None = None  # the lowest effective_dpi the printer accepts; callers compare

    def __post_init__(self) -> None:
        """Checked here so a bad stored spec fails when it is read, not halfway through a render."""
        for name in ("width_px", "height_px", "dpi", "bleed_px"):
            if not _is_int(getattr(self, name)):
                raise ValueError(f"{name} must be an integer")
        if self.width_px < 1 or self.height_px < 1:
            raise ValueError("width_px and height_px must be at least 1")
        if not MIN_DPI <= self.dpi <= MAX_DPI:
            raise ValueError(f"dpi must be between {MIN_DPI} and {MAX_DPI}")
        if self.format not in MIME:
            raise ValueError(f"format must be one of {', '.join(MIME)}")
        if self.bleed_px < 0:
            raise ValueError("bleed_px must not be negative")
        if self.min_dpi is not None and (not _is_int(self.min_dpi) or self.min_dpi < 1):
            raise ValueError("min_dpi must be a positive integer or null")

    @classmethod
    def from_dict(cls, data: dict) -> OutputSpec:
        """From the stored JSON: unknown keys are ignored, missing optional ones take their defaults."""
        known = {field.name for field in fields(cls)}
        missing = sorted(name for name in ("width_px", "height_px", "dpi", "format") if name not in data)
        if missing:
            raise ValueError(f"output spec is missing {', '.join(missing)}")
        return cls(**{key: value for key, value in data.items() if key in known})


def effective_dpi(area_size: tuple[int, int], spec: OutputSpec) -> float:
    """The DPI the print area's own pixels give at the output's physical size: area_px * dpi / output_px,
    the smaller of the two axes (the blurrier axis is the one a customer sees)."""
    width, height = area_size
    return min(width * spec.dpi / spec.width_px, height * spec.dpi / spec.height_px)


def print_file(
    image: bytes, area: tuple[int, int, int, int], spec: OutputSpec, mask: Image.Image | None = None
) -> bytes:
    """The print area of `image` (x, y, width, height in its pixels) as a print-ready file in spec.format.

    `mask` (mode "L", the size of `image`, 255 = inside the print area) clears what lies outside it:
    transparent in PNG and TIFF, white in JPEG. Raises ValueError for an empty area or one that is
    not inside the image, a mask of the wrong size, or bytes that are not an image.
    """
    source = _open(image)
    _check_area(area, source.size)
    crop = _crop(source, area, mask)
    if spec.format == "jpeg" or _is_opaque(crop):
        crop = _flatten(crop)  # an opaque crop needs no alpha; a JPEG cannot hold one
    trimmed = crop.resize((spec.width_px, spec.height_px), Image.Resampling.LANCZOS)
    return _save(_extend_edges(trimmed, spec.bleed_px), spec)


def mockup(image: bytes, max_side: int = 1600) -> bytes:
    """The whole customized product at display size: scaled down (never up) so its longer side is at
    most max_side, on white where it is transparent, as a JPEG with the sRGB profile at 72 dpi."""
    if max_side < 1:
        raise ValueError("max_side must be at least 1")
    picture = _flatten(_open(image).convert("RGBA"))
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # thumbnail only ever shrinks
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=MOCKUP_QUALITY, dpi=(MOCKUP_DPI, MOCKUP_DPI), icc_profile=srgb_profile())
    return out.getvalue()


@functools.cache
def srgb_profile() -> bytes:
    """The sRGB ICC profile every file embeds; built once, as littleCMS takes a moment to make it."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _open(data: bytes) -> Image.Image:
    """Decoded now, so a broken upload is a ValueError here and not an OSError at the first crop."""
    try:
        picture = Image.open(io.BytesIO(data))
        picture.load()
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"not a readable image: {error}") from error
    return picture


def _check_area(area: tuple[int, int, int, int], size: tuple[int, int]) -> None:
    x, y, width, height = area
    if width <= 0 or height <= 0:
        raise ValueError("the print area is empty")
    if x < 0 or y < 0 or x + width > size[0] or y + height > size[1]:
        raise ValueError(f"the print area {area} is not inside the {size[0]}x{size[1]} image")


def _crop(source: Image.Image, area: tuple[int, int, int, int], mask: Image.Image | None) -> Image.Image:
    """The area as RGBA, its alpha scaled by the mask (so a soft mask edge stays soft)."""
    x, y, width, height = area
    box = (x, y, x + width, y + height)
    crop = source.convert("RGBA").crop(box)
    if mask is None:
        return crop
    if mask.size != source.size:
        raise ValueError(f"the mask is {mask.size[0]}x{mask.size[1]}, the image {source.size[0]}x{source.size[1]}")
    inside = mask.convert("L").crop(box)
    crop.putalpha(ImageChops.multiply(crop.getchannel("A"), inside))
    return crop


def _is_opaque(picture: Image.Image) -> bool:
    return picture.getchannel("A").getextrema()[0] == 255


def _flatten(picture: Image.Image) -> Image.Image:
    """RGBA onto white, as RGB: paper is white where nothing is printed."""
    return Image.alpha_composite(Image.new("RGBA", picture.size, WHITE), picture).convert("RGB")


def _extend_edges(picture: Image.Image, bleed: int) -> Image.Image:
    """Grow by `bleed` on every side, repeating the outermost columns then rows, so corners take the corner pixel."""
    if bleed == 0:
        return picture
    return _extend_rows(_extend_columns(picture, bleed), bleed)


def _extend_columns(picture: Image.Image, bleed: int) -> Image.Image:
    width, height = picture.size
    grown = Image.new(picture.mode, (width + 2 * bleed, height))
    grown.paste(picture, (bleed, 0))
    grown.paste(picture.crop((0, 0, 1, height)).resize((bleed, height), Image.Resampling.NEAREST), (0, 0))
    right = picture.crop((width - 1, 0, width, height)).resize((bleed, height), Image.Resampling.NEAREST)
    grown.paste(right, (bleed + width, 0))
    return grown


def _extend_rows(picture: Image.Image, bleed: int) -> Image.Image:
    width, height = picture.size
    grown = Image.new(picture.mode, (width, height + 2 * bleed))
    grown.paste(picture, (0, bleed))
    grown.paste(picture.crop((0, 0, width, 1)).resize((width, bleed), Image.Resampling.NEAREST), (0, 0))
    bottom = picture.crop((0, height - 1, width, height)).resize((width, bleed), Image.Resampling.NEAREST)
    grown.paste(bottom, (0, bleed + height))
    return grown


def _save(picture: Image.Image, spec: OutputSpec) -> bytes:
    options = {"dpi": (spec.dpi, spec.dpi), "icc_profile": srgb_profile()}
    if spec.format == "jpeg":
        options |= {"quality": 95, "subsampling": 0}
    elif spec.format == "tiff":
        options["compression"] = "tiff_lzw"
    out = io.BytesIO()
    picture.save(out, PIL_FORMAT[spec.format], **options)
    return out.getvalue()
