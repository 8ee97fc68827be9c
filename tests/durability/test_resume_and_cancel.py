"""Runs outlive their clients: attach at any time, resume after a drop, cancel on request."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.support.sse import read_all, sse_events

CHAT = "Tell me about yourself."  # a text answer of ~40 chunks
PICTURE = "Draw a purple cat next to a tree."


def headers(easel, **extra) -> dict:
    return {"X-API-Key": easel.api_key, **extra}


async def start_stream(client, easel, content: str, k: int) -> tuple[list, str, str]:
    """POST a streaming turn, read k events, then drop the connection."""
    seen = []
    body = {
        "content": content,
        "stream": True,
        "llm_provider": "local",
        "image_generation": "auto",
        "image_model_provider": "local",
        "image_model_name": "easel-local-painter",
    }
    async with client.stream("POST", f"{easel.api_url}/threads/messages", json=body, headers=headers(easel)) as r:
        assert r.status_code == 200
        async for item in sse_events(r):
            seen.append(item)
            if len(seen) == k:
                break
    first = seen[0][1]
    return seen, first["thread_id"], first["run_id"]


def events_url(easel, thread_id: str, run_id: str) -> str:
    return f"{easel.api_url}/threads/{thread_id}/runs/{run_id}/events"


async def test_a_client_dropped_at_event_k_resumes_at_k_plus_one_exactly_once(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        seen, thread_id, run_id = await start_stream(client, slow_easel, CHAT, k=5)
        resumed = await read_all(
            client,
            "GET",
            events_url(slow_easel, thread_id, run_id),
            headers=headers(slow_easel, **{"Last-Event-ID": seen[-1][0]}),
        )
        whole = await read_all(client, "GET", events_url(slow_easel, thread_id, run_id), headers=headers(slow_easel))

    assert [i for i, _ in seen] + [i for i, _ in resumed] == [i for i, _ in whole]
    assert len({i for i, _ in whole}) == len(whole), "every event id is unique"
    assert whole[-1][1]["type"] == "run_ended"
    text = "".join(e["content"] for _, e in whole if e["type"] == "content_streaming")
    assert text == whole[-1][1]["final_content"], "no chunk lost or repeated"
    assert is_mid_answer(seen, resumed)
    assert seen + resumed == whole, "the resumed events are whole: each chunk with the answer so far"
    assert answers_so_far(whole) == prefixes(whole)


def is_mid_answer(before: list, after: list) -> bool:
    """Both sides of a resume point carry text: the resumed reader joined mid-answer."""
    return all(any(e["type"] == "content_streaming" for _, e in side) for side in (before, after))


def answers_so_far(events: list) -> list[str]:
    return [e["accumulated_content"] for _, e in events if e["type"] == "content_streaming"]


def prefixes(events: list) -> list[str]:
    chunks = [e["content"] for _, e in events if e["type"] == "content_streaming"]
    return ["".join(chunks[: n + 1]) for n in range(len(chunks))]


async def test_after_query_parameter_works_like_last_event_id(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        seen, thread_id, run_id = await start_stream(client, slow_easel, CHAT, k=3)
        resumed = await read_all(
            client,
            "GET",
            events_url(slow_easel, thread_id, run_id) + f"?after={seen[-1][0]}",
            headers=headers(slow_easel),
        )
    assert resumed[0][1]["type"] == "content_streaming"
    assert resumed[0][0] > seen[-1][0] or resumed[0][0] != seen[-1][0]


async def test_a_disconnected_client_does_not_stop_the_run(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        _, thread_id, run_id = await start_stream(client, slow_easel, PICTURE, k=1)
        whole = await read_all(client, "GET", events_url(slow_easel, thread_id, run_id), headers=headers(slow_easel))
        thread = (await client.get(f"{slow_easel.api_url}/threads/{thread_id}", headers=headers(slow_easel))).json()

    types = [e["type"] for _, e in whole]
    assert types.count("media_generated") == 1 and types[-1] == "run_ended"
    assert "media_preview" in types, "the slow painter streams a preview before the image"
    assert [m["role"] for m in thread["messages"]].count("assistant") == 2  # the tool-call stub and the answer
    assert thread["messages"][-1]["status"] == "COMPLETED"


async def test_a_finished_run_replays_whole_and_a_future_id_replays_nothing(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        _, thread_id, run_id = await start_stream(client, slow_easel, CHAT, k=1)
        whole = await read_all(client, "GET", events_url(slow_easel, thread_id, run_id), headers=headers(slow_easel))
        again = await read_all(client, "GET", events_url(slow_easel, thread_id, run_id), headers=headers(slow_easel))
        future = await read_all(
            client,
            "GET",
            events_url(slow_easel, thread_id, run_id),
            headers=headers(slow_easel, **{"Last-Event-ID": "99999999999999-0"}),
        )

    assert again == whole
    assert [e["type"] for _, e in future] == ["run_ended"], "nothing replayed; the end is said once"
    assert future[0][0] is None


async def test_the_events_endpoint_refuses_bad_ids_and_strangers(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        _, thread_id, run_id = await start_stream(client, slow_easel, CHAT, k=1)
        url = events_url(slow_easel, thread_id, run_id)
        malformed = await client.get(url, headers=headers(slow_easel, **{"Last-Event-ID": "yesterday"}))
        stranger = await client.get(url, headers={"X-API-Key": slow_easel.other_api_key})
        unknown = await client.get(events_url(slow_easel, thread_id, str(uuid.uuid4())), headers=headers(slow_easel))
        no_key = await client.get(url)

    assert malformed.status_code == 400 and "Malformed event id" in malformed.json()["detail"]
    assert stranger.status_code == 404 and unknown.status_code == 404
    assert no_key.status_code == 401


async def test_cancel_stops_the_run_keeps_partial_text_and_is_idempotent(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        seen, thread_id, run_id = await start_stream(client, slow_easel, CHAT, k=4)
        cancel_url = f"{slow_easel.api_url}/threads/{thread_id}/runs/{run_id}/cancel"
        first = await client.post(cancel_url, headers=headers(slow_easel))
        second = await client.post(cancel_url, headers=headers(slow_easel))
        whole = await read_all(client, "GET", events_url(slow_easel, thread_id, run_id), headers=headers(slow_easel))
        thread = (await client.get(f"{slow_easel.api_url}/threads/{thread_id}", headers=headers(slow_easel))).json()

    assert first.json() == second.json() == {"thread_id": thread_id, "run_id": run_id, "cancelled": True}
    types = [e["type"] for _, e in whole]
    assert types[-1] == "run_cancelled" and types.count("run_cancelled") == 1
    streamed = sum(1 for t in types if t == "content_streaming")
    assert 3 <= streamed < 30, "it stopped early, after the chunks already sent"
    last = thread["messages"][-1]
    assert last["status"] == "CANCELLED" and last["content"] == whole[-1][1]["content"] != ""


async def test_cancel_during_image_generation_stores_no_image(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        seen, thread_id, run_id = await start_stream(client, slow_easel, PICTURE, k=3)  # up to tool_call_ready
        await client.post(f"{slow_easel.api_url}/threads/{thread_id}/runs/{run_id}/cancel", headers=headers(slow_easel))
        whole = await read_all(client, "GET", events_url(slow_easel, thread_id, run_id), headers=headers(slow_easel))
        documents = (
            await client.get(f"{slow_easel.api_url}/threads/{thread_id}/documents", headers=headers(slow_easel))
        ).json()

    assert [e["type"] for _, e in seen][-1] == "tool_call_ready"
    assert whole[-1][1]["type"] == "run_cancelled"
    assert documents == []


async def test_a_second_turn_while_one_runs_is_refused_with_409(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        _, thread_id, run_id = await start_stream(client, slow_easel, CHAT, k=2)
        busy = await client.post(
            f"{slow_easel.api_url}/threads/messages",
            headers=headers(slow_easel),
            json={"content": "hello again", "thread_id": thread_id, "llm_provider": "local"},
        )
        await read_all(client, "GET", events_url(slow_easel, thread_id, run_id), headers=headers(slow_easel))
        after = await client.post(
            f"{slow_easel.api_url}/threads/messages",
            headers=headers(slow_easel),
            json={"content": "hello again", "thread_id": thread_id, "llm_provider": "local"},
        )

    assert busy.status_code == 409 and run_id in busy.json()["detail"]
    assert after.status_code == 200


async def test_many_streams_at_once_each_get_every_event(slow_easel):
    async with httpx.AsyncClient(timeout=60) as client:

        async def one() -> list:
            body = {"content": CHAT, "stream": True, "llm_provider": "local"}
            return await read_all(
                client, "POST", f"{slow_easel.api_url}/threads/messages", json=body, headers=headers(slow_easel)
            )

        results = await asyncio.gather(*(one() for _ in range(8)))

    for events in results:
        assert events[-1][1]["type"] == "run_ended"
        text = "".join(e["content"] for _, e in events if e["type"] == "content_streaming")
        assert text == events[-1][1]["final_content"]


async def test_a_finished_run_replays_in_one_write_not_one_per_event(slow_easel):
    async with httpx.AsyncClient(timeout=30) as client:
        _, thread_id, run_id = await start_stream(client, slow_easel, CHAT, k=1)
        whole = await read_all(client, "GET", events_url(slow_easel, thread_id, run_id), headers=headers(slow_easel))

    chunks = await http_chunks(slow_easel, events_url(slow_easel, thread_id, run_id))

    assert len(whole) > 10
    assert chunks[0] == b": ok\n\n"
    assert len(chunks) == 2, f"{len(whole)} events came in {len(chunks) - 1} writes"
    assert chunks[1].count(b"\ndata: ") == len(whole)


async def http_chunks(easel, url: str) -> list[bytes]:
    """The body's chunks as the server framed them (Transfer-Encoding: chunked), one per write."""
    reader, writer = await asyncio.open_connection("127.0.0.1", easel.port)
    path = url.split(str(easel.port), 1)[1]
    writer.write(
        f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: {easel.api_key}\r\nconnection: close\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
    writer.close()
    return chunks
