"""Writing results as PNG (with the layout record in a text chunk), JPEG or WebP, and reading
an input image back with its layout record."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

from PIL import Image, ImageOps, PngImagePlugin

from workers.local.canvas import LAYOUT_KEY, _layout

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class Output:
    """How results are encoded, from the request's config."""

    format: str  # "png" | "jpeg" | "webp"
    quality: int
    transparent: bool

    @classmethod
    def from_config(cls, config: dict[str, object]) -> Output:
        fmt = str(config.get("output_format") or "png").lower().replace("jpg", "jpeg")
        fmt = fmt if fmt in _MIME else "png"
        compression = config.get("output_compression")
        quality = 90 if compression is None else max(0, min(100, int(compression)))  # type: ignore[call-overload]
        transparent = config.get("background") == "transparent" and fmt != "jpeg"
        return cls(fmt, quality, transparent)

    @property
    def mime_type(self) -> str:
        return _MIME[self.format]


def encode(image: Image.Image, output: Output) -> bytes:
    """Encodes one image; without a transparent background, alpha is flattened onto white."""
    layout = _layout(image)
    if image.mode != "RGB" and not output.transparent:
        flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
        flat.alpha_composite(image.convert("RGBA"))
        image = flat.convert("RGB")
    buffer = io.BytesIO()
    if output.format == "png":
        info = PngImagePlugin.PngInfo()
        info.add_text(LAYOUT_KEY, json.dumps(layout, separators=(",", ":")))
        image.save(buffer, "PNG", compress_level=6, pnginfo=info)
    else:
        image.save(buffer, output.format.upper(), quality=output.quality)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    """The image in `data`, upright and loaded, keeping its layout record; Pillow's own error
    (of many types: OSError, SyntaxError, ValueError, ...) when the bytes are not an image."""
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        upright = ImageOps.exif_transpose(opened)
        decoded = upright.convert("RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB")
        if LAYOUT_KEY in opened.info and upright.size == opened.size:
            decoded.info[LAYOUT_KEY] = opened.info[LAYOUT_KEY]  # exif_transpose drops text chunks
        return decoded
