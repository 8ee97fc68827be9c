"""Keeping runs honest about being alive, and ending the ones that are not.

A running attempt's row gets a heartbeat from a background thread (one per process, for all
its runs), so a run waiting a minute on an image model still looks alive. The sweeper (Celery
beat, or a timer thread when embedded) fails runs whose heartbeat stopped and runs no worker
ever picked up, each with a run_failed event, so no client waits forever.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from designs.db import release_connection
from designs.models import Run
from designs.services.runs import UNHELD, run_take
from designs.services.tool_outputs import waiting_expired
from workers.run_context import RunContext

logger = logging.getLogger(__name__)


class Heartbeat:
    """`with Heartbeat(run_id, attempt):` keeps the attempt's heartbeat_at fresh (every
    EASEL_HEARTBEAT_SECONDS) while the block runs."""

    def __init__(self, run_id: str, attempt: int) -> None:
        self.run_id, self.attempt = run_id, attempt

    def __enter__(self) -> Heartbeat:
        _beater().add(self.run_id, self.attempt)
        return self

    def __exit__(self, *exc: object) -> None:
        _beater().discard(self.run_id, self.attempt)


class _Beater:
    """One thread per process beats for every attempt it runs, with one UPDATE per beat.

    A thread and an UPDATE per run cost a worker holding 200 runs 200 idle threads and 40
    writes a second on the database; here it is one thread and one write (per distinct attempt
    number, which fences off an attempt that was taken over) every EASEL_HEARTBEAT_SECONDS.
    """

    def __init__(self) -> None:
        self._runs: dict[str, int] = {}
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._loop, name="easel-heartbeat", daemon=True)
        self._thread.start()

    def serves_this_process(self) -> bool:
        return self._pid == os.getpid() and self._thread.is_alive()

    def add(self, run_id: str, attempt: int) -> None:
        with self._lock:
            self._runs[run_id] = attempt

    def discard(self, run_id: str, attempt: int) -> None:
        """Stop beating for this attempt (a later attempt of the run in this process beats on)."""
        with self._lock:
            if self._runs.get(run_id) == attempt:
                del self._runs[run_id]

    def _loop(self) -> None:
        while True:
            time.sleep(settings.EASEL_HEARTBEAT_SECONDS)
            with self._lock:
                beating = dict(self._runs)
            if beating:
                beat(beating)


def beat(beating: dict[str, int]) -> None:
    """Refresh heartbeat_at of these runs (run id -> attempt) where that attempt still runs."""
    by_attempt: dict[int, list[str]] = {}
    for run_id, attempt in beating.items():
        by_attempt.setdefault(attempt, []).append(run_id)
    try:
        now = timezone.now()
        for attempt, run_ids in by_attempt.items():
            Run.objects.filter(id__in=run_ids, status=Run.Status.RUNNING, attempts=attempt).update(heartbeat_at=now)
    except Exception:  # the database is away: the next beat tries again
        logger.exception("heartbeat for %d runs failed", len(beating))
    finally:
        release_connection()  # no connection held between beats


_beaters: list[_Beater] = []
_beaters_lock = threading.Lock()


def _beater() -> _Beater:
    """The process's beater (a forked child starts its own)."""
    with _beaters_lock:
        if not _beaters or not _beaters[0].serves_this_process():
            _beaters[:] = [_Beater()]
        return _beaters[0]


def sweep_stale_runs() -> int:
    """Fail runs whose worker died (stale heartbeat), that no worker started, or that waited
    for the caller's tool outputs longer than EASEL_TOOL_OUTPUT_TIMEOUT. Returns how many."""
    now = timezone.now()
    stale = Run.objects.filter(
        status=Run.Status.RUNNING, heartbeat_at__lt=now - timedelta(seconds=settings.EASEL_STALE_RUN_SECONDS)
    )
    queued_before = now - timedelta(seconds=settings.EASEL_QUEUED_RUN_TIMEOUT)
    # A run queued again after a tool-outputs submit (it started before) counts from the submit
    # (heartbeat_at), not from its creation.
    unstarted = Run.objects.filter(status=Run.Status.QUEUED, created_at__lt=queued_before).filter(
        Q(started_at__isnull=True) | Q(heartbeat_at__lt=queued_before)
    )
    ended = 0
    for run in stale.select_related("thread"):
        ended += _fail(run, "The worker running this run stopped responding; partial output was kept", "worker_lost")
    for run in unstarted.select_related("thread"):
        ended += _fail(run, "No worker started this run in time; check that a worker is running", "not_started")
    timeout = settings.EASEL_TOOL_OUTPUT_TIMEOUT
    for run in waiting_expired(older_than_seconds=timeout):
        ended += _fail(run, f"No tool outputs were submitted within {timeout} s; the run expired", "run_expired")
    return ended


def _fail(run: Run, error: str, kind: str) -> int:
    # A queued (or waiting) run is taken first, so a worker that starts it now, or a late
    # tool-outputs submit, finds nothing to claim. Only from the status the sweep saw: a waiting
    # run answered meanwhile (queued again, same attempt) is not the expired one.
    if run.status in UNHELD and not run_take(run, (run.status,)):
        return 0
    ctx = RunContext(run)
    logger.warning("sweeper: run %s: %s", run.id, error)
    before = ctx.run.status
    ctx.fail(error, kind)
    return int(ctx.run.status != before)


_sweeper_started = False
_sweeper_lock = threading.Lock()


def start_embedded_sweeper() -> None:
    """Embedded topology: a daemon timer in the web process sweeps, as beat does elsewhere."""
    global _sweeper_started
    with _sweeper_lock:
        if _sweeper_started:
            return
        _sweeper_started = True
    threading.Thread(
        target=_every, args=(settings.EASEL_SWEEP_INTERVAL, sweep_stale_runs), name="easel-sweeper", daemon=True
    ).start()
    threading.Thread(
        target=_every,
        args=(settings.EASEL_WEBHOOK_POLL_SECONDS, _poll_webhooks),
        name="easel-webhook-poller",
        daemon=True,
    ).start()


def _every(seconds: float, work: Callable[[], object]) -> None:
    """Embedded topology's timer (beat's job elsewhere): `work` every `seconds`, each pass on a
    fresh connection, a failing pass logged and the next one tried."""
    stop = threading.Event()
    while not stop.wait(seconds):
        close_old_connections()
        try:
            work()
        except Exception:
            logger.exception("%s failed", work.__name__)
        finally:
            close_old_connections()


def _poll_webhooks() -> None:
    """The outbox's poller, as beat's deliver-due-webhooks does elsewhere."""
    from designs.services.webhooks import deliveries_due
    from workers.dispatch import enqueue_delivery

    for delivery_id in deliveries_due():
        enqueue_delivery(delivery_id)
