"""`POST /api/threads/messages`: one conversation turn, answered as JSON or as an SSE stream.

An async view, so a client waiting for its run holds no thread. The synchronous part (auth,
parsing, validation, storing) runs in one `db_call` before anything is sent.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from designs import trace
from designs.auth import authenticate_request
from designs.db import db_call
from designs.errors import error_response, flatten_detail, json_errors
from designs.exceptions import Invalid, TooLarge, UnsupportedMedia
from designs.media import request_base_url
from designs.models import Message, Run
from designs.parsers import JSONRefused, load_json
from designs.payloads import context_usage, iso, message_payload
from designs.ratelimit import caller_meter
from designs.serializers import MessageInputSerializer
from designs.services import idempotency
from designs.services.model_choice import run_models
from designs.services.tool_outputs import pending_tool_calls
from designs.services.turns import turn_accept
from designs.streaming import event_stream_view, sse_body, wait_for_end

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@event_stream_view
@csrf_exempt
@json_errors
async def thread_messages(request: HttpRequest, thread_id: str | None = None) -> HttpResponse:
    if request.method != "POST":
        return error_response("Method not allowed", 405)
    trace.mark("request")
    user = await request.auser() if "X-API-Key" not in request.headers else None
    run, user_message_id, stream = await db_call(_accept)(request, thread_id, user)
    if run is None:
        return JsonResponse(await db_call(_saved_only_response)(user_message_id))
    run_id = str(run.id)
    trace.flush(run_id, "web")
    if stream:
        return StreamingHttpResponse(sse_body(run_id), content_type="text/event-stream", headers=SSE_HEADERS)
    end = await wait_for_end(run_id)
    return await db_call(_final_response)(run_id, end)


def _accept(request: HttpRequest, thread_id: str | None, user) -> tuple[Run | None, str | None, bool]:
    """The turn to answer: its run (None: the message was only saved), the user message's id,
    and whether to stream. A repeated Idempotency-Key answers with the earlier turn's."""
    caller = authenticate_request(request, user, generates=True)
    trace.mark("auth")
    # This view is not DRF's, so its throttle never sees it: the same meter, by hand.
    caller_meter(caller)
    data, uploads = _parse_body(request)
    if thread_id is not None:
        data["thread_id"] = thread_id
    serializer = MessageInputSerializer(data=data)
    if not serializer.is_valid():
        raise Invalid("; ".join(flatten_detail(serializer.errors)))
    validated = dict(serializer.validated_data)
    trace.mark("parsed")
    base_url = request_base_url(request)
    key = request.headers.get("Idempotency-Key")
    if key is None:
        turn = turn_accept(
            project=caller.project, data=validated, uploads=uploads, base_url=base_url, api_key=caller.api_key
        )
        return turn.run, str(turn.user_message.id), turn.stream
    with transaction.atomic():
        replay = idempotency.idempotency_claim(
            project=caller.project, key=key.strip(), print_=idempotency.fingerprint(validated, uploads)
        )
        if replay is not None:
            # The fingerprint covers `stream`, so the earlier request asked the same.
            return replay.run, replay.user_message_id, bool(validated.get("stream"))
        turn = turn_accept(
            project=caller.project, data=validated, uploads=uploads, base_url=base_url, api_key=caller.api_key
        )
        idempotency.idempotency_record(
            project=caller.project, key=key.strip(), run=turn.run, user_message_id=turn.user_message.id
        )
    return turn.run, str(turn.user_message.id), turn.stream


def _parse_body(request: HttpRequest) -> tuple[dict[str, Any], dict[str, list]]:
    """One normaliser for JSON, urlencoded and multipart bodies."""
    content_type = request.content_type or ""
    try:
        if content_type == "application/json":
            return _json_body(request.body), {}
        if content_type in FORM_TYPES:
            data = {key: request.POST.getlist(key)[-1] for key in request.POST}
            return data, {key: request.FILES.getlist(key) for key in request.FILES}
        if not request.body:
            return {}, {}
    except RequestDataTooBig as exc:
        raise TooLarge("Request body is over the configured limit") from exc
    except (MultiPartParserError, SuspiciousOperation) as exc:
        raise Invalid(f"Malformed request body: {exc}") from exc
    raise UnsupportedMedia(f"Unsupported Content-Type '{content_type}': send JSON, urlencoded or multipart")


def _json_body(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        data = load_json(raw)
    except JSONRefused as exc:
        raise exc.body_error() from exc
    if not isinstance(data, dict):
        raise Invalid("The JSON body must be an object")
    return data


def _envelope(message_fields: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """The superset shape: the final message's fields at top level and as messages[-1]."""
    body = {"message": "Message added successfully", **message_fields, **extra}
    body["messages"] = [{**message_fields, **extra}]
    return body


def _saved_only_response(message_id: str | None) -> dict[str, Any]:
    message = Message.objects.select_related("thread").get(id=message_id)
    fields = message_payload(message, "")
    extra = {
        "thread_id": str(message.thread_id),
        "assistant_id": str(message.thread.assistant_id),
        "timestamp": iso(message.created_at),
        "generated_media": [],
        "tool_calls": None,
    }
    return _envelope(fields, extra)


def _final_response(run_id: str, end: dict[str, Any]) -> HttpResponse:
    run = Run.objects.select_related("thread").get(id=run_id)
    if run.status == Run.Status.FAILED:
        return error_response(f"Run {run_id} failed: {run.error}", 502)
    if not run.is_finished and run.status != Run.Status.REQUIRES_ACTION:
        return error_response(
            f"{end.get('error') or 'Run did not finish'}; follow it at "
            f"/api/threads/{run.thread_id}/runs/{run_id}/events",
            504,
        )
    # The answer, or (paused for the caller's tools) the stub that holds the calls to answer.
    message = Message.objects.filter(run=run, role=Message.Role.ASSISTANT).order_by("-seq").first()
    waiting = run.status == Run.Status.REQUIRES_ACTION
    fields = message_payload(message, run.public_base_url)
    extra = {
        "thread_id": str(run.thread_id),
        "assistant_id": str(run.assistant_id),
        "run_id": run_id,
        "tool_calls": pending_tool_calls(run) if waiting else None,
        "reasoning": None,
        "memory_operation_id": None,
        "retrieved_memories": None,
        "retrieved_files": None,
        "timestamp": iso(message.created_at if message else timezone.now()),
        "images_generated": run.images_generated,
        "cost_usd": end.get("cost_usd", float(run.cost_usd)),
    }
    body = _envelope(fields, extra)
    body["context_usage"] = context_usage(run, run_models(run).context_limit)
    return JsonResponse(body)
