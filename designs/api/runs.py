"""Attach to a run's event stream (replay + tail), and cancel a run."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from rest_framework.request import Request
from rest_framework.response import Response

from designs import events
from designs.api.base import ProjectApiView
from designs.api.messages import SSE_HEADERS
from designs.auth import authenticate_key
from designs.db import db_call
from designs.errors import error_response, json_errors
from designs.exceptions import NotFound
from designs.models import Run
from designs.ratelimit import caller_meter, request_meter
from designs.services.runs import run_cancel, run_get
from designs.streaming import event_stream_view, sse_body


def _authorized_run(request: HttpRequest, user, thread_id: str, run_id: str) -> Run:
    """By API key, or, for browsers (EventSource cannot send headers), by session membership
    of the run's project (no project header needed: the run names its project). DRF never sees
    this view, so the caller is metered here, as DRF's throttle meters the others."""
    if request.headers.get("X-API-Key") is None and user is not None and user.is_authenticated:
        request_meter(user_id=user.pk)
        run = Run.objects.filter(id=run_id, thread_id=thread_id, project__memberships__user=user).first()
        if run is None:
            raise NotFound("Run not found")
        return run
    caller = authenticate_key(request.headers.get("X-API-Key"))
    caller_meter(caller)
    return run_get(project=caller.project, thread_id=thread_id, run_id=run_id)


@event_stream_view
@json_errors
async def run_events(request: HttpRequest, thread_id, run_id) -> HttpResponse:
    """SSE: every event after Last-Event-ID (or ?after=), then live until the run ends."""
    if request.method != "GET":
        return error_response("Method not allowed", 405)
    try:
        after = events.parse_event_id(request.headers.get("Last-Event-ID") or request.GET.get("after"))
    except events.MalformedEventId as exc:
        return error_response(str(exc), 400)
    user = await request.auser() if "X-API-Key" not in request.headers else None
    run = await db_call(_authorized_run)(request, user, str(thread_id), str(run_id))
    return StreamingHttpResponse(sse_body(str(run.id), after), content_type="text/event-stream", headers=SSE_HEADERS)


class RunCancelApi(ProjectApiView):
    def post(self, request: Request, thread_id: str, run_id: str) -> Response:
        run = run_get(project=self.project, thread_id=thread_id, run_id=run_id)
        run_cancel(run=run)
        return Response({"thread_id": str(thread_id), "run_id": str(run_id), "cancelled": True})
