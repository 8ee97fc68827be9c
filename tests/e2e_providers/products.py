"""A product template and its customizations, as a storefront's code would drive them over HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
from PIL import Image

from tests.e2e_providers.pictures import photo
from tests.e2e_providers.stack import api_call
from tests.support.processes import LiveEasel

SHIRT = (320, 240)
AREA = {"x": 100, "y": 60, "width": 120, "height": 150}  # the chest
LOGO = {"x": 140, "y": 70, "width": 40, "height": 20}  # a printed label inside it: never changes
OUTPUT = {"width_px": 480, "height_px": 600, "dpi": 300, "format": "png", "bleed_px": 12, "min_dpi": 72}


def shirt_photo(seed: int = 7) -> bytes:
    """A noisy product photo: no two neighbouring pixels alike, so a changed pixel cannot hide."""
    return photo(*SHIRT, seed=seed)


def make_template(easel: LiveEasel, *, key: str | None = None, base: bytes | None = None, **fields: Any) -> dict:
    form = {
        "name": "Plain white tee",
        "print_area": json.dumps(fields.pop("print_area", AREA)),
        "output": json.dumps(fields.pop("output", OUTPUT)),
        **{k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in fields.items()},
    }
    if "protect_regions" not in fields:
        form["protect_regions"] = json.dumps([LOGO])
    files = {"base": ("tee.png", base or shirt_photo(), "image/png")}
    response = api_call(easel, "POST", "/templates", key=key, data=form, files=files)
    assert response.status_code == 201, response.text
    return response.json()


def customize(easel: LiveEasel, template_id: str, *, key: str | None = None, headers=None, **fields: Any):
    body = {"template_id": template_id, "prompt": "a red dragon breathing fire", **fields}
    all_headers = {"X-API-Key": key or easel.api_key, **(headers or {})}
    return httpx.post(easel.api_url + "/customizations", json=body, headers=all_headers, timeout=90)


def stream(easel: LiveEasel, method: str, path: str, *, headers=None, **kwargs: Any) -> list[tuple[str, dict]]:
    """Every SSE event of a request, as (id, event), up to the end of the stream."""
    out: list[tuple[str, dict]] = []
    all_headers = {"X-API-Key": easel.api_key, **(headers or {})}
    with httpx.stream(method, easel.api_url + path, headers=all_headers, timeout=90, **kwargs) as response:
        assert response.status_code == 200, response.read()
        event_id = ""
        for line in response.iter_lines():
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                out.append((event_id, json.loads(line[6:])))
    return out


def allowed(size: tuple[int, int] = SHIRT, scale: float = 1.0) -> Image.Image:
    """Where a variant may differ from the base: the print area less the logo (255)."""
    area = Image.new("L", SHIRT, 0)
    area.paste(255, _box(AREA))
    area.paste(0, _box(LOGO))
    return area if size == SHIRT else area.resize(size, Image.Resampling.NEAREST)


def logo(size: tuple[int, int] = SHIRT) -> Image.Image:
    area = Image.new("L", SHIRT, 0)
    area.paste(255, _box(LOGO))
    return area if size == SHIRT else area.resize(size, Image.Resampling.NEAREST)


def _box(rect: dict[str, int]) -> tuple[int, int, int, int]:
    return rect["x"], rect["y"], rect["x"] + rect["width"], rect["y"] + rect["height"]


def differing(a: Image.Image, b: Image.Image, where: Image.Image) -> int:
    """How many pixels marked in `where` differ between a and b."""
    pa, pb, pw = a.convert("RGB").load(), b.convert("RGB").load(), where.load()
    return sum(1 for y in range(a.height) for x in range(a.width) if pw[x, y] and pa[x, y] != pb[x, y])


def outside(where: Image.Image) -> Image.Image:
    return where.point(lambda v: 0 if v else 255)
