"""Webhooks' and image budgets' JSON shapes as OpenAPI components (designs.webhook_payloads,
designs.services.budgets `limits_payload` and `billing_of`, a spent budget's 429) and the bodies
their routes read (designs.services.webhooks, budgets), as in `schema_components`.
`schema_webhooks_drf` describes the routes, `schema_webhook_events` the events an endpoint is
sent; `schema.finish` adds the components and the budget 429s (`budget_refusals`)."""

from __future__ import annotations

from typing import Any

from designs.api.schema_components import (
    BOOL,
    COUNT,
    EXAMPLE_UUID,
    INT,
    NUMBER,
    STRING,
    TEXT,
    UUID,
    WHEN,
    Schema,
    array,
    nullable,
    obj,
    ref,
)
from designs.services.budgets import MAX_COST_PER_MONTH, MAX_IMAGES_PER_DAY
from designs.services.webhook_targets import MAX_URL
from designs.services.webhooks import EVENT_TYPES, MAX_DESCRIPTION, PING

EVENT_NAME = {"type": "string", "enum": list(EVENT_TYPES)}
EVENT_ID = {
    "type": "string",
    "pattern": "^msg_[0-9a-f]{32}$",
    "description": "The event's id, sent as the `webhook-id` header: the same on every attempt and redelivery.",
    "examples": ["msg_0f8e3c1a2b4d4e6f8a9b0c1d2e3f4a5b"],
}
DELIVERY_STATUS = {
    "type": "string",
    "enum": ["pending", "succeeded", "failed"],
    "description": "pending: due at next_attempt_at (the first attempt, or a retry); failed: retries spent, "
    "a 410 Gone, or the endpoint was disabled.",
}
EXAMPLE_WEBHOOK = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
EXAMPLE_PROJECT = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
EXAMPLE_WHEN = "2026-06-01T12:00:03.512000Z"
SECRET = {
    "type": "string",
    "pattern": "^whsec_",
    "description": "The Standard Webhooks signing secret; shown only when the endpoint is made and rotated.",
}

# --- answers ------------------------------------------------------------------------------------

_WEBHOOK: dict[str, Schema] = {
    "webhook_id": UUID,
    "url": {**STRING, "description": "Where the events are posted."},
    "events": {**array(EVENT_NAME), "description": "The events it subscribes to, in the catalogue's order."},
    "description": STRING,
    "enabled": BOOL,
    "disabled_reason": {**TEXT, "description": "Why Easel or an admin stopped sending (a day of failures, a 410)."},
    "disabled_at": nullable(WHEN),
    "failing_since": {**nullable(WHEN), "description": "Since when every attempt failed; a day of it disables."},
    "created_at": WHEN,
    "updated_at": WHEN,
}
_WEBHOOK_EXAMPLE = {
    "webhook_id": EXAMPLE_WEBHOOK,
    "url": "https://example.com/easel/webhooks",
    "events": ["run.completed", "image.generated"],
    "description": "Orders service",
    "enabled": True,
    "disabled_reason": None,
    "disabled_at": None,
    "failing_since": None,
    "created_at": EXAMPLE_WHEN,
    "updated_at": EXAMPLE_WHEN,
}
SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DELIVERY_EXAMPLE = {
    "delivery_id": "cccccccc-cccc-4ccc-8ccc-cccccccccccc",
    "webhook_id": EXAMPLE_WEBHOOK,
    "event_id": "msg_0f8e3c1a2b4d4e6f8a9b0c1d2e3f4a5b",
    "event_type": "run.completed",
    "status": "succeeded",
    "attempts": 1,
    "last_status_code": 204,
    "last_error": None,
    "next_attempt_at": None,
    "created_at": EXAMPLE_WHEN,
    "finished_at": "2026-06-01T12:00:03.780000Z",
    "attempt_log": [
        {
            "number": 1,
            "started_at": EXAMPLE_WHEN,
            "duration_ms": 268,
            "status_code": 204,
            "response_body": "",
            "error": None,
        }
    ],
}
LIMITS_EXAMPLE = {
    "project_id": EXAMPLE_PROJECT,
    "images_per_day": 500,
    "cost_per_month_usd": 250.0,
    "used": {
        "images_today": 42,
        "cost_this_month_usd": 61.24,
        "day_resets_at": "2026-06-02T00:00:00Z",
        "month_resets_at": "2026-07-01T00:00:00Z",
    },
    "api_keys": [
        {"key_id": EXAMPLE_UUID, "name": "storefront", "prefix": "esk_3f9a", "images_per_day": 100, "images_today": 12}
    ],
}
IMAGES_LIMIT = {**nullable(COUNT), "description": "At most this many images a UTC day; null: no limit."}

WEBHOOK_COMPONENTS: dict[str, Schema] = {
    "Webhook": obj(
        _WEBHOOK,
        description="A webhook endpoint of the project (its secret is not shown).",
        examples=[_WEBHOOK_EXAMPLE],
    ),
    "WebhookWithSecret": obj(
        {**_WEBHOOK, "secret": SECRET},
        description="The endpoint just made, or its secret just rotated: the only answers that show the secret.",
        examples=[{**_WEBHOOK_EXAMPLE, "secret": SECRET_EXAMPLE}],
    ),
    "WebhookList": obj({"webhooks": array(ref("Webhook")), "total": COUNT}),
    "WebhookDeleted": obj(
        {"message": STRING, "webhook_id": UUID},
        examples=[{"message": "Webhook deleted", "webhook_id": EXAMPLE_WEBHOOK}],
    ),
    "WebhookAttempt": obj(
        {
            "number": {"type": "integer", "minimum": 1},
            "started_at": WHEN,
            "duration_ms": COUNT,
            "status_code": {**nullable(INT), "description": "The receiver's status; null when none came."},
            "response_body": {**STRING, "description": "The first 1 KB of the receiver's answer, as text."},
            "error": {**TEXT, "description": "Why no answer came (refused address, timeout, connection)."},
        },
        description="One attempt of a delivery.",
    ),
    "WebhookDelivery": obj(
        {
            "delivery_id": UUID,
            "webhook_id": UUID,
            "event_id": EVENT_ID,
            "event_type": {"type": "string", "enum": [*EVENT_TYPES, PING]},
            "status": DELIVERY_STATUS,
            "attempts": COUNT,
            "last_status_code": nullable(INT),
            "last_error": TEXT,
            "next_attempt_at": {**nullable(WHEN), "description": "While pending: when the next attempt is due."},
            "created_at": WHEN,
            "finished_at": nullable(WHEN),
            "attempt_log": array(ref("WebhookAttempt")),
        },
        description="One event sent to one endpoint: its attempts and where it stands. A redelivery is a new one.",
        examples=[DELIVERY_EXAMPLE],
    ),
    "WebhookDeliveryList": obj(
        {"deliveries": array(ref("WebhookDelivery")), "skip": COUNT, "limit": {"type": "integer", "minimum": 1}},
        description="Newest first.",
    ),
    "Limits": obj(
        {
            "project_id": UUID,
            "images_per_day": IMAGES_LIMIT,
            "cost_per_month_usd": {**nullable(NUMBER), "description": "Image spend a UTC month; null: no limit."},
            "used": obj(
                {
                    "images_today": COUNT,
                    "cost_this_month_usd": NUMBER,
                    "day_resets_at": WHEN,
                    "month_resets_at": WHEN,
                },
                description="What the windows hold now: held reservations at their estimate, settled ones at "
                "what they charged.",
            ),
            "api_keys": array(
                obj(
                    {
                        "key_id": UUID,
                        "name": STRING,
                        "prefix": STRING,
                        "images_per_day": IMAGES_LIMIT,
                        "images_today": COUNT,
                    }
                )
            ),
        },
        description="The project's image budgets, each live API key's quota, and what each window holds now.",
        examples=[LIMITS_EXAMPLE],
    ),
    "BudgetSpent": {
        "allOf": [ref("Error")],
        "type": "object",
        "properties": {
            "limit": {**NUMBER, "description": "The limit that is reached (images, or US dollars)."},
            "used": {**NUMBER, "description": "What its window holds."},
            "resets_at": {**WHEN, "description": "When the window starts again (Retry-After counts to it)."},
        },
        "description": 'A 429: over a rate or run limit ({"detail"}), or an image budget or quota is spent '
        "(with limit, used and resets_at).",
        "examples": [
            {
                "detail": "The project's image budget for today is spent: 500 of 500 images used; it resets at "
                "midnight UTC",
                "limit": 500,
                "used": 500,
                "resets_at": "2026-06-02T00:00:00Z",
            }
        ],
    },
    "Billing": obj(
        {
            "estimated_usd": {**NUMBER, "description": "What the run's images were estimated at when held."},
            "charged_usd": {**NUMBER, "description": "What they cost at the catalog's price, for what was made."},
            "reconciliation_required": {
                **BOOL,
                "description": "True where the provider's invoice is the truth (every provider but the local ones).",
            },
        },
        description="What a run's images were estimated at and charged against the project's budget.",
        examples=[{"estimated_usd": 0.08, "charged_usd": 0.04, "reconciliation_required": True}],
    ),
}

# --- bodies -------------------------------------------------------------------------------------

URL_BODY = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_URL,
    "description": "An http(s) URL without credentials; its host must resolve to public addresses only.",
}
EVENTS_BODY = {**array(EVENT_NAME), "minItems": 1, "description": "At least one event of the catalogue."}
DESCRIPTION_BODY = {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION}
WEBHOOK_BODY = {
    "type": "object",
    "properties": {"url": URL_BODY, "events": EVENTS_BODY, "description": DESCRIPTION_BODY},
    "required": ["url", "events"],
    "additionalProperties": False,
}
WEBHOOK_UPDATE_BODY = {
    "type": "object",
    "properties": {
        **WEBHOOK_BODY["properties"],
        "enabled": {
            "type": ["boolean", "null"],
            "description": "false stops sending (waiting deliveries still fail when due); true re-enables.",
        },
    },
    "additionalProperties": False,
    "description": "The fields to change.",
}
IMAGES_BODY = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_IMAGES_PER_DAY}
LIMITS_BODY = {
    "type": "object",
    "properties": {
        "images_per_day": {**IMAGES_BODY, "description": "The project's images a UTC day; null removes it."},
        "cost_per_month_usd": {
            "type": ["number", "string", "null"],
            "minimum": 0,
            "maximum": int(MAX_COST_PER_MONTH),
            "description": "The project's image spend a UTC month, in US dollars (to the cent); null removes it.",
        },
        "api_keys": {
            "type": ["object", "null"],
            "maxProperties": 1000,
            "propertyNames": {"format": "uuid"},
            "additionalProperties": {
                "type": "object",
                "properties": {"images_per_day": IMAGES_BODY},
                "additionalProperties": False,
            },
            "description": 'Per API key of the project: {"<key_id>": {"images_per_day": N or null}}.',
        },
    },
    "additionalProperties": False,
    "description": "The limits to change; the others stay. Checked whole before anything is written.",
    "examples": [
        {"images_per_day": 500, "cost_per_month_usd": 250, "api_keys": {EXAMPLE_UUID: {"images_per_day": 100}}}
    ],
}

# The operations that hold images against the budgets before any provider call.
BUDGETED = ("thread_messages_create", "thread_messages_create_in_thread", "customization_start", "customization_refine")


def budget_refusals(paths: dict[str, Any]) -> None:
    """The 429 of an operation that holds images: a spent budget's body (`schema.finish`)."""
    for operations in paths.values():
        for operation in operations.values():
            refusal = operation.get("responses", {}).get("429") if operation.get("operationId") in BUDGETED else None
            if refusal is not None:
                refusal["description"] = (
                    "Over a rate or run limit, or the project's image budget (images a day, spend a month) or the "
                    "API key's quota is spent: limit, used and resets_at say which and until when."
                )
                refusal["content"]["application/json"]["schema"] = ref("BudgetSpent")
