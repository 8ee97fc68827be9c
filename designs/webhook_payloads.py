"""The `data` of each webhook event, in the API's own shapes, and the webhook resources' JSON.

Media URLs in an event are signed when it is written; a delivery retried past their expiry
still names the `document_id`, which `GET /api/documents/{id}/content` serves with the key.
"""

from __future__ import annotations

from typing import Any

from designs.models import Document, Message, Run, WebhookDelivery, WebhookEndpoint
from designs.payloads import iso, media_payload


def run_data(
    run: Run, *, status: str, message: Message, error: str, kind: str, images: int, billing: dict[str, Any]
) -> dict[str, Any]:
    """run.completed / run.failed: the run_ended / run_failed events' facts (the model that
    answered is the message's, as `services.runs.reply_model` chose it)."""
    return {
        "run_id": str(run.id),
        "thread_id": str(run.thread_id),
        "assistant_id": str(run.assistant_id),
        "message_id": str(message.id),
        "operation": run.operation,
        "status": status,
        "error": error or None,
        "error_kind": kind or None,
        "model_provider": message.model_provider,
        "model_name": message.model_name,
        "image_model_provider": run.image_provider or None,
        "image_model_name": run.image_model or None,
        "input_tokens": run.input_tokens,
        "output_tokens": run.output_tokens,
        "images_generated": images,
        "document_ids": [
            str(i) for i in Document.objects.filter(run=run).order_by("created_at").values_list("id", flat=True)
        ],
        "billing": billing,
        "created_at": iso(run.created_at),
    }


def image_data(document: Document, run: Run) -> dict[str, Any]:
    """image.generated: the media object of media_generated, and where it was made."""
    return {
        **media_payload(document, run.public_base_url),
        "run_id": str(run.id),
        "thread_id": str(run.thread_id),
    }


def endpoint_payload(endpoint: WebhookEndpoint, *, secret: bool = False) -> dict[str, Any]:
    """An endpoint; its secret only when just made or rotated (shown once)."""
    return {
        "webhook_id": str(endpoint.id),
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason or None,
        "disabled_at": iso(endpoint.disabled_at),
        "failing_since": iso(endpoint.failing_since),
        "created_at": iso(endpoint.created_at),
        "updated_at": iso(endpoint.updated_at),
        **({"secret": endpoint.secret} if secret else {}),
    }


def delivery_payload(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "delivery_id": str(delivery.id),
        "webhook_id": str(delivery.endpoint_id),
        "event_id": delivery.event.message_id,
        "event_type": delivery.event.type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error or None,
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status == WebhookDelivery.Status.PENDING else None,
        "created_at": iso(delivery.created_at),
        "finished_at": iso(delivery.finished_at),
        "attempt_log": [
            {
                "number": attempt.number,
                "started_at": iso(attempt.started_at),
                "duration_ms": attempt.duration_ms,
                "status_code": attempt.status_code,
                "response_body": attempt.response_body,
                "error": attempt.error or None,
            }
            for attempt in delivery.attempt_log.all()
        ],
    }
