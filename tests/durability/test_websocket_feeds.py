"""Websocket feeds carry the same events as the SSE stream, replay from an id, refuse strangers."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.sse import read_all

CHAT = {"content": "Tell me about yourself.", "llm_provider": "local"}


def ws_url(easel, path: str) -> str:
    return easel.base_url.replace("http://", "ws://") + path


async def receive_until_end(ws, limit: float = 30) -> list[dict]:
    received = []
    async with asyncio.timeout(limit):
        while True:
            event = json.loads(await ws.recv())
            received.append(event)
            if event["type"] in ("run_ended", "run_failed", "run_cancelled"):
                return received


async def new_thread(client, easel) -> str:
    # send_to_llm=false stores the message without a run: a thread with nothing streaming yet.
    reply = await client.post(
        f"{easel.api_url}/threads/messages",
        json={"content": "hi", "send_to_llm": False},
        headers={"X-API-Key": easel.api_key},
    )
    return reply.json()["thread_id"]


async def test_the_thread_feed_streams_a_run_live_with_the_same_events_as_sse(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        thread_id = await new_thread(client, slow_easel)
        async with websockets.connect(
            ws_url(slow_easel, f"/ws/threads/{thread_id}?last_event_id=99999999999999-0"),
            additional_headers={"X-API-Key": slow_easel.api_key},
        ) as ws:
            await client.post(
                f"{slow_easel.api_url}/threads/messages",
                json={**CHAT, "thread_id": thread_id},
                headers={"X-API-Key": slow_easel.api_key},
            )
            live = await receive_until_end(ws)
        run_id = live[0]["run_id"]
        sse = await read_all(
            client,
            "GET",
            f"{slow_easel.api_url}/threads/{thread_id}/runs/{run_id}/events",
            headers={"X-API-Key": slow_easel.api_key},
        )

    assert live[0]["type"] == "user_message"
    # The thread's feed is a copy of the run's stream with ids of its own: compare without them.
    assert [without_id(e) for e in live] == [without_id(e) for _, e in sse]


async def test_a_reconnecting_feed_replays_after_its_last_event_exactly_once(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        thread_id = await new_thread(client, slow_easel)
        url = ws_url(slow_easel, f"/ws/threads/{thread_id}")
        key = {"X-API-Key": slow_easel.api_key}
        async with websockets.connect(url + "?last_event_id=99999999999999-0", additional_headers=key) as ws:
            await client.post(
                f"{slow_easel.api_url}/threads/messages", json={**CHAT, "thread_id": thread_id}, headers=key
            )
            first_part = [json.loads(await ws.recv()) for _ in range(6)]
        async with websockets.connect(
            url + f"?last_event_id={first_part[-1]['event_id']}", additional_headers=key
        ) as ws:
            rest = await receive_until_end(ws)

    ids = [e["event_id"] for e in first_part + rest]
    assert len(ids) == len(set(ids))
    assert rest[-1]["type"] == "run_ended"
    text = "".join(e["content"] for e in first_part + rest if e["type"] == "content_streaming")
    assert text == rest[-1]["final_content"]
    chunks = [e for e in first_part + rest if e["type"] == "content_streaming"]
    assert chunks[0] in first_part and chunks[-1] in rest, "the feed reconnected mid-answer"
    assert [e["accumulated_content"] for e in chunks] == [
        "".join(c["content"] for c in chunks[: n + 1]) for n in range(len(chunks))
    ], "after the reconnect each chunk still carries the whole answer so far"


async def test_the_project_feed_sees_every_thread_of_the_project(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        project = await client.get(f"{slow_easel.api_url}/threads", headers={"X-API-Key": slow_easel.api_key})
        assert project.status_code == 200
        thread_id = await new_thread(client, slow_easel)
        project_id = await _project_id(slow_easel)
        async with websockets.connect(
            ws_url(slow_easel, f"/ws/projects/{project_id}?last_event_id=99999999999999-0"),
            additional_headers={"X-API-Key": slow_easel.api_key},
        ) as ws:
            await client.post(
                f"{slow_easel.api_url}/threads/messages",
                json={**CHAT, "thread_id": thread_id},
                headers={"X-API-Key": slow_easel.api_key},
            )
            events = await receive_until_end(ws)

    assert {e["thread_id"] for e in events} == {thread_id}


async def _project_id(easel) -> str:
    output = easel.manage(
        "shell", "-c", "from designs.models import Project; print(Project.objects.get(name='alpha').id)"
    )
    return output.strip().splitlines()[-1]


@pytest.mark.parametrize("case", ["stranger", "no_key", "bad_origin", "malformed_id", "unknown_thread"])
async def test_strangers_and_bad_requests_are_refused_before_accept(slow_easel, case):
    async with httpx.AsyncClient(timeout=30) as client:
        thread_id = await new_thread(client, slow_easel)
    path, headers = f"/ws/threads/{thread_id}", {"X-API-Key": slow_easel.api_key}
    if case == "stranger":
        headers = {"X-API-Key": slow_easel.other_api_key}
    elif case == "no_key":
        headers = {}
    elif case == "bad_origin":
        headers = {**headers, "Origin": "https://evil.example"}
    elif case == "malformed_id":
        path += "?last_event_id=tomorrow"
    else:
        path = f"/ws/threads/{uuid.uuid4()}"

    with pytest.raises((InvalidStatus, ConnectionClosed)):
        async with websockets.connect(ws_url(slow_easel, path), additional_headers=headers) as ws:
            await asyncio.wait_for(ws.recv(), 5)


def without_id(event: dict) -> dict:
    return {k: v for k, v in event.items() if k != "event_id"}
