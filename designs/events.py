"""The realtime contract: the event types a run sends, the streams it sends them to, and how
readers replay them.

Every run's events go into one ordered, replayable log (`designs.eventlog` stores it): the
run's own stream, and copies in its thread's and its project's streams, which the websocket
feeds follow. Readers (the POST stream, the attach endpoint, websocket feeds) replay the log
from any event id and then tail it; pub/sub is never the source of truth. Event types are
written only here, as `EventType`; in JSON (SSE frames, websocket frames, Redis) a member is
its plain string value.
"""

from __future__ import annotations

import json
import re
import threading
from enum import StrEnum
from typing import Any

from django.conf import settings

from designs.eventlog import RUN_STREAM_PREFIX, Event, EventLog, MemoryEventLog, RedisEventLog, id_key


class EventType(StrEnum):
    """Every `type` Easel sends (backboard-api.md §3.2, plus Easel's own, marked so)."""

    USER_MESSAGE = "user_message"  # first: the user's message is stored (it names the new thread)
    CONTENT_STREAMING = "content_streaming"  # a chunk of the answer (stored as a delta; see AnswerSoFar)
    TOOL_CALL_START = "tool_call_start"  # the LLM began a tool call (advisory; `hosted` for the image tool)
    TOOL_CALL_READY = "tool_call_ready"  # the LLM finished writing a tool call, arguments and all (advisory)
    MEDIA_PREVIEW = "media_preview"  # Easel's: a partial image while the image model works (never stored)
    MEDIA_GENERATED = "media_generated"  # one per stored image: its document and signed URL
    MEDIA_FAILED = "media_failed"  # Easel's: the image tool failed; the LLM hears why and the run goes on
    TOOL_SUBMIT_REQUIRED = "tool_submit_required"  # the run pauses for the caller's own tools' outputs
    RUN_RESTARTED = "run_restarted"  # Easel's: a lost worker's run starts over (it had shown nothing yet)
    RUN_ENDED = "run_ended"  # terminal: the run completed (`status: "completed"`, the answer, usage)
    RUN_FAILED = "run_failed"  # terminal: the run failed (`error`, `error_kind`)
    RUN_CANCELLED = "run_cancelled"  # terminal: the run was cancelled
    ERROR = "error"  # terminal, never logged: a reader could not follow the run (log down, wait timed out)
    REVIEW_UPDATED = "review_updated"  # Easel's, thread and project feeds: an image's review status changed
    COMMENT_ADDED = "comment_added"  # Easel's, thread and project feeds: a review comment on an image
    VARIANT_GENERATED = "variant_generated"  # Easel's: one customization variant made (its `media`, seed)
    VARIANT_FAILED = "variant_failed"  # Easel's: one customization variant failed alone (`reason_code`)
    CUSTOMIZATION_COMPLETED = "customization_completed"  # Easel's, terminal: some or all variants made
    CUSTOMIZATION_FAILED = "customization_failed"  # Easel's, terminal: no variant was made


# The events after which a run sends nothing more: its stream ends and its log expires.
# A customization's run sends its own terminal event first (run_ended etc. follow, for feeds).
TERMINAL_TYPES = frozenset(
    {
        EventType.RUN_ENDED,
        EventType.RUN_FAILED,
        EventType.RUN_CANCELLED,
        EventType.ERROR,
        EventType.CUSTOMIZATION_COMPLETED,
        EventType.CUSTOMIZATION_FAILED,
    }
)

# Where a reader stops: the run ended, or it paused for the caller's tool outputs (the run is
# not over and its log stays open; the continuation is read from after the pause event).
PAUSE_OR_END = TERMINAL_TYPES | {EventType.TOOL_SUBMIT_REQUIRED}

_EVENT_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


class MalformedEventId(ValueError):
    pass


def parse_event_id(value: str | None) -> str | None:
    """Validate a Last-Event-ID / ?after= value. Empty means "from the start"."""
    if value is None or value.strip() in ("", "0"):
        return None
    value = value.strip()
    if not _EVENT_ID.match(value):
        raise MalformedEventId(f"Malformed event id {value!r}: expected <int>-<int>")
    return value


_log: EventLog | None = None
_log_lock = threading.Lock()


def get_log() -> EventLog:
    """The process-wide event log for the configured topology (built here, not in
    `designs.eventlog`, because it is told which event types end a run)."""
    global _log
    if _log is None:
        with _log_lock:
            if _log is None:
                if settings.REDIS_URL:
                    _log = RedisEventLog(
                        settings.REDIS_URL,
                        ttl=settings.EASEL_EVENT_LOG_TTL,
                        open_ttl=settings.EASEL_EVENT_LOG_TTL + settings.EASEL_RUN_TIME_LIMIT * 2,
                        terminal=TERMINAL_TYPES,
                    )
                else:
                    _log = MemoryEventLog(ttl=settings.EASEL_EVENT_LOG_TTL, terminal=TERMINAL_TYPES)
    return _log


class AnswerSoFar:
    """A reader's side of `content_streaming`: adds `accumulated_content`, the answer so far,
    which the contract puts on every chunk.

    The log stores each chunk's delta and where it starts in the answer (`text_at`). Stored
    whole, every chunk carried the answer so far and a run's log grew with the square of its
    answer: 61 MiB in Redis for the three streams of an 18,000-character answer in 2,000 chunks
    (1.6 MiB as deltas). A reader keeps the text of each run it is following; one that joins
    mid-answer (a resume, a feed opened during a run) reads the run's earlier chunks once.
    """

    def __init__(self) -> None:
        # run id -> (the answer so far as this reader knows it, how many characters before it
        # the log no longer holds: an expired run stream read through its thread's feed)
        self._texts: dict[str, tuple[str, int]] = {}

    async def fill(self, batch: list[tuple[str | None, Event]]) -> list[tuple[str | None, Event]]:
        filled = []
        for event_id, event in batch:
            kind, run_id = event.get("type"), event.get("run_id", "")
            if kind == EventType.CONTENT_STREAMING and "text_at" in event:
                at = event["text_at"]
                before, lost = self._texts.get(run_id, ("", 0))
                if lost + len(before) != at:
                    before, lost = await answer_before(run_id, at)
                text = before + (event.get("content") or "")
                self._texts[run_id] = (text, lost)
                event = {key: value for key, value in event.items() if key != "text_at"}
                event["accumulated_content"] = text
            elif kind == EventType.CONTENT_STREAMING:  # written whole, before deltas were stored alone
                self._texts[run_id] = (event.get("accumulated_content") or "", 0)
            elif kind == EventType.RUN_RESTARTED or kind in PAUSE_OR_END:
                # A continued run's answer starts again at 0 (its first text went into the pause).
                self._texts.pop(run_id, None)
            filled.append((event_id, event))
        return filled


async def answer_before(run_id: str, at: int) -> tuple[str, int]:
    """The text a run streamed before character `at`, as far as its log still holds it, and
    how many characters before that text the log no longer holds (0 unless it expired)."""
    from asgiref.sync import sync_to_async

    entries = await sync_to_async(get_log().entries, thread_sensitive=False)(run_stream(run_id))
    parts: list[str] = []
    start = 0  # where in the answer the first chunk the log kept starts
    for _event_id, event in entries:
        kind = event.get("type")
        if kind in (EventType.RUN_RESTARTED, EventType.TOOL_SUBMIT_REQUIRED):
            parts, start = [], 0
        elif kind == EventType.CONTENT_STREAMING and "text_at" not in event:  # written whole
            parts, start = [event.get("accumulated_content") or ""], 0
        elif kind == EventType.CONTENT_STREAMING:
            if event["text_at"] >= at:
                break
            if not parts:
                start = event["text_at"]
            parts.append(event.get("content") or "")
    return "".join(parts)[: at - start], start


async def resume_point(stream: str, after: str | None) -> str | None:
    """Where a reader asking for events after `after` starts: an id from the future (a clock
    ahead, a stream that was trimmed) means "nothing to replay, tail from now"."""
    if after is None:
        return None
    from asgiref.sync import sync_to_async

    newest = await sync_to_async(get_log().last_id, thread_sensitive=False)(stream)
    if newest is None or id_key(after) > id_key(newest):
        return newest
    return after


def run_stream(run_id: object) -> str:
    return f"{RUN_STREAM_PREFIX}{run_id}"


def thread_stream(thread_id: object) -> str:
    return f"thread:{thread_id}"


def project_stream(project_id: object) -> str:
    return f"project:{project_id}"


def publish(
    *, project_id: object, thread_id: object, run_id: object, assistant_id: object, type: EventType, **fields: Any
) -> str:
    """Append one run event (with its thread, assistant and run ids) to the run's, the
    thread's and the project's streams. Returns the event's id in the run stream.

    `type` must be an EventType (a plain string naming one is accepted too): the log stores
    its plain value, so what readers get back is the same whichever backend stored it."""
    event = {
        "type": EventType(type).value,
        "thread_id": str(thread_id),
        "assistant_id": str(assistant_id),
        "run_id": str(run_id),
        **fields,
    }
    streams = [run_stream(run_id), thread_stream(thread_id), project_stream(project_id)]
    return get_log().append(streams, event)


def publish_feed(*, project_id: object, thread_id: object | None, type: EventType, **fields: Any) -> str:
    """Append an event that belongs to no run (review news) to the project's feed and, when the
    image has one, its thread's. Returns the event's id in the project stream."""
    event = {"type": EventType(type).value, "thread_id": str(thread_id) if thread_id else None, **fields}
    streams = [project_stream(project_id), *([thread_stream(thread_id)] if thread_id else [])]
    return get_log().append(streams, event)


def sse_frame(event_id: str | None, event: Event) -> bytes:
    """One SSE event: an `id:` line (unless the event is not from the log) and a single-line
    compact `data: ` line (the SDK needs the space after the colon and no line breaks). The JSON
    carries the id too, as `event_id`: the SDK drops the `id:` line, and a client resumes with it."""
    data = json.dumps({**event, "event_id": event_id} if event_id else event, separators=(",", ":"), ensure_ascii=False)
    id_line = f"id: {event_id}\n" if event_id else ""
    return f"{id_line}data: {data}\n\n".encode()
