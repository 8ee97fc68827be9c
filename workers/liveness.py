"""Keeping runs honest about being alive, and taking over the ones that are not.

A running attempt's row gets a heartbeat from a background thread (one per process, for all
its runs: one UPDATE every EASEL_HEARTBEAT_SECONDS), so a run waiting a minute on an image model
still looks alive. An attempt whose heartbeat is older than EASEL_STALE_RUN_SECONDS is dead: the
sweeper (Celery beat, or a timer thread when embedded, every EASEL_SWEEP_INTERVAL) takes its run
over (`take_over`), and so does a redelivered Celery message (`dead_attempt`, then `take_over`):
the run starts again on any worker when the dead attempt showed the client nothing, and is
failed once with `worker_lost` otherwise. The sweeper also fails runs no worker ever picked up
and runs that waited too long for the caller's tool outputs, so no client waits forever.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

from designs import events
from designs.db import release_connection
from designs.events import EventType
from designs.models import Document, Message, Run
from designs.services.runs import UNHELD, run_take
from workers import dispatch
from workers.run_context import RunContext

logger = logging.getLogger(__name__)

WORKER_LOST = (
    "The worker running this run stopped mid-run; partial output was kept and the run was not repeated, "
    "to avoid a duplicate answer"
)


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
    The thread sleeps between beats, so it wants the GIL only for the UPDATE: busy run threads
    (image decoding, encoding) delay a beat by a switch interval, never by a whole image.
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
        interval = settings.EASEL_HEARTBEAT_SECONDS
        last = time.monotonic()
        while True:
            time.sleep(interval)
            with self._lock:
                beating = dict(self._runs)
            if beating:
                beat(beating)
                now = time.monotonic()
                if now - last > interval * 2:  # the sweeper takes a run over after EASEL_STALE_RUN_SECONDS
                    logger.warning(
                        "heartbeat for %d runs came %.1f s after the last one (every %g s is the aim): this "
                        "process is overloaded, and past EASEL_STALE_RUN_SECONDS its runs count as lost",
                        len(beating),
                        now - last,
                        interval,
                    )
                last = now
            else:
                last = time.monotonic()
                connection.close()  # nothing to beat for: hold no connection while idle


def beat(beating: dict[str, int]) -> None:
    """Refresh heartbeat_at of these runs (run id -> attempt) where that attempt still runs.

    The beating thread keeps its connection between beats (one per process): given back to
    PostgreSQL's pool, a beat queued behind hundreds of busy run threads for a connection, came
    later than EASEL_STALE_RUN_SECONDS, and the sweeper failed live runs as lost (1,000 image
    turns on one worker, bench/image_turns.py)."""
    by_attempt: dict[int, list[str]] = {}
    for run_id, attempt in beating.items():
        by_attempt.setdefault(attempt, []).append(run_id)
    try:
        now = timezone.now()
        for attempt, run_ids in by_attempt.items():
            Run.objects.filter(id__in=run_ids, status=Run.Status.RUNNING, attempts=attempt).update(heartbeat_at=now)
    except Exception:  # the database is away: the next beat tries again, on a new connection
        logger.exception("heartbeat for %d runs failed", len(beating))
        connection.close()


_beaters: list[_Beater] = []
_beaters_lock = threading.Lock()


def _beater() -> _Beater:
    """The process's beater (a forked child starts its own)."""
    with _beaters_lock:
        if not _beaters or not _beaters[0].serves_this_process():
            _beaters[:] = [_Beater()]
        return _beaters[0]


# --- taking over a dead attempt's run -------------------------------------------------------------


def _stale(run: Run) -> bool:
    limit = timedelta(seconds=settings.EASEL_STALE_RUN_SECONDS)
    return run.heartbeat_at is None or timezone.now() - run.heartbeat_at > limit


def dead_attempt(run_id: str) -> Run | None:
    """The run of a redelivered message, once the attempt holding it is dead (its heartbeat
    stale); None when no attempt holds it any more, or a live one does.

    A redelivery is a sign, not a proof: the broker also hands a message back when its
    visibility timeout passes while the sweeper's restart of the run is running on a live
    worker. So this watches the heartbeat, for at most EASEL_STALE_RUN_SECONDS: a beat (the
    heartbeat moves) or another taker (the attempt moves) means there is nothing to do here.
    """
    seen = None
    while True:
        run = Run.objects.filter(id=run_id, status=Run.Status.RUNNING).first()
        if run is None or seen not in (None, (run.attempts, run.heartbeat_at)):
            return None
        if _stale(run):
            return run
        seen = (run.attempts, run.heartbeat_at)
        release_connection()
        time.sleep(min(1.0, settings.EASEL_HEARTBEAT_SECONDS / 2))


def take_over(run: Run, *, elsewhere: bool) -> str | None:
    """Take the run from its dead attempt and end or restart it: "failed", "restarted" or None
    (another taker, the sweeper or a redelivery, was first).

    The attempt counter moves on first (compare-and-set), so the dead attempt can never end
    the run and two takers never both act. A run that showed the client something is failed
    once (`worker_lost`): repeating it would show a second answer. One that showed nothing
    forgets the dead attempt's tool round-trips and starts again with a `run_restarted` event:
    `elsewhere` queues it for any worker (the sweeper); otherwise the caller (a redelivered
    message) goes on with it as the new attempt.
    """
    taken = Run.objects.filter(id=run.id, status=Run.Status.RUNNING, attempts=run.attempts).update(
        attempts=run.attempts + 1, heartbeat_at=timezone.now()
    )
    if not taken:
        return None
    run = Run.objects.select_related("thread", "assistant", "project", "user_message").get(id=run.id)
    ctx = RunContext(run)
    if showed_progress(run):
        logger.warning("run %s failed: its worker was lost after it showed output", run.id)
        ctx.fail(WORKER_LOST, "worker_lost")
        return "failed"
    Message.objects.filter(run=run).exclude(id=run.user_message_id).delete()
    # The attempt that will run it: this one, or the one a worker's claim of the queued run makes.
    attempt = run.attempts + 1 if elsewhere else run.attempts
    ctx.emit(EventType.RUN_RESTARTED, attempt=attempt, reason="worker_lost")
    logger.warning("run %s restarted (attempt %d) after its worker was lost", run.id, attempt)
    if elsewhere:
        Run.objects.filter(id=run.id, status=Run.Status.RUNNING, attempts=run.attempts).update(
            status=Run.Status.QUEUED, heartbeat_at=timezone.now()
        )
        dispatch.enqueue_run(str(run.id))
    return "restarted"


def showed_progress(run: Run) -> bool:
    """Whether the client saw anything of the run: text, an image, a preview, or a pause for its
    tools. Tool-call events alone do not count: they are repeated identically."""
    if Document.objects.filter(run=run).exists():
        return True
    # A run that paused for the caller's tools showed its calls and holds their outputs, even
    # when its event log is gone.
    if Message.objects.filter(run=run, metadata__has_key="pending_tool_calls").exists():
        return True
    shown = {
        EventType.CONTENT_STREAMING,
        EventType.MEDIA_GENERATED,
        EventType.MEDIA_PREVIEW,
        EventType.TOOL_SUBMIT_REQUIRED,
    }
    return any(e.get("type") in shown for _, e in events.get_log().entries(events.run_stream(run.id)))


# --- the sweeper ----------------------------------------------------------------------------------


def sweep_stale_runs() -> int:
    """Take over runs whose worker died (stale heartbeat), fail runs no worker started and runs
    that waited for the caller's tool outputs longer than EASEL_TOOL_OUTPUT_TIMEOUT. One query
    on the (status, heartbeat_at) index finds them all. Returns how many it ended or restarted."""
    now = timezone.now()
    queued_before = now - timedelta(seconds=settings.EASEL_QUEUED_RUN_TIMEOUT)
    timeout = settings.EASEL_TOOL_OUTPUT_TIMEOUT
    due = Run.objects.filter(
        Q(status=Run.Status.RUNNING, heartbeat_at__lt=now - timedelta(seconds=settings.EASEL_STALE_RUN_SECONDS))
        # A run queued again (after a tool-outputs submit, or a restart) counts from then
        # (heartbeat_at), not from its creation.
        | Q(status=Run.Status.QUEUED, created_at__lt=queued_before)
        & (Q(started_at__isnull=True) | Q(heartbeat_at__lt=queued_before))
        # A waiting run's heartbeat_at is when its wait began (services.tool_outputs.run_pause).
        | Q(status=Run.Status.REQUIRES_ACTION, heartbeat_at__lt=now - timedelta(seconds=timeout))
    ).select_related("thread")
    handled = 0
    for run in due:
        if run.status == Run.Status.RUNNING:
            handled += take_over(run, elsewhere=True) is not None
        elif run.status == Run.Status.QUEUED:
            handled += _fail(run, "No worker started this run in time; check that a worker is running", "not_started")
        else:
            handled += _fail(run, f"No tool outputs were submitted within {timeout} s; the run expired", "run_expired")
    return handled


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
