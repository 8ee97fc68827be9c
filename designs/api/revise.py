"""`POST /api/documents/{id}/revise` `{"comment_ids": [...], "prompt"?, "stream"?}`: reviewers'
comments on an image become one edit confined to their regions (designs.services.comments.revise).

Answers 202 `{"run_id", "thread_id", "status"}`, or with `stream: true` the run's events as SSE.
An async view like `POST /api/threads/messages`, so a client following the run holds no thread;
the synchronous part (auth, parsing, storing the turn) runs in one `db_call` first.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from designs.api.messages import SSE_HEADERS, _parse_body
from designs.api.review import text_field, who_of
from designs.api.tool_outputs import _flag
from designs.auth import authenticate_request
from designs.db import db_call
from designs.errors import error_response, json_errors
from designs.exceptions import Invalid
from designs.media import request_base_url
from designs.ratelimit import caller_meter
from designs.services.comments import revise
from designs.services.review import document_of
from designs.services.turns import Turn
from designs.streaming import event_stream_view, sse_body


@event_stream_view
@csrf_exempt
@json_errors
async def document_revise(request: HttpRequest, document_id) -> HttpResponse:
    if request.method != "POST":
        return error_response("Method not allowed", 405)
    user = await request.auser() if "X-API-Key" not in request.headers else None
    turn = await db_call(_revise)(request, user, str(document_id))
    run_id = str(turn.run.id)
    if turn.stream:
        return StreamingHttpResponse(sse_body(run_id), content_type="text/event-stream", headers=SSE_HEADERS)
    return JsonResponse({"run_id": run_id, "thread_id": str(turn.thread.id), "status": turn.run.status}, status=202)


def _revise(request: HttpRequest, user, document_id: str) -> Turn:
    caller = authenticate_request(request, user, reviewer_writes=True)
    caller_meter(caller)  # not a DRF view: metered by hand, like POST /threads/messages
    document = document_of(caller.project, document_id)
    data, uploads = _parse_body(request)
    if uploads:
        raise Invalid("A revise takes no file uploads: it edits the image the comments are on")
    return revise(
        document,
        who_of(caller),
        comment_ids=data.get("comment_ids"),
        prompt=text_field(data, "prompt"),
        base_url=request_base_url(request),
        stream=_flag(data.get("stream"), "stream"),
    )
