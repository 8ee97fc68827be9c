"""Reading a run's event log as a client: SSE frames, or a wait for the terminal event.

Both are async so one web process holds many waiting clients without a thread each. Neither
can hang: whenever the log is quiet the run's row is checked, a finished run ends the stream
(with a terminal event rebuilt from the row if the log no longer has one after the reader's
position), and the total wait is bounded by EASEL_RUN_WAIT_TIMEOUT.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve

from designs import events
from designs.db import db_call
from designs.events import PAUSE_OR_END, EventType
from designs.models import Run
from designs.services.tool_outputs import pending_tool_calls

FIRST_LOOK = 0.001  # seconds: the first read only looks, so a finished run ends at once


async def follow(run_id: str, after: str | None = None) -> AsyncIterator[tuple[str | None, dict]]:
    """Yield (event_id, event) from the log after `after` up to the terminal event, or up to
    `tool_submit_required` (the run paused for the caller's tools; its continuation is read
    from after that event by whoever submits the outputs).

    Yields (None, {}) on each quiet keepalive interval so callers can send a comment.
    """
    async for batch in follow_batches(run_id, after):
        for entry in batch:
            yield entry


async def follow_batches(run_id: str, after: str | None = None) -> AsyncIterator[list[tuple[str | None, dict]]]:
    """`follow`, a read at a time: every event one read of the log returned, in order (a
    reader that fell behind gets several at once and can send them in one write)."""
    log = events.get_log()
    stream = events.run_stream(run_id)
    deadline = time.monotonic() + settings.EASEL_RUN_WAIT_TIMEOUT
    last, wait, started = after, FIRST_LOOK, False
    while True:
        try:
            if not started:
                last, started = await events.resume_point(stream, after), True
            batch = await log.read(stream, last, wait=wait)
        except (OSError, ConnectionError, *_redis_errors()) as exc:
            # The log's store went away: say so and end, so the client reconnects with its
            # Last-Event-ID once it is back, instead of hanging on a dead connection.
            error = f"Event log unavailable: {type(exc).__name__}"
            yield [(None, {"type": EventType.ERROR, "run_id": run_id, "error": error})]
            return
        wait = settings.EASEL_SSE_KEEPALIVE
        if batch:
            upto = _through_terminal(batch)
            last = upto[-1][0]
            yield upto
            if upto[-1][1].get("type") in PAUSE_OR_END:
                return
            continue
        ended = await _terminal_from_row(run_id)
        if ended is not None:
            # The run ended: anything appended since the read above still comes first, in order.
            rest = _through_terminal(await log.read(stream, last, wait=FIRST_LOOK))
            if rest and rest[-1][1].get("type") in PAUSE_OR_END:
                yield rest
                return
            yield [*rest, (None, ended)]
            return
        if time.monotonic() > deadline:
            yield [
                (
                    None,
                    {
                        "type": EventType.ERROR,
                        "run_id": run_id,
                        "error": f"Run did not finish within {settings.EASEL_RUN_WAIT_TIMEOUT} s",
                    },
                )
            ]
            return
        yield [(None, {})]


def _through_terminal(batch: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """The batch up to and including its first terminal (or pause) event."""
    for index, (_event_id, event) in enumerate(batch):
        if event.get("type") in PAUSE_OR_END:
            return batch[: index + 1]
    return batch


def _run_row(run_id: str) -> tuple[Run | None, list[dict] | None]:
    """The run's row, and, when it waits for tool outputs and its log no longer holds the pause
    event, the calls it waits for (a reader past the pause waits on for the continuation)."""
    run = Run.objects.filter(id=run_id).only("status", "error", "thread_id", "assistant_id").first()
    waiting = run is not None and run.status == Run.Status.REQUIRES_ACTION
    if waiting and events.get_log().last_id(events.run_stream(run_id)) is None:
        return run, pending_tool_calls(run)
    return run, None


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        import redis.exceptions
    except ImportError:  # pragma: no cover - redis is a runtime dependency
        return ()
    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


async def _terminal_from_row(run_id: str) -> dict | None:
    """The terminal event of a finished run, or the pause of a waiting one whose log expired,
    rebuilt from its row (None while it runs or waits)."""
    run, waiting_for = await db_call(_run_row)(run_id)
    if run is None or not (run.is_finished or waiting_for is not None):
        return None
    base = {"thread_id": str(run.thread_id), "assistant_id": str(run.assistant_id), "run_id": run_id}
    if waiting_for is not None:
        return {"type": EventType.TOOL_SUBMIT_REQUIRED, "status": "REQUIRES_ACTION", "tool_calls": waiting_for, **base}
    if run.status == Run.Status.COMPLETED:
        return {"type": EventType.RUN_ENDED, "status": "completed", **base}
    if run.status == Run.Status.CANCELLED:
        return {"type": EventType.RUN_CANCELLED, **base}
    return {"type": EventType.RUN_FAILED, "error": run.error or "Run failed", **base}


async def sse_body(run_id: str, after: str | None = None) -> AsyncIterator[bytes]:
    """The SSE response body: a comment at once (some servers hold headers until the first
    byte), then each event with its id, keepalive comments while quiet, and the end."""
    yield b": ok\n\n"
    answer = events.AnswerSoFar()
    async for batch in follow_batches(run_id, after):
        # One chunk per read: a client that fell behind gets its backlog in one write.
        batch = await answer.fill(batch)
        yield b"".join(events.sse_frame(event_id, event) if event else b": keepalive\n\n" for event_id, event in batch)


async def wait_for_end(run_id: str, after: str | None = None) -> dict:
    """The terminal event of a run, or its pause for tool outputs (waits for either)."""
    async for _event_id, event in follow(run_id, after):
        if event.get("type") in PAUSE_OR_END:
            return event
    return {"type": EventType.ERROR, "error": "Run ended without a terminal event"}


def event_stream_view(view: Any) -> Any:
    """Mark an async view that may answer with a long-lived event stream. The ASGI handler
    (project/asgi.py) asks the URL resolver whether a path leads to one, so the stream paths
    are declared once, in designs/urls.py."""
    view.streams_events = True
    return view


def is_event_stream_path(path: str) -> bool:
    """Whether the view Django will route `path` to is marked by `event_stream_view` (asked
    before Django's own handling, so an unknown path is simply not a stream)."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return bool(getattr(match.func, "streams_events", False))
