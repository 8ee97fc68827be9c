"""Where a turn's time goes, phase by phase (`EASEL_TRACE=1`; off by default, and then free).

A process marks the moments of one turn it handles (`mark("auth")`) on a context-local list,
and `flush(run_id)` writes them as one log line on the `easel.trace` logger:

    trace run=<id> side=web request=1733580000.123456 auth=…

Times are wall-clock (`time.time()`), so the web process, the worker and a client on the same
host line up without joining clocks; `bench/trace_turn.py` reads the lines back.
"""

from __future__ import annotations

import contextvars
import logging
import os
import time

logger = logging.getLogger("easel.trace")

ENABLED = os.environ.get("EASEL_TRACE", "") not in ("", "0", "false", "False")
_marks: contextvars.ContextVar[list[tuple[str, float]] | None] = contextvars.ContextVar("easel_trace", default=None)


def begin(phase: str) -> None:
    """Start a trace in this context with its first mark."""
    if ENABLED:
        _marks.set([(phase, time.time())])


def mark(phase: str) -> None:
    if ENABLED:
        marks = _marks.get()
        if marks is not None:
            marks.append((phase, time.time()))


def flush(run_id: object, side: str) -> None:
    """Write the marks so far as one line, and stop tracing in this context."""
    if not ENABLED:
        return
    marks = _marks.get()
    if marks:
        logger.info("trace run=%s side=%s %s", run_id, side, " ".join(f"{p}={t:.6f}" for p, t in marks))
    _marks.set(None)
