"""Answering a run that waits for the caller's own tools: the two submit routes.

`POST /api/threads/{tid}/runs/{rid}/submit-tool-outputs?stream=` (the SDK's
`submit_tool_outputs`) and `POST /api/threads/tool-outputs` (`submit_tool_outputs_simple`,
the run found from the thread). Both continue the same run and answer like
`POST /api/threads/messages`: JSON once the run ends (or pauses again), or its events from
after the pause as SSE. Async, like that view, so a waiting client holds no thread.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from designs.api.messages import SSE_HEADERS, _final_response, _parse_body
from designs.auth import authenticate_request
from designs.db import db_call
from designs.errors import error_response, json_errors
from designs.exceptions import Invalid
from designs.ratelimit import caller_meter
from designs.services.tool_outputs import Continuation, tool_outputs_submit
from designs.streaming import event_stream_view, sse_body, wait_for_end

TRUE, FALSE = ("true", "1", True), ("false", "0", False, None, "")


@event_stream_view
@csrf_exempt
@json_errors
async def run_submit_tool_outputs(request: HttpRequest, thread_id, run_id) -> HttpResponse:
    if request.method != "POST":
        return error_response("Method not allowed", 405)
    user = await request.auser() if "X-API-Key" not in request.headers else None
    stream = _flag(request.GET.get("stream"), "stream")
    continuation = await db_call(_submit)(request, user, str(thread_id), str(run_id), stream)
    return await _answer(continuation)


@event_stream_view
@csrf_exempt
@json_errors
async def thread_tool_outputs(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return error_response("Method not allowed", 405)
    user = await request.auser() if "X-API-Key" not in request.headers else None
    continuation = await db_call(_submit)(request, user, None, None, None)
    return await _answer(continuation)


def _submit(request: HttpRequest, user, thread_id: str | None, run_id: str | None, stream: bool | None) -> Continuation:
    caller = authenticate_request(request, user, generates=True)  # a continued run generates
    caller_meter(caller)  # not a DRF view: metered by hand, like POST /threads/messages
    data, uploads = _parse_body(request)
    if uploads:
        raise Invalid("Tool outputs take no file uploads")
    if thread_id is None:  # the simple route: everything is in the body
        thread_id = _uuid_text(data.get("thread_id"))
        stream = _flag(data.get("stream"), "stream")
    return tool_outputs_submit(project=caller.project, thread_id=thread_id, run_id=run_id, data=data, stream=stream)


async def _answer(continuation: Continuation) -> HttpResponse:
    run_id = str(continuation.run.id)
    if continuation.stream:
        body = sse_body(run_id, continuation.after)
        return StreamingHttpResponse(body, content_type="text/event-stream", headers=SSE_HEADERS)
    end = await wait_for_end(run_id, continuation.after)
    return await db_call(_final_response)(run_id, end)


def _flag(value: Any, name: str) -> bool:
    value = value.lower() if isinstance(value, str) else value
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise Invalid(f"{name}: must be true or false")


def _uuid_text(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError) as exc:
        raise Invalid("thread_id: must be the UUID of the thread whose run waits for tool outputs") from exc
