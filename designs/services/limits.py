"""How many runs a project, and one of its API keys, may have in progress at once.

Counted from the database (runs queued or running) when a turn is accepted, so every web process
shares one count, and a run that ends, fails, is cancelled or is swept as dead frees its slot
without any bookkeeping of ours.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q

from designs.exceptions import LimitReached
from designs.models import ApiKey, Project, Run

# A run waiting for the caller's tool outputs (REQUIRES_ACTION) holds no worker and no slot.
ACTIVE = (Run.Status.QUEUED, Run.Status.RUNNING)
# No telling which run ends first; most end within seconds, so ask the caller back soon.
RETRY_AFTER = 5


def run_slots_check(*, project: Project, api_key: ApiKey | None, lock: bool = False) -> None:
    """LimitReached when one more run would put the project or the key over its limit (0: none).

    lock=True is for the transaction that then creates the run: it locks the project's row
    first, so two processes accepting turns at once cannot both take the last slot (a key is
    one project's, so the same lock covers it). On SQLite the IMMEDIATE transaction already
    holds the database's write lock.
    """
    per_project = settings.EASEL_MAX_RUNS_PER_PROJECT
    per_key = settings.EASEL_MAX_RUNS_PER_KEY if api_key is not None else 0
    if per_project <= 0 and per_key <= 0:
        return
    if lock and connection.features.has_select_for_update:
        # NO KEY UPDATE, as documents.py takes it: inserts that reference the project still pass.
        list(Project.objects.select_for_update(no_key=True).filter(id=project.id).values_list("id", flat=True))
    counts = Run.objects.filter(project=project, status__in=ACTIVE).aggregate(
        project=Count("id"), key=Count("id", filter=Q(api_key=api_key))
    )
    if per_project > 0 and counts["project"] >= per_project:
        raise LimitReached(
            f"Too many runs in progress: this project has {counts['project']} queued or running and "
            f"may have {per_project} at once; retry when one ends",
            RETRY_AFTER,
        )
    if per_key > 0 and counts["key"] >= per_key:
        raise LimitReached(
            f"Too many runs in progress: this API key has {counts['key']} queued or running and "
            f"may have {per_key} at once; retry when one ends",
            RETRY_AFTER,
        )
