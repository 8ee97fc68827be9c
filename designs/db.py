"""ORM work from async code that holds a stream open.

`sync_to_async` defaults to thread_sensitive=True, and under ASGI that means a thread of the
request's own, which lives as long as the request. For a response that streams for a minute,
that thread's stack and the database connection it opened stay resident the whole time: on a
2-core box that was most of the ~480 KiB an SSE client cost the web process. Self-contained
ORM calls (each one a whole unit of work, its own transaction) need no such thread: they run
on the event loop's shared executor, and give their connection back when they are done, as
Django does at the end of a request.

Code bridged from a synchronous caller (Django's test client, a management command) already
has a thread of its own that is not the request's: there the call stays on that thread, so it
sees the caller's transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from asgiref.sync import AsyncToSync, sync_to_async
from django.db import close_old_connections, connection

P = ParamSpec("P")
R = TypeVar("R")


def db_call(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`fn` as a coroutine function that runs on the shared executor and then releases the
    connection (or keeps it, as CONN_MAX_AGE says)."""

    @functools.wraps(fn)
    def unit(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    shared = sync_to_async(unit, thread_sensitive=False)
    bridged = sync_to_async(fn, thread_sensitive=True)

    @functools.wraps(fn)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if getattr(AsyncToSync.executors, "current", None) is not None:
            return await bridged(*args, **kwargs)
        return await shared(*args, **kwargs)

    return call


def release_connection() -> None:
    """Give the database connection back (as CONN_MAX_AGE says) before waiting on something
    slow, such as a provider's stream: a worker running hundreds of runs must not hold hundreds
    of PostgreSQL connections while they wait. Never inside a transaction."""
    if connection.in_atomic_block:
        return
    close_old_connections()
    if connection.vendor == "sqlite" and connection.connection is not None:
        # SQLite connections persist (CONN_MAX_AGE=None) and each keeps a page cache of its
        # own: a threads-pool worker holding 300 runs kept ~400 KiB a waiting run that way
        # (bench/image_turns.py). Reopening after the wait costs well under a millisecond.
        connection.close()
