"""A live Easel of the OpenAPI tests' own."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from tests.dashboard.browser import chromium  # noqa: F401 (the docs pages are looked at in Chromium)
from tests.support.processes import LiveEasel


@pytest.fixture(scope="module")
def fuzzed_easel(tmp_path_factory) -> Iterator[LiveEasel]:
    """The embedded topology, for the fuzzer alone: what it stores (assistants, threads, provider
    keys with random names) never reaches the servers other tests share."""
    # A feed connection ends after 0.3 s, so each fuzzed GET /api/events is a short one.
    env = {"EASEL_LOCAL_IMAGE_DELAY": "0", "EASEL_FEED_SECONDS": "0.3"}
    live = LiveEasel(tmp_path_factory.mktemp("openapi"), env_overrides=env)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def seeded_easel(fuzzed_easel: LiveEasel) -> LiveEasel:
    """With a product template and a customization of it: the fuzzer's ids in paths are random,
    so without them it would see only empty lists of them. (Not for the stateful chains: those
    would follow the template's id to DELETE, which archives it, and read it back: use_after_free.)"""
    photo = io.BytesIO()
    Image.effect_noise((64, 48), 60).convert("RGB").save(photo, "PNG")
    form = {
        "name": "Seeded tee",
        "print_area": json.dumps({"x": 16, "y": 8, "width": 32, "height": 32}),
        "output": json.dumps({"width_px": 320, "height_px": 320, "dpi": 72}),
    }
    with httpx.Client(base_url=fuzzed_easel.api_url, headers={"X-API-Key": fuzzed_easel.api_key}, timeout=60) as client:
        template = client.post("/templates", data=form, files={"base": ("tee.png", photo.getvalue(), "image/png")})
        assert template.status_code == 201, template.text
        started = client.post(
            "/customizations", json={"template_id": template.json()["template_id"], "prompt": "a fox"}
        )
        assert started.status_code == 201, started.text
    return fuzzed_easel
