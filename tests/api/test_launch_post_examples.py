"""The launch post's examples, run as published (only key and base URL changed), against a
server with no provider keys and the local fallback on, as `make run` starts it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "launch_examples"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def run_example(easel, *command: str) -> list[str]:
    env = {**os.environ, "EASEL_API_KEY": easel.api_key, "EASEL_API_URL": easel.api_url}
    for name in ("OPENAI_API_KEY", "OPENROUTER_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY"):
        env.pop(name, None)
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


def assert_image_url(url: str) -> None:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"


def test_text_to_image_prints_the_reply_thread_and_assistant(embedded_easel):
    lines = run_example(embedded_easel, sys.executable, str(EXAMPLES / "text_to_image.py"))

    content, thread_id, assistant_id = "\n".join(lines[:-2]), lines[-2], lines[-1]
    assert "Here is your image" in content
    assert re.fullmatch(UUID, thread_id) and re.fullmatch(UUID, assistant_id)


def test_streaming_prints_the_image_url_document_id_and_streamed_text(embedded_easel):
    lines = run_example(embedded_easel, sys.executable, str(EXAMPLES / "streaming.py"))

    url = next(line.removeprefix("image url: ") for line in lines if line.startswith("image url: "))
    document_id = next(line.removeprefix("document_id: ") for line in lines if line.startswith("document_id: "))
    assert lines[-1] == f"final document_id: {document_id}"
    assert re.fullmatch(UUID, document_id)
    assert_image_url(url)
    assert any("Here is your image" in line for line in lines)


def test_edit_by_document_id_prints_a_new_edited_image(embedded_easel):
    lines = run_example(embedded_easel, sys.executable, str(EXAMPLES / "edit_by_document_id.py"))

    url = next(line.removeprefix("edited image url: ") for line in lines if line.startswith("edited image url: "))
    document_id = next(
        line.removeprefix("edited document_id: ") for line in lines if line.startswith("edited document_id: ")
    )
    assert re.fullmatch(UUID, document_id)
    assert document_id in url
    assert_image_url(url)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (make test installs it)")
def test_the_fetch_example_prints_the_reply(embedded_easel):
    lines = run_example(embedded_easel, "node", str(EXAMPLES / "fetch.mjs"))

    assert "Here is your image" in "\n".join(lines)
