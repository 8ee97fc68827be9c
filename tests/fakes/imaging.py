"""The pictures the image fakes send back: fresh drawings, and edits derived from an input image.

A fresh image is one solid colour taken from a key (the prompt, plus whatever else should tell
two pictures apart). An edit simulates a model that treats its input as a starting point and a
mask as guidance, never as a stencil (OpenAI's guide warns the mask is followed loosely, and
users measure changes outside it):

* the first input image is resized (stretched) to the output size;
* EVERY channel of EVERY pixel then moves by a small step, 2 to 11, toward the middle
  (up below 128, down from 128), so nothing outside the edited region survives byte for byte
  and nothing clips;
* the edited region (a mask's transparent pixels, the middle of the picture, or all of it)
  instead has every channel rotated by 64 to 191 (mod 256), so it differs by at least 64.

Both steps come from the key, so distinct keys (an index, a seed, a random salt) give distinct
bytes. `derive_edit` is public so a test can rebuild the exact picture it should receive.
"""

from __future__ import annotations

import hashlib
import io
import math

from PIL import Image, ImageChops

PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def colour_for(key: str, shade: float = 1.0) -> tuple[int, int, int]:
    """The solid colour a fresh picture for `key` is painted in."""
    red, green, blue = (min(255, int(c * shade)) for c in digest(key)[:3])
    return red, green, blue


def encode(image: Image.Image, fmt: str = "png") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=PIL_FORMATS.get(fmt, "PNG"))
    return buffer.getvalue()


def solid(key: str, width: int, height: int, *, fmt: str = "png", shade: float = 1.0) -> bytes:
    """A fresh picture: one colour from `key`, as a real png/jpeg/webp file."""
    return encode(Image.new("RGB", (width, height), colour_for(key, shade)), fmt)


def decode(data: bytes) -> Image.Image | None:
    """The decoded image, or None when Pillow cannot read the bytes as one."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception:  # noqa: BLE001 - any failure means "not an image" to the vendor too
        return None
    return image


def has_alpha(image: Image.Image) -> bool:
    """Whether the image carries transparency (an alpha band or a tRNS chunk)."""
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def nudge_step(key: str) -> int:
    return 2 + digest(key + "/nudge")[0] % 10


def rotation(key: str) -> tuple[int, int, int]:
    red, green, blue = (64 + c % 128 for c in digest(key + "/edit")[:3])
    return red, green, blue


def derive_edit(source: Image.Image, key: str, size: tuple[int, int], region: Image.Image | None = None) -> Image.Image:
    """The edit of `source` (see the module docstring); `region` is an L image, 255 = edit here.

    `region=None` edits the whole picture.
    """
    base = source.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    step = nudge_step(key)
    nudged = base.point([v + step if v < 128 else v - step for v in range(256)] * 3)
    red, green, blue = rotation(key)
    rotated = base.point([(v + d) % 256 for d in (red, green, blue) for v in range(256)])
    if region is None:
        return rotated
    return Image.composite(rotated, nudged, region.convert("L").resize(size, Image.Resampling.NEAREST))


def transparent_region(mask: Image.Image) -> Image.Image:
    """Where a mask allows edits: 255 where its alpha is 0 (OpenAI's convention), else 0."""
    alpha = mask.convert("RGBA").getchannel("A")
    return alpha.point([255 if v == 0 else 0 for v in range(256)])


def centre_region(size: tuple[int, int]) -> Image.Image:
    """The middle half of the picture in each direction: where an instruction-only edit lands."""
    width, height = size
    region = Image.new("L", size, 0)
    region.paste(255, (width // 4, height // 4, width - width // 4, height - height // 4))
    return region


def changed_fraction(before: Image.Image, after: Image.Image) -> float:
    """The fraction of pixels that differ at all (same size, RGB), for tests."""
    diff = ImageChops.difference(before.convert("RGB"), after.convert("RGB"))
    changed = diff.point(lambda v: 255 if v else 0).convert("L").point(lambda v: 255 if v else 0)
    return changed.histogram()[255] / (changed.width * changed.height)


def nearest_ratio(width: int, height: int, ratios: dict[str, tuple[int, int]]) -> str:
    """The key of `ratios` (name -> output size) whose shape is closest to width x height."""
    target = math.log(width / height)
    return min(ratios, key=lambda name: abs(math.log(ratios[name][0] / ratios[name][1]) - target))
