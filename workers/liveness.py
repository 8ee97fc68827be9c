"""Keeping runs honest about being alive, and ending the ones that are not.

A running attempt beats a heartbeat on its row from a background thread, so a run waiting a
minute on an image model still looks alive. The sweeper (Celery beat, or a timer thread when
embedded) fails runs whose heartbeat stopped and runs no worker ever picked up, each with a
run_failed event, so no client waits forever.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from designs.db import release_connection
from designs.models import Run
from workers.run_context import RunContext, take_queued

logger = logging.getLogger(__name__)


class Heartbeat:
    """`with Heartbeat(run_id, attempt):` updates heartbeat_at every EASEL_HEARTBEAT_SECONDS."""

    def __init__(self, run_id: str, attempt: int) -> None:
        self.run_id, self.attempt = run_id, attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id[:8]}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.EASEL_HEARTBEAT_SECONDS):
                Run.objects.filter(id=self.run_id, status=Run.Status.RUNNING, attempts=self.attempt).update(
                    heartbeat_at=timezone.now()
                )
                release_connection()  # no connection held between beats
        except Exception:
            logger.exception("heartbeat for run %s stopped", self.run_id)
        finally:
            connection.close()


def sweep_stale_runs() -> int:
    """Fail runs whose worker died (stale heartbeat) or that no worker started. Returns how many."""
    now = timezone.now()
    stale = Run.objects.filter(
        status=Run.Status.RUNNING, heartbeat_at__lt=now - timedelta(seconds=settings.EASEL_STALE_RUN_SECONDS)
    )
    unstarted = Run.objects.filter(
        status=Run.Status.QUEUED, created_at__lt=now - timedelta(seconds=settings.EASEL_QUEUED_RUN_TIMEOUT)
    )
    ended = 0
    for run in stale.select_related("thread"):
        ended += _fail(run, "The worker running this run stopped responding; partial output was kept", "worker_lost")
    for run in unstarted.select_related("thread"):
        ended += _fail(run, "No worker started this run in time; check that a worker is running", "not_started")
    return ended


def _fail(run: Run, error: str, kind: str) -> int:
    # A queued run is taken first, so a worker that starts it now finds nothing to claim.
    if run.status == Run.Status.QUEUED and not take_queued(run):
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
    threading.Thread(target=_sweep_forever, name="easel-sweeper", daemon=True).start()


def _sweep_forever() -> None:
    stop = threading.Event()
    while not stop.wait(settings.EASEL_SWEEP_INTERVAL):
        close_old_connections()
        try:
            sweep_stale_runs()
        except Exception:
            logger.exception("sweeper pass failed")
        finally:
            close_old_connections()
