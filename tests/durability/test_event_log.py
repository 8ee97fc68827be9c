"""The Redis event log itself: one id per event across its streams, order, and expiry."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis

from designs.events import RedisEventLog, id_key

TTL, OPEN_TTL = 300, 3600


@pytest.fixture
def log(redis_server) -> RedisEventLog:
    return RedisEventLog(redis_server.url, ttl=TTL, open_ttl=OPEN_TTL)


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
