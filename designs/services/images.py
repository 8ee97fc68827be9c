"""Reading image bytes safely: what they really are, how big, a clean re-encode and smaller WebPs.

Uploads are decoded in full and re-encoded before anything is stored, so the bytes Easel keeps
and serves are always Pillow's own output: no EXIF (GPS, camera serials), no XMP or comments, no
data appended after the image (a ZIP or HTML "polyglot" trailer), no extra frames. The format is
sniffed from the bytes, never from the file name or the declared content type.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from PIL import Image, ImageOps

from designs.exceptions import Invalid, TooLarge

FORMAT_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
# GIFs are stored as their first frame; PNG keeps the palette and transparency exactly.
STORED_FORMAT = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WEBP", "GIF": "PNG"}
JPEG_QUALITY = 95
WEBP_QUALITY = 90
DOWNSCALED_QUALITY = 80  # the WebPs pages show: a thumbnail, the display size
ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class ImageFacts:
    mime_type: str
    width: int
    height: int


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded upload and what the re-encode did to the original."""

    data: bytes
    facts: ImageFacts
    source_mime_type: str
    source_sha256: str
    source_bytes: int
    changes: tuple[str, ...] = field(default=())

    def provenance(self) -> dict[str, object]:
        return {
            "source_mime_type": self.source_mime_type,
            "source_sha256": self.source_sha256,
            "source_bytes": self.source_bytes,
            "sanitized": list(self.changes),
        }


@dataclass(frozen=True)
class Downscaled:
    """A smaller WebP copy of an image (designs.services.derivatives says which and where)."""

    data: bytes
    width: int
    height: int
    mime_type: str = "image/webp"


class NotAnImage(ValueError):
    pass


@contextmanager
def _decoding(data: bytes) -> Iterator[Image.Image]:
    """Open `data` as one of the allowed formats, turning every decoder failure into NotAnImage."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMAT_MIME)) as image:
                yield image
    except NotAnImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise NotAnImage("Image is too large to decode safely (decompression bomb)") from exc
    except Exception as exc:  # Pillow raises many types for bad input
        raise NotAnImage("Not a valid PNG, JPEG, WebP or GIF image") from exc


def _check_pixels(width: int, height: int) -> None:
    # Checked on the declared size, before any pixel is decoded: a bomb is a few KB on the wire.
    limit = settings.EASEL_MAX_IMAGE_PIXELS
    if width * height > limit:
        raise NotAnImage(
            f"Image of {width}x{height} pixels is over the limit of {limit} pixels "
            "(refused as a possible decompression bomb)"
        )


def inspect_image(data: bytes) -> ImageFacts:
    """Sniff the format from the bytes and check they decode completely within the pixel budget.

    Raises NotAnImage for anything that is not a complete PNG, JPEG, WebP or GIF within
    EASEL_MAX_IMAGE_PIXELS. Used for images from providers, which are stored as they come.
    """
    facts = inspect_header(data)
    check_decodes(data)
    return facts


def inspect_header(data: bytes) -> ImageFacts:
    """`inspect_image` without the full decode: the format, the size within the pixel budget and
    the file's structure (`verify`). Pair it with `check_decodes` before trusting the pixels."""
    with _decoding(data) as image:
        width, height = image.size
        _check_pixels(width, height)
        image_format = image.format or ""
        image.verify()
    return ImageFacts(FORMAT_MIME[image_format], width, height)


def check_decodes(data: bytes) -> None:
    """NotAnImage unless every pixel decodes (verify() reads no pixel data: a truncated file
    passes it). Pillow decodes outside the GIL, so this can overlap other work."""
    with _decoding(data) as image:
        image.load()


def sanitize_image(data: bytes) -> CleanImage:
    """Decode fully, apply the EXIF orientation, keep the first frame, re-encode without metadata.

    Raises NotAnImage for a wrong or truncated format or too many pixels. The ICC colour
    profile is kept (it changes how the pixels look; it says nothing about the person).
    """
    inspect_image(data)
    changes: list[str] = []
    with _decoding(data) as image:
        source_format = image.format or ""
        if getattr(image, "n_frames", 1) > 1:
            changes.append("first_frame_only")
        image.seek(0)
        image.load()
        exif = image.getexif()
        if exif or any(key in image.info for key in ("exif", "xmp", "comment", "XML:com.adobe.xmp")):
            changes.append("metadata_removed")
        if exif.get(ORIENTATION_TAG, 1) != 1:
            changes.append("orientation_applied")
        transparency = image.info.get("transparency")
        icc_profile = image.info.get("icc_profile")
        lossless_webp = source_format == "WEBP" and _webp_is_lossless(data)
        upright = ImageOps.exif_transpose(image)
    stored_format = STORED_FORMAT[source_format]
    if stored_format != source_format:
        changes.append(f"converted_{source_format.lower()}_to_{stored_format.lower()}")
    clean = _encodable(upright, stored_format)
    # A fresh info dict: some encoders fall back to image.info for comments and profiles.
    clean.info = {}
    options: dict[str, object] = {}
    if icc_profile and clean.mode == upright.mode:
        options["icc_profile"] = icc_profile
    if stored_format == "PNG" and clean.mode == "P" and transparency is not None:
        options["transparency"] = transparency
    if stored_format == "JPEG":
        options["quality"] = JPEG_QUALITY
    elif stored_format == "WEBP" and lossless_webp:
        options["lossless"] = True
    elif stored_format == "WEBP":
        options["quality"] = WEBP_QUALITY
    out = io.BytesIO()
    clean.save(out, stored_format, **options)
    encoded = out.getvalue()
    return CleanImage(
        data=encoded,
        facts=ImageFacts(FORMAT_MIME[stored_format], clean.width, clean.height),
        source_mime_type=FORMAT_MIME[source_format],
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_bytes=len(data),
        changes=tuple(changes),
    )


def _encodable(image: Image.Image, stored_format: str) -> Image.Image:
    """The image in a mode the target format can store, converting only when it must."""
    mode = image.mode
    if stored_format == "JPEG" and mode not in ("L", "RGB"):
        return image.convert("RGB")
    if stored_format == "WEBP" and mode not in ("RGB", "RGBA"):
        return image.convert("RGBA" if _has_alpha(image) else "RGB")
    if stored_format == "PNG" and mode in ("PA", "CMYK", "YCbCr", "LAB", "HSV"):
        return image.convert("RGBA" if _has_alpha(image) else "RGB")
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP file's image chunk is VP8L (lossless), walking the RIFF chunks."""
    offset = 12
    while offset + 8 <= len(data):
        fourcc = data[offset : offset + 4]
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        if fourcc in (b"VP8L", b"VP8 "):
            return fourcc == b"VP8L"
        offset += 8 + size + (size & 1)
    return False


def make_webps(data: bytes, max_sides: Sequence[int]) -> list[Downscaled]:
    """A WebP of at most each of `max_sides` pixels a side, in that order, from one decode; never upscales."""
    if not max_sides:
        return []
    largest = max(max_sides)
    with _decoding(data) as image:
        image.seek(0)
        image.draft("RGB", (largest, largest))  # JPEG decodes at a reduced scale: much faster
        upright = ImageOps.exif_transpose(image)
    if upright.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        upright = upright.convert("I").point(lambda value: value / 256).convert("L")
    frame = upright.convert("RGBA" if _has_alpha(upright) else "RGB")
    return [_webp(frame, max_side) for max_side in max_sides]


def _webp(frame: Image.Image, max_side: int) -> Downscaled:
    small = frame.copy()
    small.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "WEBP", quality=DOWNSCALED_QUALITY, method=4)
    return Downscaled(out.getvalue(), small.width, small.height)


def read_upload(upload, *, field: str) -> CleanImage:
    """An uploaded image, checked and re-encoded; TooLarge when too big, Invalid when not acceptable."""
    if upload.size > settings.EASEL_MAX_UPLOAD_BYTES:
        raise TooLarge(
            f"{field}: file of {upload.size} bytes is over the limit of {settings.EASEL_MAX_UPLOAD_BYTES} bytes"
        )
    data = upload.read()
    try:
        return sanitize_image(data)
    except NotAnImage as exc:
        raise Invalid(f"{field}: {exc}") from exc
