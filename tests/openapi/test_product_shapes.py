"""What schemathesis cannot reach: a real template and customization (made with a valid photo and
template id), and each event of a customization's streams, against the documented shapes."""

from __future__ import annotations

import io
import json

import httpx
from PIL import Image

from designs.events import EventType
from tests.openapi.schema_document import openapi_document
from tests.openapi.test_schema_document import validator_for
from tests.support.sse import read_all


def conforms(component: str, value: object) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in validator_for(openapi_document(), component).iter_errors(value)]


async def test_a_real_template_customization_and_their_events_match_the_documented_shapes(fuzzed_easel):
    photo = io.BytesIO()
    Image.effect_noise((160, 120), 60).convert("RGB").save(photo, "PNG")
    form = {
        "name": "Plain white tee",
        "print_area": json.dumps({"x": 40, "y": 20, "width": 60, "height": 75}),
        "protect_regions": json.dumps([{"x": 60, "y": 30, "width": 20, "height": 10}]),
        "output": json.dumps({"width_px": 480, "height_px": 600, "dpi": 300, "min_dpi": 72}),
    }
    headers = {"X-API-Key": fuzzed_easel.api_key}
    async with httpx.AsyncClient(base_url=fuzzed_easel.api_url, headers=headers, timeout=60) as client:
        made = await client.post("/templates", data=form, files={"base": ("tee.png", photo.getvalue(), "image/png")})
        assert made.status_code == 201 and not conforms("Template", made.json()), made.text
        template_id = made.json()["template_id"]
        changed = await client.put(f"/templates/{template_id}", json={"default_prompt": "a fox", "metadata": {}})
        assert changed.status_code == 200 and not conforms("Template", changed.json())

        started = await client.post("/customizations", json={"template_id": template_id, "n": 2})
        customization = started.json()
        assert started.status_code == 201 and not conforms("Customization", customization), started.text
        document_id = customization["variants"][0]["document_id"]
        url = f"/customizations/{customization['customization_id']}"
        frames = [
            *await read_all(client, "POST", "/customizations", json={"template_id": template_id, "stream": True}),
            *await read_all(
                client, "POST", f"{url}/refine", json={"document_id": document_id, "prompt": "bluer", "stream": True}
            ),
            *await read_all(client, "GET", f"{url}/events"),
        ]
        selected = await client.post(f"{url}/select", json={"document_id": document_id})
        assert selected.status_code == 200 and not conforms("Customization", selected.json())
        variant = await client.get(f"/documents/{document_id}")
        assert not conforms("Document", variant.json())

    kinds = {event["type"] for _event_id, event in frames}
    assert {EventType.VARIANT_GENERATED, EventType.CUSTOMIZATION_COMPLETED} <= kinds
    for _event_id, event in frames:
        assert not conforms("StreamEvent", event), event
