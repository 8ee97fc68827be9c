"""Offline, the whole loop of a confined edit: the local agent turns "the top-left quarter" into a
`regions` rectangle in the image's pixels, the tool confines the edit to it, and the stored image
keeps every pixel outside it (and its feather), checked on decoded pixels."""

from __future__ import annotations

import io

import httpx
from backboard import BackboardClient
from PIL import Image, ImageChops, ImageFilter

LOCAL = dict(llm_provider="local", model_name="easel-local-agent", image_generation="auto")


def pixels(url: str) -> Image.Image:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content)).convert("RGB")


async def test_the_local_agent_edits_only_the_quarter_it_is_told(easel):
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)
    first = await client.send_message("draw a tiny red robot watering a sunflower", **LOCAL)
    (original,) = first.generated_media

    second = await client.send_message("make the top-left quarter blue", thread_id=first.thread_id, **LOCAL)

    (edited,) = second.generated_media
    width, height = original["width"], original["height"]
    assert edited["input_image_document_id"] == original["document_id"]
    assert edited["edit_area"]["regions"] == [
        {"type": "rect", "x": 0, "y": 0, "width": width // 2, "height": height // 2}
    ]
    before, after = pixels(original["url"]), pixels(edited["url"])
    quarter = Image.new("L", (width, height), 0)
    quarter.paste(255, (0, 0, width // 2, height // 2))
    outside = ImageChops.invert(quarter.filter(ImageFilter.MaxFilter(13)))  # the area and its 6 px feather
    changed = ImageChops.difference(before, after).convert("L").point(lambda v: 255 if v else 0)
    assert ImageChops.multiply(changed, outside).getbbox() is None, "a pixel outside the quarter changed"
    assert ImageChops.multiply(changed, quarter).getbbox() is not None, "the quarter did not change"
