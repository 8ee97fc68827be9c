"""The launch post's examples, unmodified (only key and base URL changed), with OpenAI as the thread
LLM and OpenRouter as the image model: here the fakes stand in for both and the local fallback is off."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e_providers.stack import RESPONSES, Fakes, api_call, logged
from tests.fakes.openrouter import FakeOpenRouter

EXAMPLES = Path(__file__).resolve().parents[1] / "launch_examples"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
REPLY = "Here is your image."  # what the fake model says after a successful generate_image call


def run_example(easel, *command: str) -> list[str]:
    env = {**os.environ, "EASEL_API_KEY": easel.api_key, "EASEL_API_URL": easel.api_url}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    RESPONSES.append(result.stdout + result.stderr)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


def assert_both_fakes_served_it(fakes: Fakes, image_calls: int = 1) -> None:
    chats = logged(fakes.openai, "/v1/chat/completions")
    assert chats and all(r["json"]["model"] == "gpt-4.1" and r["json"]["stream"] for r in chats)
    assert any(r["json"].get("tools") for r in chats), "the LLM was offered generate_image"
    images = logged(fakes.openrouter, "/api/v1/chat/completions")
    assert len(images) == image_calls
    assert all(r["json"]["model"] == "google/gemini-3.1-flash-image-preview" for r in images)
    assert all("image" in r["json"]["modalities"] for r in images)


def test_text_to_image_prints_the_models_reply_and_ids(easel, fakes: Fakes):
    lines = run_example(easel, sys.executable, str(EXAMPLES / "text_to_image.py"))

    assert lines[0] == REPLY
    assert re.fullmatch(UUID, lines[-2]) and re.fullmatch(UUID, lines[-1])
    assert_both_fakes_served_it(fakes)


def test_streaming_prints_an_image_the_image_model_made(easel, fakes: Fakes):
    lines = run_example(easel, sys.executable, str(EXAMPLES / "streaming.py"))

    url = next(line.removeprefix("image url: ") for line in lines if line.startswith("image url: "))
    document_id = next(line.removeprefix("document_id: ") for line in lines if line.startswith("document_id: "))
    assert lines[-1] == f"final document_id: {document_id}"
    assert REPLY in lines
    served = httpx.get(url, timeout=10)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    document = api_call(easel, "GET", f"/documents/{document_id}").json()["metadata_"]
    assert (document["image_model_provider"], document["image_model_name"]) == (
        "openrouter",
        "google/gemini-3.1-flash-image-preview",
    )
    assert hashlib.sha256(served.content).hexdigest() == document["sha256"]
    assert_both_fakes_served_it(fakes)


def test_edit_by_document_id_sends_the_stored_source_bytes_to_the_image_model(easel, fakes: Fakes):
    lines = run_example(easel, sys.executable, str(EXAMPLES / "edit_by_document_id.py"))

    edited_id = next(
        line.removeprefix("edited document_id: ") for line in lines if line.startswith("edited document_id: ")
    )
    edited = api_call(easel, "GET", f"/documents/{edited_id}").json()["metadata_"]
    assert edited["operation"] == "edit"
    source = api_call(easel, "GET", f"/documents/{edited['input_image_document_id']}").json()["metadata_"]
    source_file = stored_file(easel, source["sha256"])

    generation, edit = logged(fakes.openrouter, "/api/v1/chat/completions")
    assert FakeOpenRouter.chat_images(generation) == []
    assert FakeOpenRouter.chat_images(edit) == [("image/png", source_file)]
    assert_both_fakes_served_it(fakes, image_calls=2)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (make test installs it)")
def test_the_fetch_example_prints_the_models_reply(easel, fakes: Fakes):
    lines = run_example(easel, "node", str(EXAMPLES / "fetch.mjs"))

    assert lines == [REPLY]
    assert_both_fakes_served_it(fakes)


def stored_file(easel, sha256: str) -> bytes:
    """The source document's file as stored on the server's disk (content-addressed by sha256)."""
    matches = list((easel.workdir / "media").glob(f"projects/*/images/{sha256}.*"))
    assert len(matches) == 1, matches
    return matches[0].read_bytes()
