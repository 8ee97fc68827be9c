"""Start a run off the request: on a Celery worker (Redis topology) or, embedded, on a thread
pool in the web process. Either way the same `pipeline.run_generation` does the work."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def enqueue_run(run_id: str) -> None:
    if settings.EASEL_EXECUTION == "celery":
        from workers.tasks import run_generation_task

        run_generation_task.delay(run_id)
        return
    _pool().submit(_run_embedded, run_id)


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=settings.EASEL_EMBEDDED_WORKERS, thread_name_prefix="easel-run")
        return _executor


def _run_embedded(run_id: str) -> None:
    from workers.pipeline import run_generation

    close_old_connections()
    try:
        run_generation(run_id)
    except Exception:  # the pipeline reports its own failures; this is the last line
        logger.exception("run %s crashed outside the pipeline's own handling", run_id)
    finally:
        close_old_connections()
