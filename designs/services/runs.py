"""Run lifecycle operations requested by clients."""

from __future__ import annotations

from designs import events
from designs.errors import ApiError
from designs.models import Project, Run


def run_get(*, project: Project, thread_id: str, run_id: str) -> Run:
    run = Run.objects.filter(project=project, thread_id=thread_id, id=run_id).first()
    if run is None:
        raise ApiError("Run not found", 404)
    return run


def run_cancel(*, run: Run) -> None:
    """Ask a run to stop. Idempotent. A running run stops at its next chunk (the pipeline emits
    run_cancelled); a queued one has no worker to hear it, so it is ended here, the way a
    worker ends a run."""
    from workers.run_context import RunContext, take_queued

    if run.is_finished:
        return
    events.get_log().request_cancel(str(run.id))
    if take_queued(run):
        RunContext(run).cancel()
