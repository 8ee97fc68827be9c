"""Start work off the request: on a Celery worker (Redis topology) or, embedded, on a thread
pool in the web process. Either way the same `pipeline.run_generation` (a run) or
`webhooks.deliver` (one webhook delivery) does the work."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

_pools: dict[str, ThreadPoolExecutor] = {}  # "run", "webhook": made when first needed
_delivering: set[str] = set()  # delivery ids waiting for or in an attempt in this process
_lock = threading.Lock()
# A retry further off than this is left to the poller (beat, or the embedded one): a broker
# holding a message for hours, or a timer thread per waiting retry, is the wrong place for it.
COUNTDOWN_MAX = 300.0


def enqueue_run(run_id: str) -> None:
    if settings.EASEL_EXECUTION == "celery":
        from workers.tasks import run_generation_task

        run_generation_task.delay(run_id)
        return
    _pool("run", settings.EASEL_EMBEDDED_WORKERS).submit(_run_embedded, run_id)


def _pool(kind: str, size: int) -> ThreadPoolExecutor:
    """The process's pool for `kind`: runs and webhook deliveries each have their own, so a
    hanging receiver never holds a run's thread."""
    with _lock:
        if kind not in _pools:
            _pools[kind] = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"easel-{kind}")
        return _pools[kind]


def _run_embedded(run_id: str) -> None:
    from workers.pipeline import run_generation

    close_old_connections()
    try:
        run_generation(run_id)
    except Exception:  # the pipeline reports its own failures; this is the last line
        logger.exception("run %s crashed outside the pipeline's own handling", run_id)
    finally:
        close_old_connections()


def enqueue_delivery(delivery_id: str, delay: timedelta | float = 0.0) -> None:
    """Attempt one webhook delivery now, or after `delay` when that is soon (else the poller will)."""
    seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
    if seconds > COUNTDOWN_MAX:
        return
    if settings.EASEL_EXECUTION == "celery":
        from workers.tasks import deliver_webhook_task

        if seconds > 0:
            deliver_webhook_task.apply_async((delivery_id,), countdown=seconds)
        else:
            deliver_webhook_task.delay(delivery_id)
        return
    if seconds > 0:
        timer = threading.Timer(seconds, enqueue_delivery, args=(delivery_id,))
        timer.daemon = True
        timer.start()
        return
    deliver_in_process(delivery_id)


def deliver_in_process(delivery_id: str) -> None:
    """Post a delivery on this process's delivery threads (the web process embedded, the Celery
    worker otherwise), never on a thread that runs generations."""
    with _lock:
        if delivery_id in _delivering:  # the poller found it again before its attempt began
            return
        _delivering.add(delivery_id)
    _pool("webhook", settings.EASEL_WEBHOOK_WORKERS).submit(_deliver, delivery_id)


def _deliver(delivery_id: str) -> None:
    from workers.webhooks import deliver

    close_old_connections()
    try:
        deliver(delivery_id)
    except Exception:
        logger.exception("webhook delivery %s crashed", delivery_id)
    finally:
        with _lock:
            _delivering.discard(delivery_id)
        close_old_connections()
