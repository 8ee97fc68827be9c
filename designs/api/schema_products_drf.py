"""The descriptions of the product customization routes: templates (designs/api/templates.py) and
the DRF views of customizations (designs/api/customizations.py), as in `schema_drf`, and stand-ins
for its plain async views (start and list, events, refine), like the turn's."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from designs.api.schema import FLAG, PAGE, READ, WRITE, answers, errors, path_id, query
from designs.api.schema_components import STRING, ref
from designs.api.schema_drf import described
from designs.api.schema_products import (
    CUSTOMIZATION_BODY,
    CUSTOMIZATION_STATUS,
    REFINE_BODY,
    SELECT_BODY,
    TEMPLATE_BODY,
    TEMPLATE_FORM,
    TEMPLATE_UPDATE_BODY,
    TEMPLATE_UPDATE_FORM,
)

JSON = "application/json"
SSE = "text/event-stream"
TEMPLATE_ID = path_id("template_id", "A template of the project (another project's is not found).")
CUSTOMIZATION_ID = path_id("customization_id", "A customization of the project.")
TEMPLATES = {"type": "array", "items": ref("Template")}
BINARY = {"type": "string", "format": "binary"}
AFTER = query("after", {"type": "string", "pattern": r"^\d{1,20}-\d{1,20}$"}, "Resume after this event id.")
LAST_EVENT_ID = OpenApiParameter(
    "Last-Event-ID", type=str, location=OpenApiParameter.HEADER, description="As ?after= (EventSource sends it)."
)
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    type={"type": "string", "pattern": "^[!-~]{1,255}$"},
    location=OpenApiParameter.HEADER,
    description="Repeat-safe retries: the same key and body answer the first request's customization (200) "
    "and start nothing; another body under the key is a 422.",
)
STREAMED = OpenApiResponse(
    response=STRING,
    description="stream=true: the run's events, variant_generated and variant_failed as each variant ends, "
    "then customization_completed or customization_failed.",
)
TEMPLATE_EXAMPLE = OpenApiExample(
    "A tee's chest, printed at 300 DPI",
    value={
        "name": "Plain white tee",
        "base_document_id": "33333333-3333-4333-8333-333333333333",
        "print_area": {"x": 100, "y": 60, "width": 120, "height": 150},
        "protect_regions": [{"x": 140, "y": 70, "width": 40, "height": 20}],
        "output": {"width_px": 480, "height_px": 600, "dpi": 300, "format": "png", "bleed_px": 12},
        "max_variants": 4,
    },
    request_only=True,
)
GATED = (
    'Held back: the review policy gates delivery and the image is not approved ({"detail", "review_status", '
    '"blockers": ["review: pending", "approvals: 0 of 1", …]}), to every caller.'
)
LOW_RESOLUTION = (
    'The print area\'s pixels print below the template\'s min_dpi ({"detail", "code": "low_resolution", '
    '"effective_dpi", "min_dpi"}): export a final-tier variant, or lower min_dpi.'
)

EXTENSIONS = [
    described(
        "designs.api.templates.TemplateListApi",
        "products",
        get={
            "summary": "The project's product templates (their current versions), newest first",
            "parameters": [*PAGE, query("include_archived", FLAG, "Archived templates too.")],
            "responses": {200: TEMPLATES, **errors(*READ)},
        },
        post={
            "summary": "Create a product template: a photo, its print area, the print file it makes",
            "description": (
                "JSON naming an image of the project (base_document_id), or multipart with the photo as `base`. "
                "The template keeps its own copy of every image it names. A model given must edit inside an area."
            ),
            "request": {JSON: TEMPLATE_BODY, "multipart/form-data": TEMPLATE_FORM},
            "examples": [TEMPLATE_EXAMPLE],
            "responses": answers(201, "Template", "The template, version 1.", *WRITE),
        },
    ),
    described(
        "designs.api.templates.TemplateDetailApi",
        "products",
        get={
            "summary": "A template: its current version, or the one asked for",
            "parameters": [TEMPLATE_ID, query("version", {"type": "integer", "minimum": 1}, "This version.")],
            "responses": answers(200, "Template", "", *READ),
        },
        put={
            "summary": "Change a template: a new version (earlier ones, and their customizations, stay)",
            "description": "An archived template is a 400: create a new one.",
            "parameters": [TEMPLATE_ID],
            "request": {JSON: TEMPLATE_UPDATE_BODY, "multipart/form-data": TEMPLATE_UPDATE_FORM},
            "responses": answers(200, "Template", "The new version.", *WRITE),
        },
        delete={
            "summary": "Archive a template (twice is once)",
            "description": "It makes no new customizations (409); running and past ones, and reads, keep working.",
            "parameters": [TEMPLATE_ID],
            "responses": answers(200, "Template", "The template, archived.", *READ),
        },
    ),
    described(
        "designs.api.templates.TemplateVersionsApi",
        "products",
        get={
            "summary": "Every version of a template, oldest first",
            "parameters": [TEMPLATE_ID],
            "responses": {200: TEMPLATES, **errors(*READ)},
        },
    ),
    described(
        "designs.api.customizations.CustomizationDetailApi",
        "products",
        get={
            "summary": "A customization, with its variants, usage and cost",
            "parameters": [CUSTOMIZATION_ID],
            "responses": answers(200, "Customization", "", *READ),
        },
    ),
    described(
        "designs.api.customizations.CustomizationSelectApi",
        "products",
        post={
            "summary": "Select a made variant (the customer's choice)",
            "parameters": [CUSTOMIZATION_ID],
            "request": {JSON: SELECT_BODY},
            "responses": answers(200, "Customization", "The customization, with selected_document_id.", *WRITE),
        },
    ),
    described(
        "designs.api.customizations.CustomizationExportApi",
        "products",
        get={
            "summary": "A made variant's print file or mockup",
            "description": (
                "print: the print area at the template's output size and DPI, with its bleed and an sRGB profile, "
                "in its format; mockup: the product photo as made, as JPEG (longer side at most 1600 px)."
            ),
            "parameters": [
                CUSTOMIZATION_ID,
                OpenApiParameter(
                    "document_id",
                    type={"type": "string", "format": "uuid"},
                    location=OpenApiParameter.QUERY,
                    required=True,
                    description="A made variant of this customization (404 otherwise).",
                ),
                query("kind", {"type": "string", "enum": ["print", "mockup"], "default": "print"}, ""),
            ],
            "responses": {
                **{(200, mime): OpenApiResponse(response=BINARY) for mime in ("image/png", "image/jpeg", "image/tiff")},
                **errors(*READ),
                403: OpenApiResponse(response=ref("Error"), description=GATED),
                422: OpenApiResponse(response=ref("Error"), description=LOW_RESOLUTION),
            },
        },
    ),
]


class CustomizationsDoc(APIView):
    @extend_schema(
        operation_id="customizations_list",
        tags=["products"],
        summary="The project's customizations, newest first",
        parameters=[
            query("customer_ref", {"type": "string", "maxLength": 200}, "Only this customer's."),
            query("template_id", {"type": "string", "format": "uuid"}, "Only this template's (404 if unknown)."),
            query("status", CUSTOMIZATION_STATUS, "Only customizations in this status."),
            *PAGE,
        ],
        responses={200: {"type": "array", "items": ref("Customization")}, **errors(*READ)},
    )
    def get(self, request: Any) -> None: ...

    @extend_schema(
        operation_id="customization_start",
        tags=["products"],
        summary="Customize a product: n variants of a design inside the template's print area",
        description=(
            "Each variant is a confined edit of the photo: every pixel outside the print area, and every "
            "protected one, stays the template's. Without stream, waits for the variants (bounded; a run still "
            "going answers status running) and answers the customization; with stream=true, the run's events. "
            "An archived template, or a repeated Idempotency-Key whose first request still runs, is a 409."
        ),
        parameters=[IDEMPOTENCY],
        request={JSON: CUSTOMIZATION_BODY},
        examples=[
            OpenApiExample(
                "Four previews for a storefront",
                value={"template_id": "88888888-8888-4888-8888-888888888888", "prompt": "a red dragon", "n": 4},
                request_only=True,
            )
        ],
        responses={
            (201, JSON): OpenApiResponse(response=ref("Customization"), description="Started (and waited for)."),
            (200, JSON): OpenApiResponse(response=ref("Customization"), description="A replay (Idempotency-Key)."),
            (200, SSE): STREAMED,
            **errors(*WRITE, 409, 422),
        },
    )
    def post(self, request: Any) -> None: ...


class CustomizationEventsDoc(APIView):
    @extend_schema(
        operation_id="customization_events",
        tags=["products"],
        summary="Follow a customization's latest run as Server-Sent Events",
        description="Every event after Last-Event-ID (or ?after=), then live until the run ends.",
        parameters=[CUSTOMIZATION_ID, AFTER, LAST_EVENT_ID],
        responses={(200, SSE): OpenApiResponse(response=STRING, description="The run's events."), **errors(*READ)},
    )
    def get(self, request: Any, customization_id: str) -> None: ...


class CustomizationRefineDoc(APIView):
    @extend_schema(
        operation_id="customization_refine",
        tags=["products"],
        summary="Refine a made variant: n new variants that edit it inside the print area",
        description="With the first run's model. While a run of the customization is going, a 409.",
        parameters=[CUSTOMIZATION_ID],
        request={JSON: REFINE_BODY},
        responses={
            (200, JSON): OpenApiResponse(response=ref("Customization"), description="With the new variants."),
            (200, SSE): STREAMED,
            **errors(*WRITE, 409),
        },
    )
    def post(self, request: Any, customization_id: str) -> None: ...


# (path, stand-in): joined to schema.PLAIN_VIEWS by its preprocessing hook.
PRODUCT_PLAIN_VIEWS = [
    ("/api/customizations", CustomizationsDoc),
    ("/api/customizations/{customization_id}/events", CustomizationEventsDoc),
    ("/api/customizations/{customization_id}/refine", CustomizationRefineDoc),
]
