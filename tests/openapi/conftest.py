"""A live Easel of the OpenAPI tests' own."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from PIL import Image

from designs.services.webhooks import EVENT_TYPES
from tests.dashboard.browser import chromium  # noqa: F401 (the docs pages are looked at in Chromium)
from tests.support.processes import LiveEasel
from tests.webhooks.receiver import Answer, Receiver


@pytest.fixture(scope="module")
def fuzzed_easel(tmp_path_factory) -> Iterator[LiveEasel]:
    """The embedded topology, for the fuzzer alone: what it stores (assistants, threads, provider
    keys with random names) never reaches the servers other tests share. Webhooks may go to
    loopback addresses (the seeded receiver, and whatever URL a fuzzed endpoint names)."""
    # A feed connection ends after 0.3 s, so each fuzzed GET /api/events is a short one.
    env = {"EASEL_LOCAL_IMAGE_DELAY": "0", "EASEL_FEED_SECONDS": "0.3", "EASEL_WEBHOOK_ALLOW_PRIVATE": "1"}
    live = LiveEasel(tmp_path_factory.mktemp("openapi"), env_overrides=env)
    yield live
    live.stop()


@dataclass
class Seeded:
    """The fuzzed server with one of everything the fuzzer cannot make itself, and the receiver of
    its project's webhook (every event type subscribed)."""

    live: LiveEasel
    receiver: Receiver
    ids: dict[str, str] = field(default_factory=dict)  # a path parameter's name -> a real id
    answers: list[tuple[str, dict]] = field(default_factory=list)  # (component, an answer of the seeding)


@pytest.fixture(scope="module")
def seeded_easel(fuzzed_easel: LiveEasel) -> Iterator[Seeded]:
    """With a product template and a customization of it, an image that was reviewed and one
    that was deleted, and a webhook (on a loopback receiver) that was sent each of those events
    and a ping: the fuzzer's ids in paths are random, so without them it would see only empty
    lists, and `ids` gives it real ones to name. (Not for the stateful chains: those would follow
    the template's id to DELETE, which archives it, and read it back: use_after_free.)"""
    receiver = Receiver(then=Answer(204, ""))
    photo = io.BytesIO()
    Image.effect_noise((64, 48), 60).convert("RGB").save(photo, "PNG")
    form = {
        "name": "Seeded tee",
        "print_area": json.dumps({"x": 16, "y": 8, "width": 32, "height": 32}),
        "output": json.dumps({"width_px": 320, "height_px": 320, "dpi": 72}),
    }
    with httpx.Client(base_url=fuzzed_easel.api_url, headers={"X-API-Key": fuzzed_easel.api_key}, timeout=60) as client:
        hook = client.post("/webhooks", json={"url": receiver.url, "events": list(EVENT_TYPES), "description": "seed"})
        assert hook.status_code == 201, hook.text
        webhook_id = hook.json()["webhook_id"]
        template = client.post("/templates", data=form, files={"base": ("tee.png", photo.getvalue(), "image/png")})
        assert template.status_code == 201, template.text
        started = client.post(
            "/customizations", json={"template_id": template.json()["template_id"], "prompt": "a fox"}
        )
        assert started.status_code == 201, started.text
        for prompt in ("a red robot", "a blue robot"):
            turn = client.post("/threads/messages", json={**LOCAL_IMAGE, "content": prompt})
            assert turn.status_code == 200, turn.text
        made = client.get("/documents", params={"operation": "generate", "limit": 2}).json()["documents"]
        decided = client.post(f"/documents/{made[0]['document_id']}/review", json={"decision": "approved"})
        assert decided.status_code == 200, decided.text
        assert client.delete(f"/documents/{made[1]['document_id']}").status_code == 200
        ping = client.post(f"/webhooks/{webhook_id}/ping")
        assert ping.status_code == 202, ping.text
        answers = [
            ("WebhookWithSecret", hook.json()),
            ("WebhookDelivery", ping.json()),
            ("Limits", client.get("/limits").json()),
            ("WebhookDeliveryList", client.get(f"/webhooks/{webhook_id}/deliveries").json()),
        ]
    receiver.wait_for(1, timeout=30, kind="webhook.ping")
    ids = {"webhook_id": webhook_id, "delivery_id": ping.json()["delivery_id"]}
    yield Seeded(fuzzed_easel, receiver, ids, answers)
    receiver.stop()


# A direct image turn on the local painter: a run, image.generated and run.completed.
LOCAL_IMAGE = {
    "operation": "generate_image",
    "image_model_provider": "local",
    "image_model_name": "easel-local-painter",
    "stream": False,
}
