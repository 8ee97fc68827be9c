"""Run lifecycle operations requested by clients."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from designs import events
from designs.errors import ApiError
from designs.models import Message, Project, Run
from designs.services.threads import next_message_seq


def run_get(*, project: Project, thread_id: str, run_id: str) -> Run:
    run = Run.objects.filter(project=project, thread_id=thread_id, id=run_id).first()
    if run is None:
        raise ApiError("Run not found", 404)
    return run


def run_cancel(*, run: Run) -> None:
    """Ask a run to stop. Idempotent. A running run stops at its next chunk (the pipeline emits
    run_cancelled); a queued one is ended here."""
    if run.is_finished:
        return
    log = events.get_log()
    log.request_cancel(str(run.id))
    with transaction.atomic():
        ended = Run.objects.filter(id=run.id, status=Run.Status.QUEUED).update(
            status=Run.Status.CANCELLED, finished_at=timezone.now()
        )
        if not ended:
            return
        message = Message.objects.create(
            project_id=run.project_id,
            thread_id=run.thread_id,
            run=run,
            role=Message.Role.ASSISTANT,
            content="",
            status=Message.Status.CANCELLED,
            metadata={"run_id": str(run.id)},
            seq=next_message_seq(run.thread),
        )
    events.publish(
        project_id=run.project_id,
        thread_id=run.thread_id,
        run_id=run.id,
        assistant_id=run.assistant_id,
        type="run_cancelled",
        message_id=str(message.id),
        content="",
    )
