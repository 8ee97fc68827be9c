"""Where a turn's time goes, phase by phase (`EASEL_TRACE=1`; off by default, and then free).

A process marks the moments of one turn it handles (`mark("auth")`) on a context-local list,
and `flush(run_id)` writes them as one log line on the `easel.trace` logger:

    trace run=<id> side=web request=1733580000.123456 auth=…

Times are wall-clock (`time.time()`), so the web process, the worker and a client on the same
host line up without joining clocks; `bench/trace_turn.py` reads the lines back. A piece of work
inside a turn (one stored image) keeps its own marks in a `Span`, logged as one JSON line that
`bench/media.py` reads.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import time
from typing import Any

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


class Span:
    """The marks of one piece of work, logged as `<name> {json}` by `log` when tracing is on."""

    def __init__(self, name: str, **marks: float) -> None:
        self.name, self.marks = name, dict(marks)

    def mark(self, step: str) -> None:
        if ENABLED:
            self.marks[step] = time.time()

    def log(self, **facts: Any) -> None:
        if ENABLED:
            logger.info("%s %s", self.name, json.dumps({**facts, "pid": os.getpid(), **self.marks}))
