"""The Celery app. Configuration comes from Django settings under the CELERY_ namespace."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("easel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers"])


@task_prerun.connect
@task_postrun.connect
def _give_back_connection(sender: object = None, **_: object) -> None:
    """Close the task thread's database connection where CONN_MAX_AGE says to (PostgreSQL: back
    to the pool) and never the pool itself, which the process's other threads are using; see
    CELERY_DB_REUSE_MAX in settings. Not for a task run eagerly (`apply()`, inside its caller's
    transaction), as Celery's own fixup does."""
    from django.db import close_old_connections, connection

    if getattr(getattr(sender, "request", None), "is_eager", False) or connection.in_atomic_block:
        return
    close_old_connections()
