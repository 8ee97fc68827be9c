"""The realtime contract: every run's events go into one ordered, replayable log.

Readers (the POST stream, the attach endpoint, websocket feeds) replay the log from any event
id and then tail it; pub/sub is never the source of truth. In the Redis topology the log is a
Redis Stream per run (written by Celery workers, read by the web process); embedded, it is an
in-memory list shared by the generation threads and the event loop of the same process.

Event ids look like Redis Stream ids (`<int>-<int>`) in both backends and compare as pairs.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

TERMINAL_TYPES = frozenset({"run_ended", "run_failed", "run_cancelled", "error"})
_EVENT_ID = re.compile(r"^\d{1,20}-\d{1,20}$")

Event = dict[str, Any]
Entry = tuple[str, Event]


class MalformedEventId(ValueError):
    pass


def parse_event_id(value: str | None) -> str | None:
    """Validate a Last-Event-ID / ?after= value. Empty means "from the start"."""
    if value is None or value.strip() in ("", "0"):
        return None
    value = value.strip()
    if not _EVENT_ID.match(value):
        raise MalformedEventId(f"Malformed event id {value!r}: expected <int>-<int>")
    return value


def id_key(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq)


class EventLog(Protocol):
    """Named streams of events. A run's events go to its own stream and, as copies, to its
    thread's and its project's streams, which the websocket feeds follow."""

    def append(self, streams: list[str], event: Event) -> str:
        """Append one event to each stream (sync; atomic). Returns its id in the first."""

    def entries(self, stream: str, after: str | None = None) -> list[Entry]:
        """Every event after `after`, without waiting (sync)."""

    async def read(self, stream: str, after: str | None, timeout: float) -> list[Entry]:
        """Events after `after`; waits up to `timeout` seconds for the first one."""

    def last_id(self, stream: str) -> str | None:
        """The id of the newest event in the stream (None when empty)."""

    def request_cancel(self, run_id: str) -> None: ...

    def cancel_requested(self, run_id: str) -> bool: ...


# --------------------------------------------------------------------------------------------
# Embedded: one process, threads write, the event loop reads.
# --------------------------------------------------------------------------------------------


@dataclass
class _MemoryRun:
    entries: list[Entry] = field(default_factory=list)
    waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list)
    expires_at: float | None = None
    cancelled: bool = False


class MemoryEventLog:
    MAXLEN = 20_000

    def __init__(self, ttl: float) -> None:
        self._runs: dict[str, _MemoryRun] = {}
        self._lock = threading.Lock()
        self._ttl = ttl
        self._seq = 0

    def _run(self, stream: str) -> _MemoryRun:
        return self._runs.setdefault(stream, _MemoryRun())

    def _purge_expired(self) -> None:
        now = time.monotonic()
        for run_id in [r for r, run in self._runs.items() if run.expires_at and run.expires_at < now]:
            del self._runs[run_id]

    def append(self, streams: list[str], event: Event) -> str:
        waiters = []
        with self._lock:
            self._purge_expired()
            self._seq += 1
            event_id = f"{int(time.time() * 1000)}-{self._seq}"
            for stream in streams:
                run = self._run(stream)
                run.entries.append((event_id, event))
                if len(run.entries) > self.MAXLEN:
                    del run.entries[: len(run.entries) - self.MAXLEN]
                if stream.startswith("run:") and event.get("type") in TERMINAL_TYPES:
                    run.expires_at = time.monotonic() + self._ttl
                waiters += run.waiters
                run.waiters = []
        for loop, waiter in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(waiter.set)
        return event_id

    def entries(self, stream: str, after: str | None = None) -> list[Entry]:
        with self._lock:
            return self._after(stream, after)

    async def read(self, stream: str, after: str | None, timeout: float) -> list[Entry]:
        waiter = asyncio.Event()
        with self._lock:
            found = self._after(stream, after)
            if not found:
                self._run(stream).waiters.append((asyncio.get_running_loop(), waiter))
        if found:
            return found
        try:
            await asyncio.wait_for(waiter.wait(), timeout)
        except TimeoutError:
            return []
        return self.entries(stream, after)

    def last_id(self, stream: str) -> str | None:
        with self._lock:
            run = self._runs.get(stream)
            return run.entries[-1][0] if run and run.entries else None

    def _after(self, stream: str, after: str | None) -> list[Entry]:
        run = self._runs.get(stream)
        if not run:
            return []
        if after is None:
            return list(run.entries)
        key = id_key(after)
        return [(i, e) for i, e in run.entries if id_key(i) > key]

    def request_cancel(self, run_id: str) -> None:
        with self._lock:
            self._run(run_id).cancelled = True

    def cancel_requested(self, run_id: str) -> bool:
        run = self._runs.get(run_id)
        return bool(run and run.cancelled)


# --------------------------------------------------------------------------------------------
# Redis topology: a Stream per run.
# --------------------------------------------------------------------------------------------


class RedisEventLog:
    """XADD from workers (sync client), XREAD BLOCK from the web process (asyncio client)."""

    MAXLEN = 20_000

    def __init__(self, url: str, ttl: int, open_ttl: int) -> None:
        import redis

        self._url = url
        self._ttl = ttl
        self._open_ttl = open_ttl  # an unfinished run's log still expires eventually
        # A threads-pool worker runs many runs at once, each appending: redis-py's default pool of
        # 100 would make the 101st run crash without a terminal event.
        self._sync = redis.Redis.from_url(
            url, decode_responses=True, max_connections=settings.EASEL_REDIS_MAX_CONNECTIONS
        )
        self._async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @staticmethod
    def _key(stream: str) -> str:
        return f"easel:events:{stream}"

    def _async(self) -> Any:
        import redis.asyncio as aredis

        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            # Every tailing reader holds one connection in XREAD BLOCK, so the pool must be as
            # large as the number of clients a web process holds (redis-py's default is 100).
            # The socket timeout must outlast an XREAD BLOCK of a keepalive interval; redis-py 8's
            # default of 5 s ended every stream that stayed quiet that long (a slow image model).
            client = aredis.Redis.from_url(
                self._url,
                decode_responses=True,
                max_connections=settings.EASEL_REDIS_MAX_CONNECTIONS,
                socket_timeout=settings.EASEL_SSE_KEEPALIVE + 10,
            )
            self._async_clients[loop] = client
        return client

    def append(self, streams: list[str], event: Event) -> str:
        payload = {"e": json.dumps(event, separators=(",", ":"))}
        pipe = self._sync.pipeline(transaction=True)
        for stream in streams:
            key = self._key(stream)
            pipe.xadd(key, payload, maxlen=self.MAXLEN, approximate=True)
            terminal = stream.startswith("run:") and event.get("type") in TERMINAL_TYPES
            pipe.expire(key, self._ttl if terminal else self._open_ttl)
        return pipe.execute()[0]

    @staticmethod
    def _decode(items: Iterable[tuple[str, dict[str, str]]]) -> list[Entry]:
        return [(event_id, json.loads(fields["e"])) for event_id, fields in items]

    def entries(self, stream: str, after: str | None = None) -> list[Entry]:
        start = f"({after}" if after else "-"
        return self._decode(self._sync.xrange(self._key(stream), start, "+"))

    async def read(self, stream: str, after: str | None, timeout: float) -> list[Entry]:
        client = self._async()
        result = await client.xread({self._key(stream): after or "0-0"}, count=500, block=max(1, int(timeout * 1000)))
        if not result:
            return []
        _key, items = result[0]
        return self._decode(items)

    def last_id(self, stream: str) -> str | None:
        newest = self._sync.xrevrange(self._key(stream), "+", "-", count=1)
        return newest[0][0] if newest else None

    def request_cancel(self, run_id: str) -> None:
        self._sync.set(f"easel:run:{run_id}:cancel", "1", ex=self._open_ttl)

    def cancel_requested(self, run_id: str) -> bool:
        return bool(self._sync.exists(f"easel:run:{run_id}:cancel"))


_log: EventLog | None = None
_log_lock = threading.Lock()


def get_log() -> EventLog:
    """The process-wide event log for the configured topology."""
    global _log
    if _log is None:
        with _log_lock:
            if _log is None:
                if settings.REDIS_URL:
                    _log = RedisEventLog(
                        settings.REDIS_URL,
                        ttl=settings.EASEL_EVENT_LOG_TTL,
                        open_ttl=settings.EASEL_EVENT_LOG_TTL + settings.EASEL_RUN_TIME_LIMIT * 2,
                    )
                else:
                    _log = MemoryEventLog(ttl=settings.EASEL_EVENT_LOG_TTL)
    return _log


async def resume_point(stream: str, after: str | None) -> str | None:
    """Where a reader asking for events after `after` starts: an id from the future (a clock
    ahead, a stream that was trimmed) means "nothing to replay, tail from now"."""
    if after is None:
        return None
    from asgiref.sync import sync_to_async

    newest = await sync_to_async(get_log().last_id, thread_sensitive=False)(stream)
    if newest is None or id_key(after) > id_key(newest):
        return newest
    return after


def run_stream(run_id: object) -> str:
    return f"run:{run_id}"


def thread_stream(thread_id: object) -> str:
    return f"thread:{thread_id}"


def project_stream(project_id: object) -> str:
    return f"project:{project_id}"


def publish(
    *, project_id: object, thread_id: object, run_id: object, assistant_id: object, type: str, **fields: Any
) -> str:
    """Append one run event (with its thread, assistant and run ids) to the run's, the
    thread's and the project's streams. Returns the event's id in the run stream."""
    event = {
        "type": type,
        "thread_id": str(thread_id),
        "assistant_id": str(assistant_id),
        "run_id": str(run_id),
        **fields,
    }
    streams = [run_stream(run_id), thread_stream(thread_id), project_stream(project_id)]
    return get_log().append(streams, event)


def sse_frame(event_id: str | None, event: Event) -> bytes:
    """One SSE event: an `id:` line (unless the event is not from the log) and a single-line
    compact `data: ` line (the SDK needs the space after the colon and no line breaks)."""
    data = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    id_line = f"id: {event_id}\n" if event_id else ""
    return f"{id_line}data: {data}\n\n".encode()
