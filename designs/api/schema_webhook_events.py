"""The events Easel posts to a webhook endpoint (designs.webhook_payloads, and the `data` each
producer gives `webhook_emit`: services/runs.py, review.py, documents.py, customizations.py,
workers/customize.py, image_tool.py), as OpenAPI components, and the document's `webhooks`
(OpenAPI 3.1: one POST per event type, as a receiver gets it). `schema.finish` adds both;
tests/openapi checks every event type has its schema here."""

from __future__ import annotations

from typing import Any

from designs.api.schema_components import (
    COUNT,
    EXAMPLE_UUID,
    OPERATION,
    REVIEW_STATUS,
    TEXT,
    UUID,
    WHEN,
    Schema,
    array,
    nullable,
    obj,
    ref,
)
from designs.api.schema_events import MEDIA_EXAMPLE
from designs.api.schema_products import CUSTOMIZATION
from designs.api.schema_webhooks import EVENT_ID, EXAMPLE_PROJECT, EXAMPLE_WEBHOOK, EXAMPLE_WHEN
from designs.services.webhooks import PING

# --- the events' data --------------------------------------------------------------

RUN_DATA = obj(
    {
        "run_id": UUID,
        "thread_id": UUID,
        "assistant_id": UUID,
        "message_id": {**UUID, "description": "The assistant's message the run ended with."},
        "operation": {"type": "string", "enum": ["chat", "generate_image", "customize"]},
        "status": {"type": "string", "enum": ["completed", "failed"]},
        "error": TEXT,
        "error_kind": TEXT,
        "model_provider": TEXT,
        "model_name": TEXT,
        "image_model_provider": TEXT,
        "image_model_name": TEXT,
        "input_tokens": COUNT,
        "output_tokens": COUNT,
        "images_generated": COUNT,
        "document_ids": {**array(UUID), "description": "The images the run made, oldest first."},
        "billing": ref("Billing"),
        "created_at": WHEN,
    },
    description="A run that ended: the run_ended and run_failed events' facts.",
)
_RUN_EXAMPLE = {
    "run_id": "55555555-5555-4555-8555-555555555555",
    "thread_id": EXAMPLE_UUID,
    "assistant_id": "22222222-2222-4222-8222-222222222222",
    "message_id": "44444444-4444-4444-8444-444444444444",
    "operation": "generate_image",
    "status": "completed",
    "error": None,
    "error_kind": None,
    "model_provider": "openai",
    "model_name": "gpt-image-1",
    "image_model_provider": "openai",
    "image_model_name": "gpt-image-1",
    "input_tokens": 0,
    "output_tokens": 0,
    "images_generated": 1,
    "document_ids": ["33333333-3333-4333-8333-333333333333"],
    "billing": {"estimated_usd": 0.04, "charged_usd": 0.04, "reconciliation_required": True},
    "created_at": EXAMPLE_WHEN,
}
DECISION_EXAMPLE = {
    "decision_id": "dddddddd-dddd-4ddd-8ddd-dddddddddddd",
    "decision": "approved",
    "reason": "",
    "reason_code": "approved",
    "actor": "rita@example.com",
    "via": "ui",
    "created_at": EXAMPLE_WHEN,
}
_IMAGE = {"run_id": "55555555-5555-4555-8555-555555555555", "thread_id": EXAMPLE_UUID}
_CUSTOMIZATION_EXAMPLE = CUSTOMIZATION["examples"][0]

# type -> (when it is sent, its data's schema, an example of its data)
CATALOGUE: dict[str, tuple[str, Schema, dict[str, Any]]] = {
    "run.completed": ("A run completed (its answer and images are stored).", ref("WebhookRunData"), _RUN_EXAMPLE),
    "run.failed": (
        "A run failed; `error` says why.",
        ref("WebhookRunData"),
        {**_RUN_EXAMPLE, "status": "failed", "error": "The image model refused the prompt", "error_kind": "provider"},
    ),
    "image.generated": (
        "An image was made and stored (by a turn's generate_image): its media object, and where.",
        {"allOf": [ref("Media"), obj({"run_id": UUID, "thread_id": UUID})]},
        {**MEDIA_EXAMPLE, **_IMAGE},
    ),
    "variant.generated": (
        "A customization's variant was made and stored.",
        ref("Variant"),
        _CUSTOMIZATION_EXAMPLE["variants"][0],
    ),
    "customization.completed": (
        "A customization's run ended with some or all variants made (its status completed or partial).",
        ref("Customization"),
        _CUSTOMIZATION_EXAMPLE,
    ),
    "customization.failed": (
        "A customization's run ended with no variant made; each variant's failure_reason says why.",
        ref("Customization"),
        {**_CUSTOMIZATION_EXAMPLE, "status": "failed"},
    ),
    "review.decided": (
        "A reviewer decided on an image; `review_status` is where it stands after the decision.",
        obj(
            {
                "document_id": UUID,
                "thread_id": nullable(UUID),
                "review_status": REVIEW_STATUS,
                "previous_status": REVIEW_STATUS,
                "approvals": COUNT,
                "decision": ref("Decision"),
            }
        ),
        {
            "document_id": "33333333-3333-4333-8333-333333333333",
            "thread_id": EXAMPLE_UUID,
            "review_status": "approved",
            "previous_status": "pending",
            "approvals": 1,
            "decision": DECISION_EXAMPLE,
        },
    ),
    "document.deleted": (
        "A document was deleted (its URLs stopped working).",
        obj({"document_id": UUID, "thread_id": nullable(UUID), "operation": OPERATION, "created_at": WHEN}),
        {
            "document_id": "33333333-3333-4333-8333-333333333333",
            "thread_id": EXAMPLE_UUID,
            "operation": "generate",
            "created_at": "2026-06-01T12:00:03.512Z",
        },
    ),
    PING: (
        "Sent by POST /api/webhooks/{webhook_id}/ping to that endpoint alone; nobody subscribes to it.",
        obj({"webhook_id": UUID}),
        {"webhook_id": EXAMPLE_WEBHOOK},
    ),
}


def event_component_name(kind: str) -> str:
    return "WebhookEvent" + "".join(part.capitalize() for part in kind.replace(".", "_").split("_"))


def _event_schema(kind: str) -> Schema:
    meaning, data, example = CATALOGUE[kind]
    return {
        "type": "object",
        "title": kind,
        "description": meaning,
        "properties": {
            "id": EVENT_ID,
            "type": {"type": "string", "const": kind},
            "created_at": WHEN,
            "project_id": UUID,
            "data": data,
        },
        "required": ["id", "type", "created_at", "project_id", "data"],
        "examples": [
            {
                "id": "msg_0f8e3c1a2b4d4e6f8a9b0c1d2e3f4a5b",
                "type": kind,
                "created_at": EXAMPLE_WHEN,
                "project_id": EXAMPLE_PROJECT,
                "data": example,
            }
        ],
    }


WEBHOOK_EVENT_COMPONENTS: dict[str, Schema] = {
    "WebhookRunData": RUN_DATA,
    **{event_component_name(kind): _event_schema(kind) for kind in CATALOGUE},
}
WEBHOOK_EVENT_COMPONENTS["WebhookEvent"] = {
    "description": "The JSON body of every webhook post: the event's id (also the `webhook-id` header), its "
    "type, when it happened, the project, and its `data` in the API's own shapes.",
    "oneOf": [ref(event_component_name(kind)) for kind in CATALOGUE],
    "discriminator": {
        "propertyName": "type",
        "mapping": {kind: f"#/components/schemas/{event_component_name(kind)}" for kind in CATALOGUE},
    },
}

# --- OpenAPI 3.1 `webhooks`: what Easel posts to an endpoint --------------------------------------

SIGNATURE_HEADERS = [
    {
        "name": name,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }
    for name, description in (
        ("webhook-id", "The event's id (`msg_…`): the same on every attempt and redelivery; dedupe on it."),
        ("webhook-timestamp", "Unix seconds of this attempt; refuse ones far from now (replays)."),
        (
            "webhook-signature",
            "`v1,<base64 HMAC-SHA256>` of `id.timestamp.body` with the endpoint's secret (Standard Webhooks; "
            "its libraries verify it).",
        ),
    )
]
RECEIVER_ANSWERS = {
    "2XX": {"description": "Received: the delivery succeeded."},
    "410": {"description": "Gone: Easel disables the endpoint and sends it nothing more."},
    "default": {
        "description": "Any other answer, a redirect, or none within the timeout: retried with backoff (5 s to "
        "12 h); an endpoint failing for a day is disabled."
    },
}


def webhook_operations() -> dict[str, Schema]:
    """The document's `webhooks`: one POST per event type, as a receiver gets it."""
    return {
        kind: {
            "post": {
                "operationId": "webhook_" + kind.replace(".", "_"),
                "tags": ["webhooks"],
                "summary": kind,
                "description": meaning + " Posted as JSON, signed; at least once (dedupe on webhook-id).",
                "parameters": SIGNATURE_HEADERS,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref(event_component_name(kind))}},
                },
                "responses": RECEIVER_ANSWERS,
            }
        }
        for kind, (meaning, _data, _example) in CATALOGUE.items()
    }
