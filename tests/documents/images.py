"""Image bytes for tests: good ones, tricky ones and hostile ones, all made on the spot."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image

ORIENTATION, GPS_IFD = 0x0112, 0x8825


def png(size=(64, 48), colour=(220, 30, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, "PNG")
    return out.getvalue()


def halves_jpeg_with_exif(*, orientation: int = 6) -> bytes:
    """60x30 stored, left half red and right half blue, with an orientation tag and a GPS position."""
    image = Image.new("RGB", (60, 30), (230, 20, 20))
    image.paste((20, 20, 230), (30, 0, 60, 30))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "SpyCam Inc."  # camera make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 22.0, 10.0), 3: "E", 4: (4.0, 53.0, 30.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("P", (40, 40), i) for i in (1, 2, 3)]
    for index, frame in enumerate(frames):
        frame.putpalette([0, 0, 0, 250, 0, 0, 0, 250, 0, 0, 0, 250] + [0] * 756)
        frames[index] = frame
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def webp(lossless: bool) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (32, 32), (10, 200, 10, 128)).save(out, "WEBP", lossless=lossless)
    return out.getvalue()


def bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "BMP")
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares width x height pixels: decoding it would need gigabytes."""
    raw = png((1, 1))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    patched = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF)
    return raw[:8] + patched + raw[8 + 8 + 13 + 4 :]


def truncated_png() -> bytes:
    """Noise (so it does not compress away), cut off half-way through the pixel data."""
    out = io.BytesIO()
    Image.effect_noise((300, 300), 80).convert("RGB").save(out, "PNG")
    return out.getvalue()[: len(out.getvalue()) // 2]


def zip_payload() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert('owned')</script>")
    return out.getvalue()


HTML_PAYLOAD = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><script>alert(1)</script></svg>"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
