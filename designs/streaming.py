"""Reading a run's event log as a client: SSE frames, or a wait for the terminal event.

Both are async so one web process holds many waiting clients without a thread each. Neither
can hang: the log is re-checked against the run's row on every keepalive tick, and the total
wait is bounded by EASEL_RUN_WAIT_TIMEOUT.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings

from designs import events
from designs.models import Run


async def follow(run_id: str, after: str | None = None) -> AsyncIterator[tuple[str | None, dict]]:
    """Yield (event_id, event) from the log after `after` up to the terminal event.

    Yields (None, {}) on each quiet keepalive interval so callers can send a comment.
    """
    log = events.get_log()
    deadline = time.monotonic() + settings.EASEL_RUN_WAIT_TIMEOUT
    last = after
    while True:
        batch = await log.read(run_id, last, timeout=settings.EASEL_SSE_KEEPALIVE)
        for event_id, event in batch:
            last = event_id
            yield event_id, event
            if event.get("type") in events.TERMINAL_TYPES:
                return
        if batch:
            continue
        ended = await _ended_without_log(run_id)
        if ended is not None:
            yield None, ended
            return
        if time.monotonic() > deadline:
            yield None, {"type": "error", "run_id": run_id,
                         "error": f"Run did not finish within {settings.EASEL_RUN_WAIT_TIMEOUT} s"}
            return
        yield None, {}


async def _ended_without_log(run_id: str) -> dict | None:
    """A terminal event rebuilt from the database when a finished run's log is gone."""
    run = await Run.objects.filter(id=run_id).only("status", "error", "thread_id", "assistant_id").afirst()
    if run is None or not run.is_finished:
        return None
    # The run ended but its terminal event is not in the log (expired, or Redis lost it).
    entries = await sync_to_async(events.get_log().entries, thread_sensitive=False)(run_id)
    if any(e.get("type") in events.TERMINAL_TYPES for _, e in entries):
        return None
    base = {"thread_id": str(run.thread_id), "assistant_id": str(run.assistant_id), "run_id": run_id}
    if run.status == Run.Status.COMPLETED:
        return {"type": "run_ended", "status": "completed", **base}
    if run.status == Run.Status.CANCELLED:
        return {"type": "run_cancelled", **base}
    return {"type": "run_failed", "error": run.error or "Run failed", **base}


async def sse_body(run_id: str, after: str | None = None) -> AsyncIterator[bytes]:
    """The SSE response body: a comment at once (some servers hold headers until the first
    byte), then each event with its id, keepalive comments while quiet, and the end."""
    yield b": ok\n\n"
    async for event_id, event in follow(run_id, after):
        if not event:
            yield b": keepalive\n\n"
            continue
        yield events.sse_frame(event_id, event)


async def wait_for_end(run_id: str) -> dict:
    """The terminal event of a run (waits for it)."""
    async for _event_id, event in follow(run_id):
        if event.get("type") in events.TERMINAL_TYPES:
            return event
    return {"type": "error", "error": "Run ended without a terminal event"}
