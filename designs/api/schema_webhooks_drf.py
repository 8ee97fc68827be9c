"""The descriptions of the webhook routes (designs/api/webhooks.py) and of the limits route
(designs/api/limits.py), as in `schema_drf`. The shapes and bodies are `schema_webhooks`, the
events a receiver is sent `schema_webhook_events`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from designs.api.schema import PAGE, READ, WRITE, answers, path_id, query
from designs.api.schema_components import ref
from designs.api.schema_drf import described
from designs.api.schema_webhooks import DELIVERY_STATUS, LIMITS_BODY, WEBHOOK_BODY, WEBHOOK_UPDATE_BODY

JSON = "application/json"
WEBHOOK_ID = path_id("webhook_id", "A webhook endpoint of the project (another project's is not found).")
DELIVERY_ID = path_id("delivery_id", "A delivery to this endpoint.")
MANAGERS_ONLY = OpenApiResponse(
    response=ref("Error"),
    description="Owners and admins only (by their role, or the key's): members, reviewers and their keys get 403.",
)
DISABLED = OpenApiResponse(
    response=ref("Error"), description="The endpoint is disabled: enable it first (PATCH enabled: true)."
)
WEBHOOKS_DOC = (
    "Each event is posted as JSON to the endpoint's URL, signed the Standard Webhooks way (webhook-id, "
    "webhook-timestamp, webhook-signature), at least once: failed attempts are retried with backoff, and an "
    "endpoint failing for a day is disabled. The bodies are the WebhookEvent schemas (and this document's "
    "`webhooks`). Owners and admins only."
)


def managed(
    status: int, component: str, description: str, *codes: int, conflict: OpenApiResponse | None = None
) -> dict[Any, OpenApiResponse]:
    """`schema.answers` of a route for owners and admins, and its 409 if it has one."""
    return {
        **answers(status, component, description, *codes),
        403: MANAGERS_ONLY,
        **({409: conflict} if conflict else {}),
    }


WEBHOOK_EXAMPLE = OpenApiExample(
    "Runs and images to an orders service",
    value={
        "url": "https://example.com/easel/webhooks",
        "events": ["run.completed", "run.failed", "image.generated"],
        "description": "Orders service",
    },
    request_only=True,
)

EXTENSIONS: list[Any] = [
    described(
        "designs.api.webhooks.WebhookListApi",
        "webhooks",
        get={
            "summary": "The project's webhook endpoints, newest first",
            "description": WEBHOOKS_DOC,
            "responses": managed(200, "WebhookList", "", *READ),
        },
        post={
            "summary": "Add a webhook endpoint: its URL and the events it receives",
            "description": (
                "Answers the endpoint with its signing secret, shown this once (rotate-secret makes a new one). "
                "The URL's host must resolve to public addresses (private, loopback and metadata addresses are "
                "refused, and checked again at every delivery). At most 20 endpoints a project by default "
                "(EASEL_WEBHOOK_MAX_ENDPOINTS)."
            ),
            "request": {JSON: WEBHOOK_BODY},
            "examples": [WEBHOOK_EXAMPLE],
            "responses": managed(201, "WebhookWithSecret", "The endpoint, with its secret.", *WRITE),
        },
    ),
    described(
        "designs.api.webhooks.WebhookDetailApi",
        "webhooks",
        get={
            "summary": "A webhook endpoint",
            "parameters": [WEBHOOK_ID],
            "responses": managed(200, "Webhook", "", *READ),
        },
        patch={
            "summary": "Change a webhook endpoint (the fields sent); enabled: true re-enables a disabled one",
            "parameters": [WEBHOOK_ID],
            "request": {JSON: WEBHOOK_UPDATE_BODY},
            "responses": managed(200, "Webhook", "The endpoint as changed.", *WRITE),
        },
        delete={
            "summary": "Delete a webhook endpoint and its delivery log",
            "parameters": [WEBHOOK_ID],
            "responses": managed(200, "WebhookDeleted", "Deleted.", *READ),
        },
    ),
    described(
        "designs.api.webhooks.WebhookRotateApi",
        "webhooks",
        post={
            "summary": "Rotate a webhook endpoint's signing secret",
            "description": "The new secret signs every attempt from now on; the old one stops at once.",
            "parameters": [WEBHOOK_ID],
            "request": None,
            "responses": managed(200, "WebhookWithSecret", "The endpoint, with its new secret.", *WRITE),
        },
    ),
    described(
        "designs.api.webhooks.WebhookPingApi",
        "webhooks",
        post={
            "summary": "Send a webhook.ping to this endpoint",
            "description": "Delivered like any event; follow it in the endpoint's deliveries.",
            "parameters": [WEBHOOK_ID],
            "request": None,
            "responses": managed(202, "WebhookDelivery", "Queued.", *WRITE, conflict=DISABLED),
        },
    ),
    described(
        "designs.api.webhooks.WebhookDeliveriesApi",
        "webhooks",
        get={
            "summary": "An endpoint's deliveries, newest first, with each attempt",
            "parameters": [WEBHOOK_ID, query("status", DELIVERY_STATUS, "Only deliveries in this status."), *PAGE],
            "responses": managed(200, "WebhookDeliveryList", "", *READ),
        },
    ),
    described(
        "designs.api.webhooks.WebhookRedeliverApi",
        "webhooks",
        post={
            "summary": "Send a delivery's event again (a new delivery, the same webhook-id and body)",
            "parameters": [WEBHOOK_ID, DELIVERY_ID],
            "request": None,
            "responses": managed(202, "WebhookDelivery", "The new delivery, queued.", *WRITE, conflict=DISABLED),
        },
    ),
    described(
        "designs.api.limits.LimitsApi",
        "limits",
        get={
            "summary": "The project's image budgets and API key quotas, and what each window holds now",
            "description": (
                "Days and months are UTC. A turn or customization that would pass a limit is refused with 429 "
                "before any provider call (BudgetSpent: limit, used, resets_at, and Retry-After)."
            ),
            "responses": answers(200, "Limits", "", *READ),
        },
        put={
            "summary": "Change the image budgets and API key quotas (the fields sent; null removes a limit)",
            "description": "Owners and admins (and admin keys).",
            "request": {JSON: LIMITS_BODY},
            "responses": managed(200, "Limits", "The limits as changed.", *WRITE),
        },
    ),
]
