"""`GET /api/events`: a project's feed (or one thread's, with `?thread_id=`) as Server-Sent Events.

The same log the websocket feeds relay: run events, and the review news no run carries
(`review_updated`, `comment_added`). A connection replays from Last-Event-ID (or `?after=`) and
stays open for EASEL_FEED_SECONDS at most; then it ends and the client reconnects with the last
id it saw, as EventSource does by itself. `?types=` keeps only the named event types.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from designs import events
from designs.api.messages import SSE_HEADERS
from designs.auth import authenticate_request
from designs.db import db_call
from designs.errors import error_response, json_errors
from designs.exceptions import Invalid
from designs.ratelimit import caller_meter
from designs.services.threads import thread_get
from designs.streaming import _redis_errors, event_stream_view

MAX_TYPES = 20


def _stream_for(request: HttpRequest, user) -> str:
    """The feed the caller may read: its project's, or a thread of it (NotFound otherwise)."""
    caller = authenticate_request(request, user)
    caller_meter(caller)
    thread_id = request.GET.get("thread_id")
    if thread_id:
        try:
            thread_id = uuid.UUID(thread_id)
        except ValueError as exc:
            raise Invalid("thread_id must be a thread's id (a UUID)") from exc
        thread = thread_get(project=caller.project, thread_id=thread_id)
        return events.thread_stream(thread.id)
    return events.project_stream(caller.project.id)


def _types(raw: str | None) -> frozenset[str] | None:
    if not raw:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    known = {member.value for member in events.EventType}
    unknown = [name for name in names if name not in known]
    if unknown or len(names) > MAX_TYPES:
        raise Invalid(f"types: unknown event type {unknown[0][:40]!r}" if unknown else "types: too many")
    return frozenset(names)


@event_stream_view
@json_errors
async def feed_events(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return error_response("Method not allowed", 405)
    try:
        after = events.parse_event_id(request.headers.get("Last-Event-ID") or request.GET.get("after"))
    except events.MalformedEventId as exc:
        return error_response(str(exc), 400)
    types = _types(request.GET.get("types"))
    user = await request.auser() if "X-API-Key" not in request.headers else None
    stream = await db_call(_stream_for)(request, user)
    return StreamingHttpResponse(_frames(stream, after, types), content_type="text/event-stream", headers=SSE_HEADERS)


async def _frames(stream: str, after: str | None, types: frozenset[str] | None) -> AsyncIterator[bytes]:
    log = events.get_log()
    answer = events.AnswerSoFar()  # content_streaming carries the answer so far, as on a run's stream
    deadline = time.monotonic() + settings.EASEL_FEED_SECONDS
    last = await events.resume_point(stream, after)
    while (left := deadline - time.monotonic()) > 0:
        try:
            batch = await log.read(stream, last, wait=min(settings.EASEL_SSE_KEEPALIVE, left))
        except (OSError, ConnectionError, *_redis_errors()) as exc:
            error = {"type": events.EventType.ERROR.value, "error": f"Event log unavailable: {type(exc).__name__}"}
            yield events.sse_frame(None, error)
            return
        if not batch:
            yield b": keepalive\n\n"
            continue
        last = batch[-1][0]
        kept = await answer.fill([(i, event) for i, event in batch if not types or event.get("type") in types])
        yield b"".join(events.sse_frame(event_id, event) for event_id, event in kept) or b": keepalive\n\n"
