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
    def append(self, run_id: str, event: Event) -> str:
        """Append one event (sync; called from generation code). Returns its id."""

    def entries(self, run_id: str, after: str | None = None) -> list[Entry]:
        """Every event after `after`, without waiting (sync)."""

    async def read(self, run_id: str, after: str | None, timeout: float) -> list[Entry]:
        """Events after `after`; waits up to `timeout` seconds for the first one."""

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
    def __init__(self, ttl: float) -> None:
        self._runs: dict[str, _MemoryRun] = {}
        self._lock = threading.Lock()
        self._ttl = ttl
        self._seq = 0

    def _run(self, run_id: str) -> _MemoryRun:
        return self._runs.setdefault(run_id, _MemoryRun())

    def _purge_expired(self) -> None:
        now = time.monotonic()
        for run_id in [r for r, run in self._runs.items() if run.expires_at and run.expires_at < now]:
            del self._runs[run_id]

    def append(self, run_id: str, event: Event) -> str:
        with self._lock:
            self._purge_expired()
            run = self._run(run_id)
            self._seq += 1
            event_id = f"{int(time.time() * 1000)}-{self._seq}"
            run.entries.append((event_id, event))
            if event.get("type") in TERMINAL_TYPES:
                run.expires_at = time.monotonic() + self._ttl
            waiters, run.waiters = run.waiters, []
        for loop, waiter in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(waiter.set)
        return event_id

    def entries(self, run_id: str, after: str | None = None) -> list[Entry]:
        with self._lock:
            run = self._runs.get(run_id)
            items = list(run.entries) if run else []
        if after is None:
            return items
        key = id_key(after)
        return [(i, e) for i, e in items if id_key(i) > key]

    async def read(self, run_id: str, after: str | None, timeout: float) -> list[Entry]:
        waiter = asyncio.Event()
        with self._lock:
            found = self._after(run_id, after)
            if not found:
                self._run(run_id).waiters.append((asyncio.get_running_loop(), waiter))
        if found:
            return found
        try:
            await asyncio.wait_for(waiter.wait(), timeout)
        except TimeoutError:
            return []
        return self.entries(run_id, after)

    def _after(self, run_id: str, after: str | None) -> list[Entry]:
        run = self._runs.get(run_id)
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
        self._sync = redis.Redis.from_url(url, decode_responses=True)
        self._async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @staticmethod
    def _key(run_id: str) -> str:
        return f"easel:run:{run_id}:events"

    def _async(self) -> Any:
        import redis.asyncio as aredis

        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            client = aredis.Redis.from_url(self._url, decode_responses=True)
            self._async_clients[loop] = client
        return client

    def append(self, run_id: str, event: Event) -> str:
        key = self._key(run_id)
        pipe = self._sync.pipeline(transaction=True)
        pipe.xadd(key, {"e": json.dumps(event, separators=(",", ":"))}, maxlen=self.MAXLEN, approximate=True)
        ttl = self._ttl if event.get("type") in TERMINAL_TYPES else self._open_ttl
        pipe.expire(key, ttl)
        event_id, _ = pipe.execute()
        return event_id

    @staticmethod
    def _decode(items: Iterable[tuple[str, dict[str, str]]]) -> list[Entry]:
        return [(event_id, json.loads(fields["e"])) for event_id, fields in items]

    def entries(self, run_id: str, after: str | None = None) -> list[Entry]:
        start = f"({after}" if after else "-"
        return self._decode(self._sync.xrange(self._key(run_id), start, "+"))

    async def read(self, run_id: str, after: str | None, timeout: float) -> list[Entry]:
        client = self._async()
        result = await client.xread(
            {self._key(run_id): after or "0-0"}, count=500, block=max(1, int(timeout * 1000))
        )
        if not result:
            return []
        _key, items = result[0]
        return self._decode(items)

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


def sse_frame(event_id: str | None, event: Event) -> bytes:
    """One SSE event: an `id:` line (unless the event is not from the log) and a single-line
    compact `data: ` line (the SDK needs the space after the colon and no line breaks)."""
    data = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    id_line = f"id: {event_id}\n" if event_id else ""
    return f"{id_line}data: {data}\n\n".encode()
