"""A run's lifecycle outside the generation itself: finding it, taking it, ending it, cancelling it.

`run_end` is the one writer of a run's ending (completed, failed or cancelled), for a worker
that finishes a run and for a cancel or sweep that ends one no worker holds: only the attempt
that holds the run (status RUNNING, the same attempt number) may end it, so two enders never
both write an answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from designs import events
from designs.events import EventType
from designs.exceptions import NotFound
from designs.models import Document, Message, Project, Run
from designs.services.budgets import image_charge, run_settle
from designs.services.messages import message_create
from designs.services.webhooks import webhook_emit
from designs.webhook_payloads import run_data


def run_get(*, project: Project, thread_id: str, run_id: str) -> Run:
    run = Run.objects.filter(project=project, thread_id=thread_id, id=run_id).first()
    if run is None:
        raise NotFound("Run not found")
    return run


# A run in these statuses has no worker to hear a cancel: queued (no worker started it yet) or
# waiting for the caller's tool outputs.
UNHELD = (Run.Status.QUEUED, Run.Status.REQUIRES_ACTION)


def run_take(run: Run, statuses: tuple[str, ...] = UNHELD) -> bool:
    """Take a run no worker holds (one of `statuses` -> RUNNING, a new attempt), so that it can
    be ended outside a worker: a worker that starts it now, or a late tool-outputs submit, finds
    nothing to claim. A waiting run's stub stops waiting with it."""
    # A fresh heartbeat: the sweeper must not take the run as a dead worker's in the moment
    # between this and its end.
    taken = Run.objects.filter(id=run.id, status__in=statuses, attempts=run.attempts).update(
        status=Run.Status.RUNNING, attempts=run.attempts + 1, heartbeat_at=timezone.now()
    )
    if taken:
        run.status, run.attempts = Run.Status.RUNNING, run.attempts + 1
        Message.objects.filter(run=run, status=Message.Status.REQUIRES_ACTION).update(status=Message.Status.COMPLETED)
    return bool(taken)


def reply_model(run: Run) -> tuple[str, str]:
    """The provider and model that answer the run (the image model's for direct image runs)."""
    if run.operation in (Run.Operation.GENERATE_IMAGE, Run.Operation.CUSTOMIZE):
        return run.image_provider, run.image_model
    return run.llm_provider, run.llm_model


def run_end(
    run: Run,
    *,
    attempt: int,
    status: str,
    message_status: str,
    text: str = "",
    documents: Sequence[Document] = (),
    error: str = "",
    cost: float = 0.0,
    kind: str = "",
) -> Message | None:
    """End the run and store the assistant's message, once; None when `attempt` no longer
    holds the run (someone else, the sweeper or a newer attempt, already ended it)."""
    model_provider, model_name = reply_model(run)
    with transaction.atomic():
        claimed = Run.objects.filter(id=run.id, status=Run.Status.RUNNING, attempts=attempt).update(
            status=status,
            finished_at=timezone.now(),
            input_tokens=run.input_tokens,
            output_tokens=run.output_tokens,
            images_generated=F("images_generated") + len(documents),
            cost_usd=Decimal(str(cost)),
            error=error,
        )
        if not claimed:
            return None
        message = message_create(
            run.thread,
            run=run,
            role=Message.Role.ASSISTANT,
            content=text,
            status=message_status,
            model_provider=model_provider,
            model_name=model_name,
            input_tokens=run.input_tokens,
            output_tokens=run.output_tokens,
            metadata={"run_id": str(run.id), **({"error": error} if error else {})},
        )
        Document.objects.filter(id__in=[d.id for d in documents]).update(message=message)
        images = run.images_generated + len(documents)
        # What the run held against the budget becomes what it made; the rest is released.
        billing = run_settle(run, images=images, charged_usd=image_charge(run, images))
        if run.operation == Run.Operation.CUSTOMIZE:
            from designs.services.customizations import customization_run_ended  # it builds runs

            run.error = error
            customization_run_ended(run, kind=kind or ("cancelled" if status == Run.Status.CANCELLED else ""))
        if status in (Run.Status.COMPLETED, Run.Status.FAILED):
            webhook_emit(
                run.project_id,
                f"run.{status}",
                lambda: run_data(
                    run, status=status, message=message, error=error, kind=kind, images=images, billing=billing
                ),
            )
    run.status = status
    return message


def run_cancel(*, run: Run) -> None:
    """Ask a run to stop. Idempotent. A running run stops at its next chunk (the pipeline emits
    run_cancelled); a queued one, or one waiting for tool outputs, has no worker to hear it, so
    it is ended here."""
    if run.is_finished:
        return
    events.get_log().request_cancel(str(run.id))
    if not run_take(run):
        return
    message = run_end(
        run,
        attempt=run.attempts,
        status=Run.Status.CANCELLED,
        message_status=Message.Status.CANCELLED,
        kind="cancelled",
    )
    if message is not None:
        events.publish(
            project_id=str(run.project_id),
            thread_id=str(run.thread_id),
            run_id=str(run.id),
            assistant_id=str(run.assistant_id),
            type=EventType.RUN_CANCELLED,
            message_id=str(message.id),
            content="",
        )
