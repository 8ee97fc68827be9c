"""kill -9 of a Celery pool child or of a whole worker mid-run: one completed run or one
run_failed, within a bounded time; never two answers, never two images for one tool call."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.durability.conftest import PICTURE, SLOW
from tests.support.processes import LiveEasel, wait_for
from tests.support.sse import read_all, sse_events

CHAT = {"content": "Tell me about yourself.", "stream": True, "llm_provider": "local"}
RECOVERY_BOUND = 20  # seconds: redelivery (child) or visibility timeout + restore interval (whole worker)


@pytest.fixture(scope="module")
def crashy_easel(tmp_path_factory, redis_server) -> Iterator[LiveEasel]:
    live = LiveEasel(
        tmp_path_factory.mktemp("crashy"),
        env_overrides={
            **SLOW,
            "REDIS_URL": redis_server.fresh_url(),
            "EASEL_VISIBILITY_TIMEOUT": "6",
            "EASEL_UNACKED_RESTORE_INTERVAL": "1",
            "EASEL_UNACKED_RESTORE_THROTTLE": "1",
        },
    )
    yield live
    live.stop()


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def start_worker(easel: LiveEasel, name: str) -> subprocess.Popen:
    worker = easel.start_worker(name, "--concurrency", "1", "--prefetch-multiplier", "1")
    wait_for(lambda: len(children(worker.pid)) >= 1, 30, f"worker {name} pool")
    time.sleep(1.5)  # the pool child has connected and the consumer is polling
    return worker


async def post_until(client, easel, body: dict, stop_type: str) -> tuple[str, str]:
    """Start a streaming turn and return (thread_id, run_id) as soon as `stop_type` arrives."""
    async with client.stream(
        "POST", f"{easel.api_url}/threads/messages", json=body, headers={"X-API-Key": easel.api_key}
    ) as response:
        async for _id, event in sse_events(response):
            if event["type"] == stop_type:
                return event["thread_id"], event["run_id"]
    raise AssertionError(f"no {stop_type} event")


async def outcome(client, easel, thread_id: str, run_id: str) -> tuple[list[dict], dict, list]:
    started = time.monotonic()
    events = [
        e
        for _, e in await read_all(
            client,
            "GET",
            f"{easel.api_url}/threads/{thread_id}/runs/{run_id}/events",
            headers={"X-API-Key": easel.api_key},
        )
    ]
    assert time.monotonic() - started < RECOVERY_BOUND
    thread = (await client.get(f"{easel.api_url}/threads/{thread_id}", headers={"X-API-Key": easel.api_key})).json()
    documents = (
        await client.get(f"{easel.api_url}/threads/{thread_id}/documents", headers={"X-API-Key": easel.api_key})
    ).json()
    return events, thread, documents


def answers(thread: dict) -> list[dict]:
    """Assistant messages that are answers (not tool-call stubs)."""
    return [m for m in thread["messages"] if m["role"] == "assistant" and not m["metadata_"].get("tool_calls")]


async def test_a_killed_pool_child_before_any_output_restarts_the_run_once(crashy_easel):
    worker = start_worker(crashy_easel, "child-a")
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            thread_id, run_id = await post_until(client, crashy_easel, PICTURE, "tool_call_ready")
            for pid in children(worker.pid):
                os.kill(pid, signal.SIGKILL)  # mid image generation: nothing shown yet
            events, thread, documents = await outcome(client, crashy_easel, thread_id, run_id)
    finally:
        worker.send_signal(signal.SIGKILL)

    types = [e["type"] for e in events]
    assert "run_restarted" in types
    assert types[-1] == "run_ended"
    assert types.count("media_generated") == 1 and len(documents) == 1
    assert len(answers(thread)) == 1 and answers(thread)[0]["status"] == "COMPLETED"


async def test_a_killed_pool_child_after_output_fails_the_run_once(crashy_easel):
    worker = start_worker(crashy_easel, "child-b")
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            thread_id, run_id = await post_until(client, crashy_easel, CHAT, "content_streaming")
            for pid in children(worker.pid):
                os.kill(pid, signal.SIGKILL)
            events, thread, _ = await outcome(client, crashy_easel, thread_id, run_id)
    finally:
        worker.send_signal(signal.SIGKILL)

    assert events[-1]["type"] == "run_failed" and "stopped mid-run" in events[-1]["error"]
    assert [e["type"] for e in events].count("run_failed") == 1
    assert len(answers(thread)) == 1 and answers(thread)[0]["status"] == "FAILED"


async def test_a_killed_whole_worker_is_recovered_by_another_worker(crashy_easel):
    doomed = start_worker(crashy_easel, "doomed")
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            thread_id, run_id = await post_until(client, crashy_easel, PICTURE, "tool_call_ready")
            os.killpg(doomed.pid, signal.SIGKILL)  # the main process and its pool together
            survivor = start_worker(crashy_easel, "survivor")
            try:
                events, thread, documents = await outcome(client, crashy_easel, thread_id, run_id)
            finally:
                survivor.send_signal(signal.SIGKILL)
    finally:
        doomed.send_signal(signal.SIGKILL)

    types = [e["type"] for e in events]
    assert types[-1] in ("run_ended", "run_failed")
    assert types.count("run_ended") + types.count("run_failed") == 1
    assert len(answers(thread)) == 1
    assert len(documents) == types.count("media_generated") <= 1


async def test_redis_going_away_ends_streams_with_an_error_and_the_run_ends_cleanly_after(tmp_path):
    from tests.support.processes import RedisServer

    redis = RedisServer(tmp_path)
    (tmp_path / "easel").mkdir()
    live = LiveEasel(
        tmp_path / "easel",
        env_overrides={**SLOW, "REDIS_URL": redis.url, "EASEL_STALE_RUN_SECONDS": "3", "EASEL_SWEEP_INTERVAL": "1"},
        workers=1,
    )
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            seen = []
            async with client.stream(
                "POST", f"{live.api_url}/threads/messages", json=CHAT, headers={"X-API-Key": live.api_key}
            ) as response:
                async for _id, event in sse_events(response):
                    seen.append(event)
                    if event["type"] == "content_streaming" and redis.process.poll() is None:
                        redis.process.send_signal(signal.SIGKILL)
            assert seen[-1]["type"] == "error" and "unavailable" in seen[-1]["error"]

            thread_id, run_id = seen[0]["thread_id"], seen[0]["run_id"]
            redis = RedisServer.on_port(tmp_path, redis.port)  # Redis returns, empty (nothing kept on disk)
            beat = live.start_beat()
            try:

                def ended() -> bool:
                    run = httpx.get(f"{live.api_url}/threads/{thread_id}", headers={"X-API-Key": live.api_key}).json()
                    return run["messages"][-1]["status"] in ("COMPLETED", "FAILED")

                wait_for(ended, RECOVERY_BOUND, "the run to end after Redis returned")
                events, thread, _ = await outcome(client, live, thread_id, run_id)
            finally:
                beat.send_signal(signal.SIGKILL)
    finally:
        live.stop()
        redis.stop()

    assert events[-1]["type"] in ("run_ended", "run_failed")
    assert len(answers(thread)) == 1
