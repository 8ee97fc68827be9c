"""Reading image bytes safely: what format they really are and how big they are."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image

from designs.errors import ApiError

FORMAT_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


@dataclass(frozen=True)
class ImageFacts:
    mime_type: str
    width: int
    height: int


class NotAnImage(ValueError):
    pass


def inspect_image(data: bytes) -> ImageFacts:
    """Sniff the format from the bytes (never the name) and check the pixel budget.

    Raises NotAnImage for anything that is not a complete PNG, JPEG, WebP or GIF within
    EASEL_MAX_IMAGE_PIXELS.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMAT_MIME)) as image:
                width, height = image.size
                if width * height > settings.EASEL_MAX_IMAGE_PIXELS:
                    raise NotAnImage(
                        f"Image of {width}x{height} pixels is over the limit of "
                        f"{settings.EASEL_MAX_IMAGE_PIXELS} pixels"
                    )
                image_format = image.format or ""
                image.verify()
            # verify() does not decode pixel data; a full load catches truncated files.
            with Image.open(io.BytesIO(data), formats=list(FORMAT_MIME)) as image:
                image.load()
    except NotAnImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise NotAnImage("Image is too large to decode safely (decompression bomb)") from exc
    except Exception as exc:  # Pillow raises many types for bad input
        raise NotAnImage("Not a valid PNG, JPEG, WebP or GIF image") from exc
    return ImageFacts(FORMAT_MIME[image_format], width, height)


def read_upload(upload, *, field: str) -> tuple[bytes, ImageFacts]:
    """Bytes and facts of an uploaded image; ApiError (400/413) when it is not acceptable."""
    if upload.size > settings.EASEL_MAX_UPLOAD_BYTES:
        raise ApiError(
            f"{field}: file of {upload.size} bytes is over the limit of "
            f"{settings.EASEL_MAX_UPLOAD_BYTES} bytes",
            413,
        )
    data = upload.read()
    try:
        return data, inspect_image(data)
    except NotAnImage as exc:
        raise ApiError(f"{field}: {exc}") from exc
