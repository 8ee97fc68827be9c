"""A run that outlives EASEL_RUN_TIME_LIMIT ends with run_failed, whatever pool runs it.

Celery enforces its time limits only in the prefork pool; the threads pool (the production
default) and the embedded pool rely on the run's own deadline, checked at every provider event.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.processes import LiveEasel
from tests.support.sse import read_all

LIMIT = 1  # seconds; the local engine's answer takes ~3 s at this pace


@pytest.fixture(scope="module")
def hasty_embedded(tmp_path_factory) -> Iterator[LiveEasel]:
    live = LiveEasel(
        tmp_path_factory.mktemp("deadline"),
        env_overrides={"EASEL_RUN_TIME_LIMIT": str(LIMIT), "EASEL_LOCAL_STREAM_DELAY": "0.08"},
    )
    yield live
    live.stop()


async def test_a_run_past_its_time_limit_fails_with_a_clear_event_and_keeps_its_text(hasty_embedded):
    body = {"content": "Tell me about yourself.", "stream": True, "llm_provider": "local", "image_generation": "off"}
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        events = await read_all(
            client,
            "POST",
            f"{hasty_embedded.api_url}/threads/messages",
            json=body,
            headers={"X-API-Key": hasty_embedded.api_key},
        )
        elapsed = time.monotonic() - started
        end = events[-1][1]
        messages = (
            await client.get(
                f"{hasty_embedded.api_url}/threads/{end['thread_id']}",
                headers={"X-API-Key": hasty_embedded.api_key},
            )
        ).json()["messages"]

    assert end["type"] == "run_failed"
    assert end["error_kind"] == "timeout"
    assert f"time limit of {LIMIT} s" in end["error"]
    assert LIMIT <= elapsed < LIMIT + 2, elapsed
    streamed = "".join(e["content"] for _, e in events if e["type"] == "content_streaming")
    assert streamed, "some text streamed before the limit"
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[-1]["content"] == streamed, "the partial answer is kept, once"
