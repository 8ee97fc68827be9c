"""An SDK client resumes a dropped stream with the `event_id` each event's JSON carries
(the SDK drops the SSE `id:` line, so the JSON is all it has)."""

from __future__ import annotations

import httpx
from backboard import BackboardClient

from tests.support.sse import read_all

CHAT = "Tell me about yourself."  # a text answer of ~40 chunks
LOCAL = {"llm_provider": "local", "model_name": "easel-local-agent"}


async def sdk_events_until_drop(easel, k: int) -> list[dict]:
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)
    seen = []
    async for event in await client.send_message(CHAT, stream=True, **LOCAL):
        seen.append(event)
        if len(seen) == k:
            break  # the client goes away mid-answer; the run goes on
    return seen


async def test_every_event_carries_the_sse_id_in_its_json(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        seen = await sdk_events_until_drop(slow_easel, k=1)
        url = f"{slow_easel.api_url}/threads/{seen[0]['thread_id']}/runs/{seen[0]['run_id']}/events"
        whole = await read_all(client, "GET", url, headers={"X-API-Key": slow_easel.api_key})

    assert whole[-1][1]["type"] == "run_ended"
    assert all(event["event_id"] == sse_id for sse_id, event in whole)


async def test_an_sdk_client_dropped_mid_answer_resumes_from_its_last_event_id_exactly_once(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        seen = await sdk_events_until_drop(slow_easel, k=6)
        last = seen[-1]
        url = f"{slow_easel.api_url}/threads/{last['thread_id']}/runs/{last['run_id']}/events"
        headers = {"X-API-Key": slow_easel.api_key}
        resumed = await read_all(client, "GET", url, params={"after": last["event_id"]}, headers=headers)
        whole = await read_all(client, "GET", url, headers=headers)

    assert last["type"] == "content_streaming", "the drop came mid-answer"
    assert [e["event_id"] for e in seen] + [i for i, _ in resumed] == [i for i, _ in whole]
    text = "".join(e["content"] for _, e in whole if e["type"] == "content_streaming")
    assert text == whole[-1][1]["final_content"], "no chunk lost or repeated across the resume"
