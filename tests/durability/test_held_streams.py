"""Many open streams cost little: one Redis reader and no thread each in the web process, and no
database connection each in the worker while its runs wait on their model."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.processes import LiveEasel, is_postgres, maintenance_connection
from tests.support.sse import sse_events

STREAMS = 30


@pytest.fixture(scope="module")
def roomy_celery(tmp_path_factory, redis_server) -> Iterator[LiveEasel]:
    """A Redis-topology server whose worker runs every stream at once (threads pool)."""
    live = LiveEasel(
        tmp_path_factory.mktemp("held-streams"),
        env_overrides={
            "REDIS_URL": redis_server.fresh_url(),
            "EASEL_LOCAL_STREAM_DELAY": "0.05",
            # On PostgreSQL, 4 pooled connections a process: were a run waiting on its model to
            # keep one, the 30 runs would wait for the pool and fail its timeout.
            "EASEL_DB_POOL_MAX": "4",
            "EASEL_DB_POOL_TIMEOUT": "10",
        },
    )
    live.start_worker("roomy", "--pool", "threads", "--concurrency", str(STREAMS + 4))
    yield live
    live.stop()


def threads_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("Threads:")[1].split()[0])


def database_connections(url: str) -> int | None:
    """Connections open to a live server's PostgreSQL database (None on SQLite)."""
    if not is_postgres(url):
        return None
    with maintenance_connection(url) as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
        return conn.execute(query, (url.rsplit("/", 1)[1],)).fetchone()[0]


def blocked_readers(url: str) -> int:
    """Connections to this Redis database currently in XREAD (each tailing reader holds one)."""
    client = redis.Redis.from_url(url)
    db = client.connection_pool.connection_kwargs.get("db", 0)
    try:
        return sum(1 for c in client.client_list() if c.get("cmd") == "xread" and int(c.get("db", -1)) == db)
    finally:
        client.close()


async def held_stream(client: httpx.AsyncClient, easel: LiveEasel, opened: asyncio.Event, started: list) -> list:
    body = {"content": "Tell me about yourself.", "stream": True, "llm_provider": "local", "image_generation": "off"}
    seen, streaming = [], False
    async with client.stream(
        "POST", f"{easel.api_url}/threads/messages", json=body, headers={"X-API-Key": easel.api_key}
    ) as response:
        assert response.status_code == 200
        async for item in sse_events(response):
            seen.append(item)
            if item[1]["type"] == "content_streaming" and not streaming:
                # The run is streaming in the worker: hold this stream until every one is.
                streaming = True
                started.append(item)
                if len(started) == STREAMS:
                    opened.set()
                await opened.wait()
    return seen


async def test_many_open_streams_share_one_redis_reader_and_take_no_thread_each(roomy_celery):
    idle_threads = threads_of(roomy_celery.web.pid)
    opened = asyncio.Event()
    started: list = []
    limits = httpx.Limits(max_connections=STREAMS + 5)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        readers = [asyncio.create_task(held_stream(client, roomy_celery, opened, started)) for _ in range(STREAMS)]
        await asyncio.wait_for(opened.wait(), 30)
        held_threads = threads_of(roomy_celery.web.pid)
        xreads = blocked_readers(roomy_celery.env["REDIS_URL"])
        connections = database_connections(roomy_celery.env["DATABASE_URL"])
        streams = await asyncio.gather(*readers)

    assert held_threads - idle_threads < STREAMS // 3, (idle_threads, held_threads)
    assert xreads <= 2, f"{xreads} connections tailing for {STREAMS} streams"
    if connections is not None:  # PostgreSQL (CI): runs waiting on their model hold no connection
        assert connections < STREAMS // 3, f"{connections} database connections for {STREAMS} running runs"
    for events in streams:
        assert events[-1][1]["type"] == "run_ended"
        ids = [event_id for event_id, _ in events]
        assert len(ids) == len(set(ids)), "no event twice"
        text = "".join(e["content"] for _, e in events if e["type"] == "content_streaming")
        assert text == events[-1][1]["final_content"], "every chunk, once, in order"
    assert len({events[0][1]["run_id"] for events in streams}) == STREAMS
