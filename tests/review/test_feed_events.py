"""GET /api/events: the project's feed (or a thread's) over SSE carries the review news no run
carries, live and replayed from an event id; another project's thread is not found."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.support.sse import sse_events

IMAGE = {
    "content": "draw a red robot",
    "operation": "generate_image",
    "image_model_provider": "local",
    "image_model_name": "easel-local-painter",
    "image_config": {"size": "256x256"},
}
REVIEW_NEWS = "review_updated,comment_added"


async def _collect(http: httpx.AsyncClient, query: str, wanted: int, **headers: str) -> list[tuple[str, dict]]:
    found: list[tuple[str, dict]] = []
    async with http.stream("GET", f"/events?{query}", headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        async for event_id, event in sse_events(response):
            if event:
                found.append((event_id, event))
            if len(found) >= wanted:
                break
    return found


async def test_review_news_reaches_the_project_and_thread_feeds_live_and_on_resume(easel):
    async with httpx.AsyncClient(base_url=easel.api_url, headers={"X-API-Key": easel.api_key}, timeout=60) as http:
        made = (await http.post("/threads/messages", json={**IMAGE, "stream": False})).json()
        (media,) = made["generated_media"]
        document_id, thread_id = media["document_id"], made["thread_id"]

        project_feed = asyncio.create_task(_collect(http, f"types={REVIEW_NEWS}", 2))
        thread_feed = asyncio.create_task(_collect(http, f"thread_id={thread_id}&types={REVIEW_NEWS}", 2))
        await asyncio.sleep(0.5)  # both connected before the news
        comment = await http.post(f"/documents/{document_id}/comments", json={"text": "warmer light"})
        decided = await http.post(f"/documents/{document_id}/review", json={"decision": "approved"})
        assert comment.status_code == 201 and decided.status_code == 200, (comment.text, decided.text)

        for task in (project_feed, thread_feed):
            events = await asyncio.wait_for(task, timeout=30)
            assert [e["type"] for _, e in events] == ["comment_added", "review_updated"]
            assert events[0][1]["document_id"] == events[1][1]["document_id"] == document_id
            assert events[1][1]["review_status"] == "approved"

        # Resuming after the comment replays only the decision.
        first_id = events[0][0]
        again = await _collect(http, f"types={REVIEW_NEWS}", 1, **{"Last-Event-ID": first_id})
        assert again[0][1]["type"] == "review_updated" and again[0][1]["document_id"] == document_id


async def test_bad_feed_requests_are_refused(easel):
    async with httpx.AsyncClient(base_url=easel.api_url, timeout=30) as http:
        theirs = (
            await http.post(
                "/threads/messages",
                json={"content": "hello", "send_to_llm": False},
                headers={"X-API-Key": easel.other_api_key},
            )
        ).json()["thread_id"]
        ours = {"X-API-Key": easel.api_key}

        assert (await http.get(f"/events?thread_id={theirs}", headers=ours)).status_code == 404
        assert (await http.get(f"/events?thread_id={uuid.uuid4()}", headers=ours)).status_code == 404
        assert (await http.get("/events?thread_id=nope", headers=ours)).status_code == 400
        assert (await http.get("/events?types=not_a_type", headers=ours)).status_code == 400
        assert (await http.get("/events?after=x", headers=ours)).status_code == 400
        assert (await http.get("/events")).status_code == 401
