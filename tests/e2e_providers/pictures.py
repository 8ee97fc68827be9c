"""Pictures for the edit tests: a photo-like source, stored in Easel, and pixel comparisons."""

from __future__ import annotations

import hashlib
import io
import random
from typing import Any

import httpx
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from tests.e2e_providers.stack import api_call
from tests.support.processes import LiveEasel

FEATHER = 6  # workers.masked_edit.FEATHER_PX: the fade's width outside the area


def photo(width: int = 320, height: int = 240, *, seed: int = 1, mode: str = "RGB") -> bytes:
    """A noisy picture: no two neighbouring pixels alike, so a changed pixel cannot hide."""
    rng = random.Random(seed)
    noise = Image.frombytes(mode, (width, height), rng.randbytes(width * height * len(mode)))
    out = io.BytesIO()
    noise.save(out, "PNG")
    return out.getvalue()


def decoded(data: bytes, mode: str = "RGB") -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert(mode)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload(easel: LiveEasel, data: bytes, *, key: str | None = None, thread_id: str | None = None) -> dict[str, Any]:
    """Store `data` as an upload in a thread (a new one unless named); the upload's attachment."""
    fields = {"content": "the source", "send_to_llm": "false", **({"thread_id": thread_id} if thread_id else {})}
    response = api_call(
        easel, "POST", "/threads/messages", key=key, data=fields, files={"files": ("source.png", data, "image/png")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return {"document_id": body["attachments"][0]["document_id"], "thread_id": body["thread_id"]}


def fetch(url: str) -> bytes:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, response.text
    return response.content


def rect_area(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    area = Image.new("L", size, 0)
    ImageDraw.Draw(area).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=255)
    return area


def grown(area: Image.Image, by: int = FEATHER) -> Image.Image:
    return area.filter(ImageFilter.MaxFilter(2 * by + 1))


def changed_outside(source: Image.Image, result: Image.Image, area: Image.Image) -> int:
    """How many pixels farther than the feather from `area` differ from the source."""
    difference = ImageChops.difference(source, result).convert("L").point(lambda v: 255 if v else 0)
    outside = ImageChops.invert(grown(area))
    return ImageChops.multiply(difference, outside).histogram()[255]


def changed_inside(source: Image.Image, result: Image.Image, area: Image.Image) -> float:
    """The share of the area's pixels that differ from the source."""
    difference = ImageChops.difference(source, result).convert("L").point(lambda v: 255 if v else 0)
    inside = ImageChops.multiply(difference, area).histogram()[255]
    return inside / max(1, area.histogram()[255])
