"""Idempotency-Key on POST /threads/messages: one effect, whatever the retries."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.support.sse import read_all

PICTURE = {
    "content": "Draw a green fish in the sea.",
    "llm_provider": "local",
    "image_generation": "auto",
    "image_model_provider": "local",
    "image_model_name": "easel-local-painter",
}


def headers(easel, key: str, api_key: str | None = None) -> dict:
    return {"X-API-Key": api_key or easel.api_key, "Idempotency-Key": key}


async def thread_count(client, easel, api_key=None) -> int:
    response = await client.get(f"{easel.api_url}/threads?limit=500", headers={"X-API-Key": api_key or easel.api_key})
    return len(response.json())


async def test_twenty_parallel_posts_with_one_key_make_one_run(slow_easel):
    key = str(uuid.uuid4())
    async with httpx.AsyncClient(timeout=60) as client:
        before = await thread_count(client, slow_easel)
        responses = await asyncio.gather(
            *(
                client.post(f"{slow_easel.api_url}/threads/messages", json=PICTURE, headers=headers(slow_easel, key))
                for _ in range(20)
            )
        )
        after = await thread_count(client, slow_easel)
        replay = await client.post(
            f"{slow_easel.api_url}/threads/messages", json=PICTURE, headers=headers(slow_easel, key)
        )

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 409} and statuses.count(200) >= 1
    assert all("in progress" in r.json()["detail"] for r in responses if r.status_code == 409)
    assert after == before + 1, "one thread, one run, one provider call"
    runs = {r.json()["run_id"] for r in responses if r.status_code == 200} | {replay.json()["run_id"]}
    assert len(runs) == 1
    documents = {
        m["document_id"] for r in [*responses, replay] if r.status_code == 200 for m in r.json()["generated_media"]
    }
    assert len(documents) == 1


async def test_a_finished_keyed_stream_replays_the_same_events(slow_easel):
    key = str(uuid.uuid4())
    body = {**PICTURE, "stream": True}
    async with httpx.AsyncClient(timeout=60) as client:
        first = await read_all(
            client, "POST", f"{slow_easel.api_url}/threads/messages", json=body, headers=headers(slow_easel, key)
        )
        second = await read_all(
            client, "POST", f"{slow_easel.api_url}/threads/messages", json=body, headers=headers(slow_easel, key)
        )

    assert second == first
    assert [e["type"] for _, e in first].count("media_generated") == 1


async def test_the_same_key_with_a_different_body_is_a_422_and_changes_nothing(slow_easel):
    key = str(uuid.uuid4())
    async with httpx.AsyncClient(timeout=60) as client:
        first = await client.post(
            f"{slow_easel.api_url}/threads/messages", json=PICTURE, headers=headers(slow_easel, key)
        )
        before = await thread_count(client, slow_easel)
        other = await client.post(
            f"{slow_easel.api_url}/threads/messages",
            json={**PICTURE, "content": "Draw a red fish."},
            headers=headers(slow_easel, key),
        )
        after = await thread_count(client, slow_easel)

    assert first.status_code == 200
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    assert after == before


async def test_keys_are_scoped_per_project(slow_easel):
    key = str(uuid.uuid4())
    async with httpx.AsyncClient(timeout=60) as client:
        mine = await client.post(
            f"{slow_easel.api_url}/threads/messages", json=PICTURE, headers=headers(slow_easel, key)
        )
        theirs = await client.post(
            f"{slow_easel.api_url}/threads/messages",
            json=PICTURE,
            headers=headers(slow_easel, key, slow_easel.other_api_key),
        )

    assert mine.status_code == theirs.status_code == 200
    assert mine.json()["run_id"] != theirs.json()["run_id"]
    assert mine.json()["thread_id"] != theirs.json()["thread_id"]


async def test_a_refused_request_does_not_use_up_its_key(slow_easel):
    key = str(uuid.uuid4())
    async with httpx.AsyncClient(timeout=60) as client:
        refused = await client.post(
            f"{slow_easel.api_url}/threads/messages", json={**PICTURE, "content": ""}, headers=headers(slow_easel, key)
        )
        accepted = await client.post(
            f"{slow_easel.api_url}/threads/messages", json=PICTURE, headers=headers(slow_easel, key)
        )

    assert refused.status_code == 400
    assert accepted.status_code == 200
