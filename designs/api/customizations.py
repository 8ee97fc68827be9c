"""Customizations over the API: start (JSON, or SSE with `stream: true`), attach and resume,
refine, select, read, list and export.

    GET|POST /api/customizations                         list (?customer_ref=&template_id=&status=&skip=&limit=) | start
    GET      /api/customizations/{id}                    one, with its variants, usage and cost
    GET      /api/customizations/{id}/events             SSE of its latest run; Last-Event-ID (or ?after=) resumes
    POST     /api/customizations/{id}/refine             {"document_id", "prompt", "n", "stream"?}
    POST     /api/customizations/{id}/select             {"document_id"}
    GET      /api/customizations/{id}/export?document_id=&kind=print|mockup

Start and refine are async views like `POST /api/threads/messages`: without `stream` they wait
(bounded) for the variants and answer the customization; with it, the run's events. The
synchronous part (auth, parsing, storing) runs in one `db_call` first.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.response import Response

from designs import events
from designs.api.base import JsonWhateverAsked, ProjectApiView
from designs.api.delivery import refusal
from designs.api.messages import SSE_HEADERS, _parse_body
from designs.api.tool_outputs import _flag
from designs.auth import authenticate_key, authenticate_request
from designs.db import db_call
from designs.errors import error_response, json_errors
from designs.exceptions import Invalid, NotFound
from designs.media import request_base_url
from designs.models import Customization, Run
from designs.parsers import BoundedJSONParser
from designs.product_payloads import customization_payload
from designs.ratelimit import caller_meter, request_meter
from designs.serializers import PageSerializer
from designs.services import customizations as services
from designs.services import idempotency
from designs.services.exports import LowResolution, export
from designs.services.review import delivery_blockers
from designs.streaming import event_stream_view, sse_body, wait_for_end

LIST_FILTERS = ("customer_ref", "template_id", "status", "skip", "limit")


@event_stream_view
@csrf_exempt
@json_errors
async def customizations_root(request: HttpRequest) -> HttpResponse:
    user = await request.auser() if "X-API-Key" not in request.headers else None
    if request.method == "GET":
        return JsonResponse(await db_call(_list)(request, user), safe=False)
    if request.method != "POST":
        return error_response("Method not allowed", 405)
    customization_id, run_id, stream, created = await db_call(_start)(request, user)
    return await _answer(customization_id, run_id, stream, request_base_url(request), 201 if created else 200)


@event_stream_view
@csrf_exempt
@json_errors
async def customization_refine(request: HttpRequest, customization_id) -> HttpResponse:
    if request.method != "POST":
        return error_response("Method not allowed", 405)
    user = await request.auser() if "X-API-Key" not in request.headers else None
    run_id, stream = await db_call(_refine)(request, user, str(customization_id))
    return await _answer(str(customization_id), run_id, stream, request_base_url(request), 200)


@event_stream_view
@csrf_exempt
@json_errors
async def customization_events(request: HttpRequest, customization_id) -> HttpResponse:
    """SSE: the latest run's events after Last-Event-ID (or ?after=), then live until it ends."""
    if request.method != "GET":
        return error_response("Method not allowed", 405)
    try:
        after = events.parse_event_id(request.headers.get("Last-Event-ID") or request.GET.get("after"))
    except events.MalformedEventId as exc:
        return error_response(str(exc), 400)
    user = await request.auser() if "X-API-Key" not in request.headers else None
    run_id = await db_call(_latest_run)(request, user, str(customization_id))
    return StreamingHttpResponse(sse_body(run_id, after), content_type="text/event-stream", headers=SSE_HEADERS)


async def _answer(customization_id: str, run_id: str, stream: bool, base_url: str, status: int) -> HttpResponse:
    if stream:
        return StreamingHttpResponse(sse_body(run_id), content_type="text/event-stream", headers=SSE_HEADERS)
    await wait_for_end(run_id)  # bounded by EASEL_RUN_WAIT_TIMEOUT; a timeout answers "running"
    return JsonResponse(await db_call(_payload)(customization_id, base_url), status=status)


def _payload(customization_id: str, base_url: str) -> dict[str, Any]:
    customization = Customization.objects.select_related("template_version").get(id=customization_id)
    return customization_payload(customization, base_url)


def _start(request: HttpRequest, user) -> tuple[str, str, bool, bool]:
    """(customization id, run id, stream, created): a repeated Idempotency-Key answers with the
    first request's customization (created False) without starting anything."""
    caller = authenticate_request(request, user, generates=True)
    caller_meter(caller)
    data, uploads = _parse_body(request)
    if uploads:
        raise Invalid("A customization takes no files: its product photo is the template's")
    stream = _flag(data.get("stream", False), "stream")
    base_url = request_base_url(request)
    key = request.headers.get("Idempotency-Key")
    if key is None:
        started = services.customization_start(caller.project, data, base_url=base_url, api_key=caller.api_key)
        return str(started.customization.id), str(started.run.id), stream, True
    with transaction.atomic():
        print_ = idempotency.fingerprint({"endpoint": "customizations", **data}, {})
        replay = idempotency.idempotency_claim(project=caller.project, key=key.strip(), print_=print_)
        if replay is not None and replay.run is not None:
            customization_id = replay.run.params.get("customization_id")
            return str(customization_id), str(replay.run.id), stream, False
        started = services.customization_start(caller.project, data, base_url=base_url, api_key=caller.api_key)
        idempotency.idempotency_record(
            project=caller.project, key=key.strip(), run=started.run, user_message_id=started.run.user_message_id
        )
    return str(started.customization.id), str(started.run.id), stream, True


def _refine(request: HttpRequest, user, customization_id: str) -> tuple[str, bool]:
    caller = authenticate_request(request, user, generates=True)
    caller_meter(caller)
    customization = services.customization_get(caller.project, customization_id)
    data, uploads = _parse_body(request)
    if uploads:
        raise Invalid("A refine takes no files: it edits a variant of this customization")
    stream = _flag(data.pop("stream", False), "stream")
    run = services.customization_refine(customization, data, base_url=request_base_url(request), api_key=caller.api_key)
    return str(run.id), stream


def _list(request: HttpRequest, user) -> list[dict[str, Any]]:
    caller = authenticate_request(request, user)
    caller_meter(caller)
    unknown = sorted(set(request.GET) - set(LIST_FILTERS))
    if unknown:
        raise Invalid(f"Unknown filter(s): {', '.join(unknown)}")
    page = PageSerializer(data=request.GET)
    if not page.is_valid():
        raise Invalid("skip: 0..10000 and limit: 1..500")
    skip, limit = page.validated_data["skip"], page.validated_data["limit"]
    found = Customization.objects.filter(project=caller.project).select_related("template_version")
    if ref := request.GET.get("customer_ref"):
        found = found.filter(customer_ref=ref[:200].replace("\x00", ""))
    if template_id := request.GET.get("template_id"):
        found = found.filter(template=services.template_get(caller.project, template_id))
    if status := request.GET.get("status"):
        if status not in Customization.Status.values:
            raise Invalid(f"status: one of {', '.join(Customization.Status.values)}")
        found = found.filter(status=status)
    base_url = request_base_url(request)
    return [customization_payload(c, base_url) for c in found.order_by("-created_at")[skip : skip + limit]]


def _latest_run(request: HttpRequest, user, customization_id: str) -> str:
    """By API key, or for browsers (EventSource sends no headers) by membership of its project."""
    if request.headers.get("X-API-Key") is None and user is not None and user.is_authenticated:
        request_meter(user_id=user.pk)
        scope = Customization.objects.filter(project__memberships__user=user)
    else:
        caller = authenticate_key(request.headers.get("X-API-Key"))
        caller_meter(caller)
        scope = Customization.objects.filter(project=caller.project)
    try:
        customization = scope.filter(id=customization_id).first()
    except ValueError:
        customization = None
    if customization is None:
        raise NotFound("Customization not found")
    run = Run.objects.filter(variants__customization=customization).order_by("-created_at").first()
    return str(run.id)


class CustomizationDetailApi(ProjectApiView):
    def get(self, request: Request, customization_id) -> Response:
        customization = services.customization_get(self.project, customization_id)
        return Response(customization_payload(customization, self.base_url()))


class CustomizationSelectApi(ProjectApiView):
    parser_classes = [BoundedJSONParser]

    def post(self, request: Request, customization_id) -> Response:
        customization = services.customization_get(self.project, customization_id)
        data = request.data if isinstance(request.data, dict) else {}
        if set(data) != {"document_id"}:
            raise Invalid('Send {"document_id"}: the made variant to select')
        services.customization_select(customization, data["document_id"])
        return Response(customization_payload(customization, self.base_url()))


class CustomizationExportApi(ProjectApiView):
    """The print file (the print area at the template's output size, DPI and ICC profile, with
    bleed) or the mockup (the product at display size). Gated like delivery: an image the
    review policy holds back is refused, to every caller, with its blockers."""

    content_negotiation_class = JsonWhateverAsked

    def get(self, request: Request, customization_id) -> HttpResponse:
        customization = services.customization_get(self.project, customization_id)
        unknown = sorted(set(request.query_params) - {"document_id", "kind"})
        if unknown:
            raise Invalid(f"Unknown parameter(s): {', '.join(unknown)}")
        kind = request.query_params.get("kind") or "print"
        if kind not in ("print", "mockup"):
            raise Invalid("kind: print or mockup")
        document = services.variant_document(customization, request.query_params.get("document_id"))
        blockers = delivery_blockers(document)
        if blockers:
            return refusal(document, blockers)
        try:
            exported = export(customization, document, kind)
        except LowResolution as exc:
            body = {
                "detail": exc.detail,
                "code": "low_resolution",
                "effective_dpi": exc.effective,
                "min_dpi": exc.needed,
            }
            return JsonResponse(body, status=422)
        response = HttpResponse(exported.data, content_type=exported.mime_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response
