"""One run's state while it executes: events out, text and images gathered, final write."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from designs import events
from designs.events import EventType
from designs.models import Document, Message, Run
from designs.payloads import context_usage, media_payload
from designs.services.budgets import billing_of
from designs.services.model_choice import run_models
from designs.services.runs import run_end

CANCEL_CHECK_EVERY = 0.2


class RunCancelled(Exception):
    pass


class RunTimedOut(Exception):
    pass


class RunContext:
    """`attempt` fences the run: only the attempt that claimed it last may end it."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.attempt = run.attempts
        self._ids = {
            "project_id": str(run.project_id),
            "thread_id": str(run.thread_id),
            "run_id": str(run.id),
            "assistant_id": str(run.assistant_id),
        }
        # The threads pool does not enforce Celery's time limits (nor does the embedded pool),
        # so the run checks its own deadline at every provider event and step.
        self.deadline = time.monotonic() + settings.EASEL_RUN_TIME_LIMIT
        self.log = events.get_log()
        # The models chosen when the turn was accepted, looked up in the catalog once.
        self.models = run_models(run)
        self.text = ""
        self.documents: list[Document] = []
        self._cancel_checked_at = 0.0
        self._cancelled = False

    # --- events -----------------------------------------------------------------------------
    def emit(self, type: EventType, **fields: Any) -> None:
        events.publish(**self._ids, type=type, **fields)

    def add_text(self, delta: str) -> None:
        if not delta:
            return
        at = len(self.text)
        self.text += delta
        # The log keeps the delta and where it starts; readers add `accumulated_content`
        # (events.AnswerSoFar), which stored on every chunk grew the log with the answer's square.
        self.emit(EventType.CONTENT_STREAMING, content=delta, text_at=at)

    def add_usage(self, input_tokens: int, output_tokens: int) -> None:
        self.run.input_tokens += input_tokens
        self.run.output_tokens += output_tokens

    def add_document(self, document: Document, tool_call_id: str | None) -> dict[str, Any]:
        self.documents.append(document)
        media = media_payload(document, self.run.public_base_url)
        self.emit(EventType.MEDIA_GENERATED, tool_call_id=tool_call_id, media=media)
        return media

    # --- cancellation ---------------------------------------------------------------------------
    def cancelled(self) -> bool:
        """Cheap to call often: the log is asked at most every CANCEL_CHECK_EVERY seconds.
        Also true past the deadline, so providers close their streams."""
        if self._cancelled:
            return True
        now = time.monotonic()
        if now > self.deadline:
            return True
        if now - self._cancel_checked_at >= CANCEL_CHECK_EVERY:
            self._cancel_checked_at = now
            self._cancelled = self.log.cancel_requested(str(self.run.id))
        return self._cancelled

    def raise_if_cancelled(self) -> None:
        if time.monotonic() > self.deadline:
            raise RunTimedOut()
        if self.cancelled():
            raise RunCancelled()

    # --- endings ------------------------------------------------------------------------------
    def complete(self) -> None:
        """Store the assistant's reply and emit run_ended, once: only a RUNNING run completes."""
        message = self._finish(Run.Status.COMPLETED, Message.Status.COMPLETED)
        if message is None:
            return
        run = self.run
        self.emit(
            EventType.RUN_ENDED,
            status="completed",
            message_id=str(message.id),
            content=self.text,
            final_content=self.text,
            model_provider=message.model_provider,
            model_name=message.model_name,
            input_tokens=run.input_tokens,
            output_tokens=run.output_tokens,
            total_tokens=run.total_tokens,
            cached_input_tokens=0,
            cache_write_input_tokens=0,
            images_generated=self.images_total(),
            cost_usd=self.cost(),
            memory_operation_id=None,
            generated_media=[media_payload(d, run.public_base_url) for d in self.documents],
            context_usage=context_usage(run, self.models.context_limit),
            billing=billing_of(run),
        )

    def fail(self, error: str, kind: str) -> None:
        message = self._finish(Run.Status.FAILED, Message.Status.FAILED, error, kind)
        if message is not None:
            self.emit(EventType.RUN_FAILED, error=error, error_kind=kind, message_id=str(message.id))

    def cancel(self) -> None:
        message = self._finish(Run.Status.CANCELLED, Message.Status.CANCELLED)
        if message is not None:
            self.emit(EventType.RUN_CANCELLED, message_id=str(message.id), content=self.text)

    def cost(self) -> float:
        """USD estimate for what the run used so far, from catalog prices (failed runs cost too)."""
        run = self.run
        return self.models.cost(
            input_tokens=run.input_tokens, output_tokens=run.output_tokens, images=self.images_total()
        )

    def images_total(self) -> int:
        """Images of the whole run: those stored before a pause for tool outputs (on the row) and this attempt's."""
        return self.run.images_generated + len(self.documents)

    def _finish(self, status: str, message_status: str, error: str = "", kind: str = "") -> Message | None:
        return run_end(
            self.run,
            attempt=self.attempt,
            status=status,
            message_status=message_status,
            text=self.text,
            documents=self.documents,
            error=error,
            cost=self.cost(),
            kind=kind,
        )
