"""The event log's storage: named, ordered, replayable streams of JSON events.

Embedded it is an in-memory list shared by the generation threads and the event loop of one
process; with Redis, a Redis Stream per name (XADD from workers, XREAD from the web process).
What the events mean is the contract's (`designs.events`). Storage needs one fact of it, which
event types end a run (that run's stream then expires soon), and is told it at construction,
so it imports nothing of the contract. Ids look like Redis Stream ids (`<int>-<int>`) in both
backends and compare as pairs (`id_key`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import weakref
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

Event = dict[str, Any]
Entry = tuple[str, Event]

# A stream named so is a run's own (`designs.events.run_stream`): it expires once the run ends.
RUN_STREAM_PREFIX = "run:"


def id_key(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq)


class EventLog(Protocol):
    """Named streams of events; one append may go to several streams under one id."""

    def append(self, streams: list[str], event: Event) -> str:
        """Append one event to each stream (sync; atomic). Returns its id in the first."""

    def entries(self, stream: str, after: str | None = None) -> list[Entry]:
        """Every event after `after`, without waiting (sync)."""

    async def read(self, stream: str, after: str | None, wait: float) -> list[Entry]:
        """Events after `after`; waits up to `wait` seconds for the first one."""

    def last_id(self, stream: str) -> str | None:
        """The id of the newest event in the stream (None when empty)."""

    def request_cancel(self, run_id: str) -> None: ...

    def cancel_requested(self, run_id: str) -> bool: ...


# Embedded: one process, threads write, the event loop reads.


@dataclass
class _MemoryRun:
    entries: list[Entry] = field(default_factory=list)
    waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list)
    expires_at: float | None = None
    cancelled: bool = False


class MemoryEventLog:
    MAXLEN = 20_000

    def __init__(self, ttl: float, *, terminal: Collection[str]) -> None:
        self._runs: dict[str, _MemoryRun] = {}
        self._terminal = frozenset(terminal)
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
                if stream.startswith(RUN_STREAM_PREFIX) and event.get("type") in self._terminal:
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

    async def read(self, stream: str, after: str | None, wait: float) -> list[Entry]:
        waiter = asyncio.Event()
        with self._lock:
            found = self._after(stream, after)
            if not found:
                self._run(stream).waiters.append((asyncio.get_running_loop(), waiter))
        if found:
            return found
        try:
            await asyncio.wait_for(waiter.wait(), wait)
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


# Redis: a Redis Stream per stream.


class RedisEventLog:
    """XADD from workers (sync client), XREAD BLOCK from the web process (asyncio client)."""

    MAXLEN = 20_000

    def __init__(self, url: str, ttl: int, open_ttl: int, *, terminal: Collection[str]) -> None:
        import redis

        self._url = url
        self._terminal = frozenset(terminal)
        self._ttl = ttl
        self._open_ttl = open_ttl  # an unfinished run's log still expires eventually
        # A threads-pool worker runs many runs at once, each appending: redis-py's default pool of
        # 100 would make the 101st run crash without a terminal event.
        self._sync = redis.Redis.from_url(
            url, decode_responses=True, max_connections=settings.EASEL_REDIS_MAX_CONNECTIONS
        )
        self._append = self._sync.register_script(self.APPEND)
        self._tails: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> _Tail

    @staticmethod
    def _key(stream: str) -> str:
        return f"easel:events:{stream}"

    # One command per event, atomic like MULTI/EXEC: XADD the event to every stream; the run's
    # stream (the first key) gets the short TTL once the run ends, and any stream whose TTL has
    # run below half of the open TTL gets it back. As MULTI + 3 XADD + 3 EXPIRE + EXEC, the
    # client-side packing and parsing was 40% of a busy worker's CPU.
    APPEND = """
    local id
    for i, key in ipairs(KEYS) do
        local added = redis.call('XADD', key, 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[1])
        if i == 1 then id = added end
        if i == 1 and ARGV[5] == '1' then
            redis.call('EXPIRE', key, ARGV[3])
        elseif redis.call('TTL', key) < tonumber(ARGV[4]) / 2 then
            redis.call('EXPIRE', key, ARGV[4])
        end
    end
    return id
    """

    def append(self, streams: list[str], event: Event) -> str:
        """`streams[0]` is the event's own stream (a run's, whose log expires when it ends)."""
        ends_run = streams[0].startswith(RUN_STREAM_PREFIX) and event.get("type") in self._terminal
        payload = json.dumps(event, separators=(",", ":"))
        return self._append(
            keys=[self._key(stream) for stream in streams],
            args=[payload, self.MAXLEN, self._ttl, self._open_ttl, "1" if ends_run else "0"],
        )

    @staticmethod
    def _decode(items: Iterable[tuple[str, dict[str, str]]]) -> list[Entry]:
        return [(event_id, json.loads(fields["e"])) for event_id, fields in items]

    def entries(self, stream: str, after: str | None = None) -> list[Entry]:
        start = f"({after}" if after else "-"
        return self._decode(self._sync.xrange(self._key(stream), start, "+"))

    async def read(self, stream: str, after: str | None, wait: float) -> list[Entry]:
        return await self._tail().read(self._key(stream), after, wait)

    def _tail(self) -> _Tail:
        """The event loop's tail, with the loop's asyncio Redis client."""
        import redis.asyncio as aredis

        loop = asyncio.get_running_loop()
        tail = self._tails.get(loop)
        if tail is None:
            # Tailing readers share one connection, but each new reader's catch-up read takes
            # one for a moment, so a connect storm needs more than redis-py's default 100. The
            # socket timeout must outlast the tail's XREAD BLOCK; redis-py 8's default of 5 s
            # ended every stream that stayed quiet that long (a slow image model).
            client = aredis.Redis.from_url(
                self._url,
                decode_responses=True,
                max_connections=settings.EASEL_REDIS_MAX_CONNECTIONS,
                socket_timeout=settings.EASEL_SSE_KEEPALIVE + 10,
            )
            tail = self._tails[loop] = _Tail(client, self._decode, self._terminal)
        return tail

    def last_id(self, stream: str) -> str | None:
        newest = self._sync.xrevrange(self._key(stream), "+", "-", count=1)
        return newest[0][0] if newest else None

    def request_cancel(self, run_id: str) -> None:
        self._sync.set(f"easel:run:{run_id}:cancel", "1", ex=self._open_ttl)

    def cancel_requested(self, run_id: str) -> bool:
        return bool(self._sync.exists(f"easel:run:{run_id}:cancel"))


@dataclass
class _Followed:
    """One stream the tail reads: where it is, what it read lately, who waits for more."""

    cursor: str  # the next XREAD asks for entries after this id
    base: tuple[int, int]  # `recent` holds every entry after this id
    is_run: bool = False
    recent: list[Entry] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # each recent entry's stored size, in bytes
    waiters: list[tuple[tuple[int, int], asyncio.Future]] = field(default_factory=list)
    idle_since: float | None = None
    ended: bool = False  # a run's stream that delivered its terminal event


class _Tail:
    """Every reader in one event loop, served by one XREAD BLOCK over all their streams.

    A reader per connection would hold a Redis connection (and its buffers) per client and
    send one XREAD per event per client; here the web process holds one connection however
    many clients it serves, and one reply carries the events of every stream that moved.
    Readers come and go between reads (`read` returns a batch, the caller sends it and asks
    again), so a stream stays followed for LINGER seconds after its last reader left, and the
    entries it read lately are kept, so the next read is served without a round trip.

    A reader the tail cannot serve from memory (it is new, or asks for older events than the
    tail kept) reads Redis itself first, so replay never depends on what the tail holds. A
    stream the tail starts to follow while its XREAD is blocked wakes it through a stream of
    its own. If Redis fails, every waiting reader gets the error (their streams end with an
    `error` event) and the next read starts over.
    """

    KEEP = 32
    # ... and at most this many bytes of them: a preview event carries an image inline, and a
    # stream waiting half a minute on its image kept two of them (tens of KiB) for nobody.
    KEEP_BYTES = 8 * 1024
    LINGER = 5.0
    BLOCK_MS = 5_000  # well under the client's socket timeout (keepalive + 10 s)
    COUNT = 500
    BUSY = 8  # streams followed at once above which the tail gathers events between reads
    GATHER = 0.002  # seconds

    def __init__(self, client: Any, decode: Any, terminal: frozenset[str]) -> None:
        import uuid

        self._client = client
        self._decode = decode
        self._terminal = terminal
        self._streams: dict[str, _Followed] = {}
        self._task: asyncio.Task | None = None
        self._blocked = False
        self._wake_key = f"easel:wake:{uuid.uuid4().hex}"
        self._wake_cursor = "0-0"
        self._wakes: set[asyncio.Task] = set()

    async def read(self, key: str, after: str | None, wait: float) -> list[Entry]:
        mark = id_key(after) if after else (0, 0)
        state = self._streams.get(key)
        if state is None or mark < state.base:
            found = self._decode(await self._client.xrange(key, f"({after}" if after else "-", "+", count=self.COUNT))
            if found:
                return found
            state = self._streams.get(key)
            if state is None:
                # Nothing after `after` exists now, so every later entry comes after it.
                is_run = f":{RUN_STREAM_PREFIX}" in key  # the key of a run's own stream
                state = self._streams[key] = _Followed(cursor=after or "0-0", base=mark, is_run=is_run)
                if self._blocked:
                    self._wake()
        found = _newer(state.recent, mark)
        if found:
            return found
        waiter = asyncio.get_running_loop().create_future()
        state.waiters.append((mark, waiter))
        state.idle_since = None
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        try:
            return await asyncio.wait_for(waiter, wait)
        except TimeoutError:
            return []
        finally:
            if (mark, waiter) in state.waiters:
                state.waiters.remove((mark, waiter))
            if not state.waiters:
                state.idle_since = time.monotonic()

    def _wake(self) -> None:
        async def wake() -> None:
            with contextlib.suppress(Exception):  # a failed wake only delays the new stream
                pipe = self._client.pipeline(transaction=False)
                pipe.xadd(self._wake_key, {"w": "1"}, maxlen=1)
                pipe.expire(self._wake_key, 3600)
                await pipe.execute()

        task = asyncio.create_task(wake())
        self._wakes.add(task)
        task.add_done_callback(self._wakes.discard)

    async def _run(self) -> None:
        try:
            while self._prune():
                streams = {key: state.cursor for key, state in self._streams.items()}
                streams[self._wake_key] = self._wake_cursor
                self._blocked = True
                try:
                    reply = await self._client.xread(streams, count=self.COUNT, block=self.BLOCK_MS)
                finally:
                    self._blocked = False
                moved = 0
                for key, items in reply.items() if isinstance(reply, dict) else reply or ():
                    if key == self._wake_key:
                        self._wake_cursor = items[-1][0]
                    elif (state := self._streams.get(key)) is not None and items:
                        self._deliver(state, self._decode(items), [_stored_size(f) for _, f in items])
                        moved += 1
                if moved and len(self._streams) > self.BUSY:
                    # Many streams moving: let events gather, so one XREAD carries several.
                    await asyncio.sleep(self.GATHER)
        except Exception as exc:  # Redis went away: every waiting reader hears it
            for state in self._streams.values():
                for _mark, waiter in state.waiters:
                    if not waiter.done():
                        waiter.set_exception(exc)
            self._streams.clear()
        finally:
            self._task = None

    def _deliver(self, state: _Followed, entries: list[Entry], sizes: list[int]) -> None:
        state.cursor = entries[-1][0]
        state.recent.extend(entries)
        state.sizes.extend(sizes)
        # Forget the oldest past KEEP entries or KEEP_BYTES: `base` moves past them, and a reader
        # that still wants them reads them from Redis.
        drop, kept = 0, sum(state.sizes)
        while drop < len(state.recent) and (len(state.recent) - drop > self.KEEP or kept > self.KEEP_BYTES):
            kept -= state.sizes[drop]
            drop += 1
        if drop:
            state.base = id_key(state.recent[drop - 1][0])
            del state.recent[:drop], state.sizes[:drop]
        keys = [id_key(event_id) for event_id, _ in entries]
        if state.is_run and any(event.get("type") in self._terminal for _, event in entries):
            state.ended = True
        for mark, waiter in state.waiters:
            if waiter.done():
                continue
            fresh = [entry for entry, key in zip(entries, keys, strict=True) if key > mark]
            if fresh:
                waiter.set_result(fresh)

    def _prune(self) -> bool:
        """Stop following streams nobody reads (a run's once it ended, others after LINGER
        seconds): every followed stream is one more key in each XREAD. True while any is left."""
        now = time.monotonic()
        for key, state in list(self._streams.items()):
            if state.idle_since and (state.ended or now - state.idle_since > self.LINGER):
                del self._streams[key]
        return bool(self._streams)


def _stored_size(fields: Any) -> int:
    """An entry's size as Redis returned it (its field values), a measure of what it holds."""
    return sum(len(value) for value in fields.values()) if isinstance(fields, dict) else 0


def _newer(entries: list[Entry], mark: tuple[int, int]) -> list[Entry]:
    """The entries after `mark` from a list in id order, scanning from its end: a tailing reader
    is usually one entry behind, so this costs a comparison or two, not one per entry kept."""
    start = len(entries)
    while start and id_key(entries[start - 1][0]) > mark:
        start -= 1
    return entries[start:]
