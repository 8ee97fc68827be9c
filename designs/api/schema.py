"""The OpenAPI 3.1 contract of everything under /api (drf-spectacular), kept out of the views.

* DRF views are described by `OpenApiViewExtension`s (`schema_views_drf`), matched by dotted
  name, so the view modules carry no annotations.
* The plain async views (messages, tool outputs, run events, media) are not DRF's; the
  preprocessing hook `add_plain_views` adds DRF stand-ins for them (never routed), so their
  bodies are still derived from the serializers the views validate with.
* The postprocessing hook `finish` adds the shapes (`schema_components`), the SSE event
  catalogue (`schema_events`), `Retry-After` on 429s, and `text/event-stream` bodies.

Settings: SPECTACULAR_SETTINGS in project/settings.py. The docs pages: `schema_views`.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from designs.api.schema_audit import AUDIT_COMPONENTS
from designs.api.schema_catalog import CATALOG_COMPONENTS
from designs.api.schema_components import COMPONENTS, STRING, UUID, Schema, ref
from designs.api.schema_events import EVENT_COMPONENTS, sse_content
from designs.api.schema_products import PRODUCT_COMPONENTS
from designs.api.schema_review import REVIEW_COMPONENTS
from designs.api.schema_webhook_events import WEBHOOK_EVENT_COMPONENTS, webhook_operations
from designs.api.schema_webhooks import WEBHOOK_COMPONENTS, budget_refusals
from designs.serializers import MessageInputSerializer

ERROR_MEANINGS = {
    400: "The request is invalid; `detail` names the field and the rule.",
    401: "The X-API-Key header is missing, or the key is unknown or revoked.",
    403: "Not allowed: the caller's role (a reviewer's turn, a member's decision or key change), or no CSRF token.",
    404: "Not found. Another project's ids are not found either.",
    409: "Conflicts with the current state: a run that does not wait for tool outputs, a key in use.",
    413: "The request body is over the configured limit.",
    415: "The Content-Type is not one this route reads.",
    422: "This Idempotency-Key was used with a different request.",
    429: "Over a rate or run limit; Retry-After says when to try again.",
    502: "The run failed (the provider's error is in `detail`).",
    504: "The run did not finish in time; follow it at its events URL.",
}
READ = (400, 401, 403, 404, 429)
WRITE = (*READ, 413, 415)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(response=ref("Error"), description=ERROR_MEANINGS[code]) for code in codes}


def answers(status: int, component: str, description: str, *codes: int) -> dict[Any, OpenApiResponse]:
    return {status: OpenApiResponse(response=ref(component), description=description), **errors(*codes)}


def query(name: str, schema: Schema, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, type=schema, location=OpenApiParameter.QUERY, description=description)


def path_id(name: str, description: str = "") -> OpenApiParameter:
    return OpenApiParameter(name, type=OpenApiTypes.UUID, location=OpenApiParameter.PATH, description=description)


PAGE = [
    query("skip", {"type": "integer", "minimum": 0, "maximum": 10_000, "default": 0}, "How many to skip."),
    query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}, "How many at most."),
]
FLAG = {"type": "boolean"}


# --- security, operation ids and custom fields -------------------------------------------------


class EaselAutoSchema(AutoSchema):
    """REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS. Where no operation id is given, it is the path's
    words and the method (`assistants_assistant_id_memories_get`): unique for a view that serves
    several paths, where drf-spectacular's own ids collide."""

    def get_operation_id(self) -> str:
        words = [re.sub(r"\W+", "_", word.strip("{}")) for word in self.path.removeprefix("/api/").split("/") if word]
        return "_".join([*words, self.method.lower()])


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "designs.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> Schema:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": (
                "A project's API key (`esk_…`, made in the dashboard or with `manage.py create_api_key`). "
                "Signed-in dashboard members may call with their session cookie instead (and X-CSRFToken for writes)."
            ),
        }


class JSONValueFieldSchema(OpenApiSerializerFieldExtension):
    """`designs.serializers.JSONValueField`: the value, or (form encodings) its JSON text."""

    target_class = "designs.serializers.JSONValueField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> Schema:
        kind = "array" if self.target.kind is list else "object"
        return {
            "type": [kind, "string"],  # drf-spectacular adds "null" where the field allows it
            "description": f"A JSON {kind}; in form encodings, its JSON text.",
        }


class DocumentIdsFieldSchema(OpenApiSerializerFieldExtension):
    """`designs.serializers.DocumentIdsField`: ids as a list, or (form encodings) its JSON text or a comma list."""

    target_class = "designs.serializers.DocumentIdsField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> Schema:
        return {
            "type": ["array", "string"],
            "items": {"type": "string", "format": "uuid"},
            "maxItems": 32,
            "description": "Images of the project, in order (the one to edit first); in form encodings, "
            "a JSON array or ids separated by commas.",
        }


# --- stand-ins for the plain async views (described here, never routed) ------------------------

TOOL_OUTPUT = {
    "type": "object",
    "properties": {"tool_call_id": STRING, "output": {"type": "string", "description": "At most 1 MB."}},
    "required": ["tool_call_id", "output"],
}
TOOL_OUTPUTS_BODY = {
    "type": "object",
    "properties": {
        "tool_outputs": {"type": "array", "items": TOOL_OUTPUT, "minItems": 1},
        "tools": {
            "type": ["array", "null"],
            "items": {"type": "object"},
            "description": "Tools for the rest of the run.",
        },
        "thinking": {"type": ["object", "null"]},
    },
    "required": ["tool_outputs"],
}
SIMPLE_TOOL_OUTPUTS_BODY = {
    **TOOL_OUTPUTS_BODY,
    "properties": {**TOOL_OUTPUTS_BODY["properties"], "thread_id": UUID, "stream": {"type": "boolean"}},
    "required": ["thread_id", "tool_outputs"],
}
MULTIPART_FILES = {
    name: {"type": "string", "format": "binary", "description": description}
    for name, description in (
        ("input_image", "The image to edit (operation=generate_image)."),
        ("input_references", "Reference images after the one to edit (repeatable; operation=generate_image)."),
        ("mask", "Where the edit may change the first image: a PNG of its size, transparent (or white) there."),
        ("files", "Message attachments (repeatable); images are shown to the model."),
    )
}
TURN_ANSWERS = {
    (200, "application/json"): OpenApiResponse(
        response=ref("TurnResponse"), description="The turn's answer (stream=false), or the saved message."
    ),
    (200, "text/event-stream"): OpenApiResponse(response=STRING, description="The run's events (stream=true)."),
    **errors(*WRITE, 409, 422, 502, 504),
}
RUN_IDS = [path_id("thread_id"), path_id("run_id")]
MEDIA_ANSWERS = {
    (200, "image/*"): OpenApiResponse(response={"type": "string", "format": "binary"}, description="The bytes."),
    302: OpenApiResponse(description="Redirect to a short-lived presigned bucket URL (bucket deployments)."),
    304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
    403: OpenApiResponse(response=ref("Error"), description="A bad or expired signature, or held back in review."),
    **errors(404),
}
SIGNATURE = [
    query("expires", {"type": "string"}, "Unix time the URL stops working (from the signed URL)."),
    query("sig", {"type": "string"}, "The URL's signature (from the signed URL)."),
]


# The same fields, plus the file parts (a raw schema: a Serializer subclass here would count as
# one more input the security tests must list).
MULTIPART_MESSAGE = {
    "allOf": [ref("MessageInputRequest"), {"type": "object", "properties": MULTIPART_FILES}],
    "description": "The JSON fields as form fields (objects as JSON text), and the uploads as file parts.",
}


TURN_DOC = (
    "One conversation turn. Without thread_id a thread (and a default assistant) is made. "
    "stream=false waits for the run and answers JSON; stream=true answers its events as SSE. "
    "send_to_llm=false only saves the message. Send JSON, urlencoded or multipart (for uploads). "
    "An Idempotency-Key header replays the first answer's turn."
)
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    type={"type": "string", "pattern": "^[!-~]{1,255}$"},
    location=OpenApiParameter.HEADER,
    description="Repeat-safe retries of one turn: 1 to 255 printable characters.",
)
TURN_EXAMPLES = [
    OpenApiExample(
        "A text turn, answered as JSON",
        value={"content": "Suggest a name for a robot that waters flowers", "stream": False},
        request_only=True,
    ),
    OpenApiExample(
        "An image turn, streamed",
        value={
            "content": "Generate a square image of a tiny red robot watering a sunflower.",
            "stream": True,
            "image_generation": "auto",
            "image_config": {"size": "1024x1024"},
        },
        request_only=True,
    ),
]
# Without uploads (JSON, urlencoded) a turn must say something; with them, content may be empty.
SAYS_SOMETHING = {
    "allOf": [
        ref("MessageInputRequest"),
        {"type": "object", "required": ["content"], "properties": {"content": {"type": "string", "minLength": 1}}},
    ],
}
TURN_REQUEST = {
    "application/json": MessageInputSerializer,  # SAYS_SOMETHING in the document: see finish()
    "application/x-www-form-urlencoded": MessageInputSerializer,
    "multipart/form-data": MULTIPART_MESSAGE,
}
TURN_OPERATIONS = ("thread_messages_create", "thread_messages_create_in_thread")


class ThreadMessagesDoc(APIView):
    @extend_schema(
        operation_id="thread_messages_create",
        tags=["threads"],
        summary="Send a message (a turn)",
        description=TURN_DOC,
        parameters=[IDEMPOTENCY],
        request=TURN_REQUEST,
        examples=TURN_EXAMPLES,
        responses=TURN_ANSWERS,
    )
    def post(self, request: Any) -> None: ...


class ThreadMessagesLegacyDoc(APIView):
    @extend_schema(
        operation_id="thread_messages_create_in_thread",
        tags=["threads"],
        summary="Send a message to this thread (the legacy alias)",
        description=TURN_DOC + " The thread comes from the path.",
        parameters=[path_id("thread_id"), IDEMPOTENCY],
        request=TURN_REQUEST,
        responses=TURN_ANSWERS,
    )
    def post(self, request: Any, thread_id: str) -> None: ...


class SubmitToolOutputsDoc(APIView):
    @extend_schema(
        operation_id="run_submit_tool_outputs",
        tags=["runs"],
        summary="Answer a run that waits for the caller's tools",
        description="Continue a run whose status is REQUIRES_ACTION with its tool calls' outputs.",
        parameters=[*RUN_IDS, query("stream", FLAG, "Answer with the continuation's events (SSE).")],
        request={"application/json": TOOL_OUTPUTS_BODY},
        responses=TURN_ANSWERS,
    )
    def post(self, request: Any, thread_id: str, run_id: str) -> None: ...


class ThreadToolOutputsDoc(APIView):
    @extend_schema(
        operation_id="thread_tool_outputs",
        tags=["threads"],
        summary="Answer the thread's waiting run (the run found from the thread)",
        request={"application/json": SIMPLE_TOOL_OUTPUTS_BODY},
        responses=TURN_ANSWERS,
    )
    def post(self, request: Any) -> None: ...


class RunEventsDoc(APIView):
    @extend_schema(
        operation_id="run_events",
        tags=["runs"],
        summary="Follow a run's events",
        description="Every event after Last-Event-ID (or ?after=), then live until the run ends or pauses.",
        parameters=[
            *RUN_IDS,
            query("after", {"type": "string", "pattern": r"^\d{1,20}-\d{1,20}$"}, "Resume after this event id."),
            OpenApiParameter("Last-Event-ID", type=str, location=OpenApiParameter.HEADER, description="As ?after=."),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(response=STRING, description="The run's events."),
            **errors(*READ),
        },
    )
    def get(self, request: Any, thread_id: str, run_id: str) -> None: ...


class MediaFileDoc(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="media_file",
        tags=["media"],
        summary="A document's image (signed URL)",
        description="Served by the signature in the URL, not an API key; URLs come from media objects.",
        parameters=[
            path_id("document_id"),
            OpenApiParameter("ext", type=str, location=OpenApiParameter.PATH, description="The file's extension."),
            *SIGNATURE,
        ],
        responses=MEDIA_ANSWERS,
        auth=[],
    )
    def get(self, request: Any, document_id: str, ext: str) -> None: ...


class MediaThumbnailDoc(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="media_thumbnail",
        tags=["media"],
        summary="A document's thumbnail (signed URL)",
        parameters=[path_id("document_id"), *SIGNATURE],
        responses=MEDIA_ANSWERS,
        auth=[],
    )
    def get(self, request: Any, document_id: str) -> None: ...


class HealthDoc(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="healthz",
        tags=["health"],
        summary="Is the database, the broker and the storage usable?",
        responses={
            200: OpenApiResponse(response={"type": "object", "required": ["status"]}, description="All usable."),
            503: OpenApiResponse(response={"type": "object", "required": ["status"]}, description="Degraded."),
        },
        auth=[],
    )
    def get(self, request: Any) -> None: ...


# (path, the named Django route it stands for, stand-in): tests/openapi checks each route has one.
PLAIN_VIEWS = [
    ("/api/threads/messages", ThreadMessagesDoc),
    ("/api/threads/{thread_id}/messages", ThreadMessagesLegacyDoc),
    ("/api/threads/tool-outputs", ThreadToolOutputsDoc),
    ("/api/threads/{thread_id}/runs/{run_id}/submit-tool-outputs", SubmitToolOutputsDoc),
    ("/api/threads/{thread_id}/runs/{run_id}/events", RunEventsDoc),
    ("/api/media/{document_id}.thumb.webp", MediaThumbnailDoc),
    ("/api/media/{document_id}.{ext}", MediaFileDoc),
    ("/healthz", HealthDoc),
]


def add_plain_views(endpoints: list[tuple]) -> list[tuple]:
    """PREPROCESSING_HOOKS: the plain views' stand-ins join the endpoints DRF's enumerator found."""
    from designs.api.schema_products_drf import PRODUCT_PLAIN_VIEWS  # it imports this module
    from designs.api.schema_review_drf import REVIEW_PLAIN_VIEWS  # it imports this module

    added = []
    for path, stand_in in [*PLAIN_VIEWS, *REVIEW_PLAIN_VIEWS, *PRODUCT_PLAIN_VIEWS]:
        callback = stand_in.as_view()
        for method in ("GET", "POST"):
            if hasattr(stand_in, method.lower()):
                added.append((path, "^" + path.lstrip("/") + "$", method, callback))
    return [*endpoints, *added]


# --- the finished document ----------------------------------------------------------------------

RETRY_AFTER = {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds until the limit lets go."}}


def finish(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """POSTPROCESSING_HOOKS: the shapes and the event catalogue as components; SSE bodies."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(COMPONENTS)
    schemas.update(CATALOG_COMPONENTS)
    schemas.update(EVENT_COMPONENTS)
    schemas.update(REVIEW_COMPONENTS)
    schemas.update(AUDIT_COMPONENTS)
    schemas.update(PRODUCT_COMPONENTS)
    schemas.update(WEBHOOK_COMPONENTS)
    schemas.update(WEBHOOK_EVENT_COMPONENTS)
    result["webhooks"] = webhook_operations()
    budget_refusals(result.get("paths", {}))
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if operation.get("operationId") in TURN_OPERATIONS:
                # The serializer made MessageInputRequest; without uploads, content is required too.
                for encoding in ("application/json", "application/x-www-form-urlencoded"):
                    operation["requestBody"]["content"][encoding]["schema"] = SAYS_SOMETHING
            operation["responses"] = dict(sorted(operation.get("responses", {}).items()))
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                if "text/event-stream" in content:
                    content.update(sse_content())
                if status == "429":
                    response["headers"] = RETRY_AFTER
    return result
