"""What every provider test module shares: fast settings, a test key, images, event helpers.

The OpenAI/OpenRouter suites build fixtures on these in conftest.py; the Anthropic and Gemini
suites declare their own small fixtures in each module.
"""

from __future__ import annotations

import io
import pathlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from PIL import Image

from tests.fakes.vendor_fake import VendorFakeServer
from workers.providers.base import Finished, LLMEvent, TextDelta, ToolCall, ToolCallReady, Usage
from workers.providers.http import ProviderSettings

FakeT = TypeVar("FakeT", bound=VendorFakeServer)
REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
API_KEY = "sk-test-secret-key-0000"
DOCUMENT_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
IMAGE_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "generate_image",
        "description": "Create or edit an image",
        "parameters": {
            "type": "object",
            "properties": {
                "prompt": {"type": "string", "description": "What to draw"},
                "input_image_document_id": {"type": ["string", "null"], "format": "uuid"},
                "aspect_ratio": {"type": "string", "enum": ["1:1", "16:9", "9:16"]},
            },
            "required": ["prompt"],
            "additionalProperties": False,
        },
    },
}


def fast_settings(origin: str, **overrides: Any) -> ProviderSettings:
    """Settings with timeouts and backoffs small enough for a fast suite."""
    values: dict[str, Any] = {
        "api_key": API_KEY,
        "base_url": origin,
        "connect_timeout": 1.0,
        "read_timeout": 0.3,
        "max_retries": 2,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
    }
    values.update(overrides)
    return ProviderSettings(**values)


def running(fake: FakeT) -> Iterator[FakeT]:
    """Fixture body: start the fake, hand it to the test, stop it afterwards."""
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def png(width: int = 8, height: int = 8, colour: tuple[int, int, int] = (10, 200, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def image_size(data: bytes) -> tuple[int, int]:
    """The pixel size of encoded image bytes (fails if they are not an image)."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


def text_of(events: Iterable[LLMEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def calls_of(events: Iterable[LLMEvent]) -> list[ToolCall]:
    return [e.call for e in events if isinstance(e, ToolCallReady)]


def assert_ends_with_usage_and_one_finished(events: list[LLMEvent], reason: str) -> None:
    """The stream contract: ... Usage, then exactly one Finished, last."""
    finished = [e for e in events if isinstance(e, Finished)]
    assert finished == [Finished(reason)] and events[-1] == Finished(reason)
    assert isinstance(events[-2], Usage) and events[-2].input_tokens > 0


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    """(the action's result or the exception it raised, seconds taken)."""
    started = time.monotonic()
    try:
        result: Any = action()
    except Exception as exc:  # noqa: BLE001 - the caller asserts on it
        result = exc
    return result, time.monotonic() - started


def serve_from_command_line(module: str) -> tuple[subprocess.Popen[str], str]:
    """Start `python -m <module> --port 0` and return the process and the origin it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0"], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()
