"""A thread as its page shows it: turns (a user message and the run answering it), their
images, and the live state of a run still in progress, read from the run's event log.

What the page renders is everything stored up to `feed_position` (read first) or later; the
page's websocket resumes the thread feed after that id, and the page ignores what it already
shows (by document, message and run id), so nothing is missing and nothing appears twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from designs import events
from designs.events import EventType
from designs.models import Document, Message, Run, Thread
from designs.views.pictures import Picture, area_words, picture, pictures_with_lineage

DIRECT_TOOL_CALL = "direct"  # the tool_call_id of operation=generate_image runs


@dataclass
class Progress:
    """A running run's state that is not stored yet: its text so far and images being made."""

    text: str = ""
    # tool_call_id -> {output index: preview data URL (or None before the first preview)}
    pending: dict[str, dict[int, str | None]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # tool_call_id -> error


def run_progress(run: Run) -> Progress:
    """Fold the run's event log into what a page must show for it now."""
    progress = Progress()
    done: set[str] = set()
    if run.operation == Run.Operation.GENERATE_IMAGE:
        progress.pending[DIRECT_TOOL_CALL] = {}
    for _event_id, event in events.get_log().entries(events.run_stream(run.id)):
        kind, call = event.get("type"), str(event.get("tool_call_id") or "")
        if kind == EventType.CONTENT_STREAMING:
            progress.text = event.get("accumulated_content") or progress.text + (event.get("content") or "")
        elif kind == EventType.TOOL_CALL_START and event.get("hosted") and call not in done:
            progress.pending.setdefault(call, {})
        elif kind == EventType.MEDIA_PREVIEW and call not in done:
            preview = event.get("preview") or {}
            progress.pending.setdefault(call, {})[int(event.get("index") or 0)] = preview.get("data_url")
        elif kind == EventType.MEDIA_GENERATED:
            done.add(call)
            progress.pending.pop(call, None)
        elif kind == EventType.MEDIA_FAILED:
            progress.pending.pop(call, None)
            progress.failed[call] = str(event.get("error") or "The image could not be made")
        elif kind == EventType.RUN_RESTARTED:
            progress, done = Progress(), set()
    return progress


@dataclass
class Turn:
    user: Message | None
    run: Run | None
    reply: Message | None = None
    attachments: list[Picture] = field(default_factory=list)
    images: list[Picture] = field(default_factory=list)
    progress: Progress | None = None

    @property
    def edits(self) -> bool:
        """Whether the turn's images are the one it edits (a refine), not images it attaches."""
        return self.run is not None and self.run.operation in (Run.Operation.GENERATE_IMAGE, Run.Operation.CUSTOMIZE)

    @property
    def area_note(self) -> str:
        """Where a confined edit may change its image, from the turn's mask."""
        masks = self.user.input_documents(role="mask") if self.user else []
        return area_words((masks[0].metadata or {}).get("regions")) if masks else ""

    @property
    def key(self) -> str:
        """The id the page and the feed's events both know the turn by."""
        if self.run is not None:
            return str(self.run.id)
        return str((self.user or self.reply).id)

    @property
    def status(self) -> str:
        if self.run is None:
            return "completed" if self.reply else "saved"
        return self.run.status

    @property
    def active(self) -> bool:
        return self.run is not None and not self.run.is_finished

    @property
    def text(self) -> str:
        if self.reply is not None:
            return self.reply.content or ""
        return self.progress.text if self.progress else ""

    @property
    def error(self) -> str:
        if self.run is None or self.run.status != Run.Status.FAILED:
            return ""
        stored = (self.reply.metadata or {}).get("error", "") if self.reply else ""
        return self.run.error or stored or "The run failed."

    @property
    def model(self) -> str:
        if self.reply is not None and self.reply.model_name:
            return f"{self.reply.model_provider}/{self.reply.model_name}"
        return ""


@dataclass
class Conversation:
    thread: Thread
    turns: list[Turn]
    feed_position: str | None

    @property
    def active_run(self) -> Run | None:
        return next((t.run for t in reversed(self.turns) if t.active), None)


def conversation(thread: Thread, base: str) -> Conversation:
    """The thread's turns, oldest first, with a feed position no later than what they show."""
    # Read the feed's position before anything else: whatever is stored by then is rendered,
    # and whatever comes after it is replayed to the page.
    position = events.get_log().last_id(events.thread_stream(thread.id))
    messages = list(
        Message.objects.filter(thread=thread).order_by("seq", "created_at").prefetch_related("inputs__document")
    )
    runs = {run.id: run for run in Run.objects.filter(thread=thread)}
    documents = list(Document.objects.filter(thread=thread).order_by("created_at", "output_index"))
    # Uploads show with the message that carried them; masks (an edit's area) are not pictures.
    not_made = (Document.Operation.UPLOAD, Document.Operation.MASK)
    made = pictures_with_lineage([d for d in documents if d.operation not in not_made], base)
    by_run: dict[Any, list[Picture]] = {}
    for item in made:
        by_run.setdefault(item.document.run_id, []).append(item)
    turns: list[Turn] = []
    turn_of_run: dict[Any, Turn] = {}
    for message in messages:
        metadata = message.metadata or {}
        if message.role == Message.Role.USER:
            turn = Turn(
                user=message,
                run=runs.get(message.run_id),
                attachments=[picture(d, base) for d in message.input_documents()],
            )
            turns.append(turn)
            if message.run_id:
                turn_of_run[message.run_id] = turn
        elif message.role == Message.Role.ASSISTANT and not metadata.get("tool_calls"):
            turn = turn_of_run.get(message.run_id)
            if turn is None:
                turns.append(Turn(user=None, run=runs.get(message.run_id), reply=message))
            else:
                turn.reply = message
    for turn in turns:
        if turn.run is not None:
            turn.images = by_run.get(turn.run.id, [])
            if turn.active:
                turn.progress = run_progress(turn.run)
    return Conversation(thread, turns, position)
