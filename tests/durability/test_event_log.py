"""The Redis event log itself: one id per event across its streams, order, and expiry."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import redis

from designs.events import TERMINAL_TYPES, RedisEventLog, id_key
from tests.support.sse import read_all

TTL, OPEN_TTL = 300, 3600


@pytest.fixture
def log(redis_server) -> RedisEventLog:
    return RedisEventLog(redis_server.url, ttl=TTL, open_ttl=OPEN_TTL, terminal=TERMINAL_TYPES)


@pytest.fixture
def raw(redis_server):
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()


def streams() -> list[str]:
    return [f"run:{uuid.uuid4()}", f"thread:{uuid.uuid4()}", f"project:{uuid.uuid4()}"]


def test_an_event_lands_in_every_stream_in_order_and_reads_back_whole(log, raw):
    names = streams()
    ids = [log.append(names, {"type": "content_streaming", "content": f"chunk {k}"}) for k in range(5)]

    assert [id_key(i) for i in ids] == sorted(id_key(i) for i in ids)
    for name in names:
        assert [e["content"] for _, e in log.entries(name)] == [f"chunk {k}" for k in range(5)]
    assert [i for i, _ in log.entries(names[0])] == ids, "the returned id is the run stream's"
    assert log.entries(names[0], after=ids[2]) == log.entries(names[0])[3:]


def test_an_open_run_keeps_its_log_for_the_open_ttl_and_an_ended_one_for_the_ttl(log, raw):
    run, thread, project = names = streams()
    log.append(names, {"type": "content_streaming", "content": "hi"})
    open_ttls = [raw.ttl(f"easel:events:{name}") for name in names]

    log.append(names, {"type": "run_ended", "status": "completed"})

    assert all(OPEN_TTL - 5 <= t <= OPEN_TTL for t in open_ttls), open_ttls
    assert TTL - 5 <= raw.ttl(f"easel:events:{run}") <= TTL
    assert OPEN_TTL - 5 <= raw.ttl(f"easel:events:{thread}") <= OPEN_TTL, "a thread's feed outlives one run"
    assert OPEN_TTL - 5 <= raw.ttl(f"easel:events:{project}") <= OPEN_TTL


def test_a_long_lived_stream_gets_its_expiry_back_before_it_runs_out(log, raw):
    names = streams()
    log.append(names, {"type": "content_streaming", "content": "first"})
    raw.expire(f"easel:events:{names[1]}", 60)  # as if the thread's feed had been quiet for hours

    log.append(names, {"type": "content_streaming", "content": "later"})

    assert raw.ttl(f"easel:events:{names[1]}") > OPEN_TTL - 5


async def test_readers_of_many_streams_each_get_their_own_events_once(log):
    names = [streams()[0] for _ in range(20)]

    async def reader(name: str) -> list[str]:
        seen, after = [], None
        while not seen or seen[-1] != "end":
            for event_id, event in await log.read(name, after, wait=5):
                after = event_id
                seen.append(event["content"])
        return seen

    readers = [asyncio.create_task(reader(name)) for name in names]
    for k in range(10):
        for name in names:
            await asyncio.to_thread(log.append, [name], {"type": "content_streaming", "content": f"{name} {k}"})
    for name in names:
        await asyncio.to_thread(log.append, [name], {"type": "content_streaming", "content": "end"})
    results = await asyncio.wait_for(asyncio.gather(*readers), 30)

    for name, seen in zip(names, results, strict=True):
        assert seen == [f"{name} {k}" for k in range(10)] + ["end"]


async def test_the_tail_keeps_few_bytes_of_large_events_and_a_late_reader_still_gets_them_all(log):
    """A preview carries an image inline: the tail forgets it once delivered (past KEEP_BYTES), and
    a reader asking for it later reads it from Redis, in order, once."""
    (name,) = streams()[:1]
    big = "x" * 20_000

    async def follow(after: str | None, until: str) -> list[tuple[str, str]]:
        seen = []
        while not seen or seen[-1][1] != until:
            for event_id, event in await log.read(name, after, wait=5):
                after = event_id
                seen.append((event_id, event["content"][:8]))
        return seen

    live = asyncio.create_task(follow(None, "end"))
    await asyncio.sleep(0.2)
    for k in range(4):
        await asyncio.to_thread(log.append, [name], {"type": "media_preview", "content": f"p{k}" + big})
    await asyncio.to_thread(log.append, [name], {"type": "content_streaming", "content": "end"})
    seen = await asyncio.wait_for(live, 10)

    state = log._tail()._streams[log._key(name)]
    assert sum(state.sizes) <= log._tail().KEEP_BYTES and len(state.recent) < 5
    late = await asyncio.wait_for(follow(seen[0][0], "end"), 10)
    assert [content for _, content in seen] == ["p0xxxxxx", "p1xxxxxx", "p2xxxxxx", "p3xxxxxx", "end"]
    assert late == seen[1:]


async def test_a_run_stores_each_chunk_as_its_delta_not_the_answer_so_far(slow_celery):
    async with httpx.AsyncClient(timeout=30) as client:
        streamed = await read_all(
            client,
            "POST",
            f"{slow_celery.api_url}/threads/messages",
            json={"content": "Tell me about yourself.", "stream": True, "llm_provider": "local"},
            headers={"X-API-Key": slow_celery.api_key},
        )
    run_id = streamed[0][1]["run_id"]
    raw = redis.Redis.from_url(slow_celery.env["REDIS_URL"], decode_responses=True)
    try:
        stored = {event_id: fields["e"] for event_id, fields in raw.xrange(f"easel:events:run:{run_id}")}
    finally:
        raw.close()

    chunks = [(event_id, event) for event_id, event in streamed if event["type"] == "content_streaming"]
    assert len(chunks) > 10 and chunks[-1][1]["accumulated_content"] == streamed[-1][1]["final_content"]
    for event_id, event in chunks:
        assert "accumulated_content" not in stored[event_id]
        assert len(stored[event_id]) < len(event["content"]) + 250, "a stored chunk does not grow with the answer"


async def test_chunks_of_a_run_whose_log_expired_carry_what_is_left_and_read_it_once(monkeypatch):
    from designs import events

    run = str(uuid.uuid4())
    texts = [("Hel", 0), ("lo wor", 3), ("ld", 9), ("!", 11)]
    chunks = [{"type": "content_streaming", "run_id": run, "content": c, "text_at": at} for c, at in texts]
    for chunk in chunks[1:]:  # the run's own stream lost its first chunk
        events.get_log().append([events.run_stream(run)], chunk)
    feed = [(f"1-{n}", chunk) for n, chunk in enumerate(chunks)]
    reads = []
    real_read = events.answer_before

    async def counted(run_id: str, at: int) -> tuple[str, int]:
        reads.append(at)
        return await real_read(run_id, at)

    monkeypatch.setattr(events, "answer_before", counted)

    filled = await events.AnswerSoFar().fill(feed[2:])  # a thread feed replaying from the third chunk

    assert [e["accumulated_content"] for _, e in filled] == ["lo world", "lo world!"]
    assert reads == [9], "the run's log is read once, not once per chunk"
    assert all("text_at" not in e for _, e in filled)


async def test_a_reader_that_saw_the_answer_start_needs_no_read_and_forgets_ended_runs(monkeypatch):
    from designs import events

    async def no_read(run_id: str, at: int) -> tuple[str, int]:
        raise AssertionError("a reader that saw every chunk reads nothing")

    monkeypatch.setattr(events, "answer_before", no_read)
    run = str(uuid.uuid4())
    answer = events.AnswerSoFar()
    chunks = [("1-1", "Hel", 0), ("1-2", "lo", 3)]
    batch = [(i, {"type": "content_streaming", "run_id": run, "content": c, "text_at": at}) for i, c, at in chunks]

    filled = await answer.fill([*batch, ("1-3", {"type": "run_ended", "run_id": run})])

    assert [e.get("accumulated_content") for _, e in filled] == ["Hel", "Hello", None]
    assert batch[0][1]["text_at"] == 0, "the log's own entries (shared by readers) are not changed"
    assert answer._texts == {}
