"""A project's webhook endpoints, and the outbox every event goes through.

`webhook_emit` is called inside the transaction that writes the fact (a run ending, an image
stored, a decision): the event and one pending delivery per subscribed endpoint commit or roll
back with it. After the commit the deliveries are queued; if the process dies first, the
poller (`deliveries_due`) finds them. Delivery itself (signing, the HTTP post, retries) is
`workers.webhooks`.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from designs.exceptions import Conflict, Forbidden, Invalid, NotFound
from designs.models import Project, WebhookDelivery, WebhookEndpoint, WebhookEvent
from designs.services.webhook_targets import check_url, resolve

EVENT_TYPES = (
    "run.completed",
    "run.failed",
    "image.generated",
    "variant.generated",
    "customization.completed",
    "customization.failed",
    "review.decided",
    "document.deleted",
)
PING = "webhook.ping"  # sent by POST …/ping to that endpoint only; nobody subscribes to it
MAX_DESCRIPTION = 500
MANAGERS = ("owner", "admin")


def require_manager(role: str | None) -> None:
    if role not in MANAGERS:
        raise Forbidden("Only owners and admins manage webhooks")


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# --- endpoints --------------------------------------------------------------------------------


def endpoint_create(project: Project, data: Any) -> WebhookEndpoint:
    fields = _fields(data, creating=True)
    with transaction.atomic():
        # Counted under the project's lock, so two creates cannot both take the 20th place.
        list(Project.objects.select_for_update(no_key=True).filter(id=project.id).values_list("id", flat=True))
        most = settings.EASEL_WEBHOOK_MAX_ENDPOINTS
        if WebhookEndpoint.objects.filter(project=project).count() >= most:
            raise Invalid(f"A project may have at most {most} webhook endpoints; delete one first")
        return WebhookEndpoint.objects.create(project=project, secret=new_secret(), **fields)


def endpoint_update(endpoint: WebhookEndpoint, data: Any) -> WebhookEndpoint:
    """PATCH: url, events, description, enabled (true re-enables a disabled endpoint)."""
    fields = _fields(data, creating=False)
    enabled = data.get("enabled") if isinstance(data, dict) else None
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise Invalid("enabled: true or false")
        fields["enabled"] = enabled
        if enabled:
            fields.update(disabled_reason="", disabled_at=None, failing_since=None)
        elif endpoint.enabled:
            fields.update(disabled_reason="Disabled by a project admin", disabled_at=timezone.now())
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.save()
    return endpoint


def endpoint_get(project: Project, raw: Any) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(project=project, id=_uuid(raw, "webhook")).first()
    if endpoint is None:
        raise NotFound("Webhook not found")
    return endpoint


def endpoints_of(project: Project) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(project=project).order_by("-created_at"))


def endpoint_delete(endpoint: WebhookEndpoint) -> None:
    """The endpoint and its delivery log; nothing more is sent to it."""
    endpoint.delete()


def endpoint_rotate(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret at once; attempts from now on are signed with it (the old one stops working)."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


def endpoint_disable(endpoint_id: Any, reason: str) -> None:
    """Stop sending: the endpoint is disabled with why, and its waiting deliveries fail."""
    now = timezone.now()
    with transaction.atomic():
        WebhookEndpoint.objects.filter(id=endpoint_id, enabled=True).update(
            enabled=False, disabled_reason=reason[:500], disabled_at=now
        )
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.FAILED, finished_at=now, last_error=f"Endpoint disabled: {reason}"[:500]
        )


def _fields(data: Any, *, creating: bool) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object")
    allowed = {"url", "events", "description"} | (set() if creating else {"enabled"})
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise Invalid(f"Unknown field(s): {', '.join(unknown)}")
    fields: dict[str, Any] = {}
    if creating or "url" in data:
        target = check_url(data.get("url"))
        resolve(target)
        fields["url"] = data["url"]
    if creating or "events" in data:
        fields["events"] = _events(data.get("events"))
    if "description" in data:
        description = data["description"]
        if description is None:
            description = ""
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            raise Invalid(f"description: text of at most {MAX_DESCRIPTION} characters")
        fields["description"] = description
    return fields


def _events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Invalid(f"events: a non-empty list of event names, from {', '.join(EVENT_TYPES)}")
    unknown = sorted({v for v in value if v not in EVENT_TYPES})
    if unknown:
        raise Invalid(f"events: unknown event(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}")
    return [name for name in EVENT_TYPES if name in value]  # catalogue order, no repeats


def _uuid(raw: Any, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except (ValueError, AttributeError) as exc:
        raise NotFound(f"{what.capitalize()} not found") from exc


# --- the outbox -------------------------------------------------------------------------------


def webhook_emit(project_id: Any, type: str, data: Callable[[], dict[str, Any]]) -> WebhookEvent | None:
    """Write `type` for every enabled endpoint of the project that subscribes to it, in the
    caller's transaction; they are queued after the commit. `data` builds the payload, and only
    when someone listens (it signs URLs and reads rows a run's hot path need not pay for).
    None when nobody listens."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {type}")
    listening = [
        endpoint_id
        for endpoint_id, names in WebhookEndpoint.objects.filter(project_id=project_id, enabled=True).values_list(
            "id", "events"
        )
        if type in (names or [])
    ]
    if not listening:
        return None
    return _event(project_id, type, data(), listening)


def endpoint_ping(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.ping` to this endpoint alone, delivered like any event (202: see deliveries)."""
    if not endpoint.enabled:
        raise Conflict("This webhook is disabled; enable it before sending it a ping")
    with transaction.atomic():
        event = _event(endpoint.project_id, PING, {"webhook_id": str(endpoint.id)}, [endpoint.id])
        return event.deliveries.get()


def redeliver(endpoint: WebhookEndpoint, delivery_id: Any) -> WebhookDelivery:
    """The same event (same webhook-id, same body) sent again to the endpoint, as a new delivery."""
    original = WebhookDelivery.objects.filter(endpoint=endpoint, id=_uuid(delivery_id, "delivery")).first()
    if original is None:
        raise NotFound("Delivery not found")
    if not endpoint.enabled:
        raise Conflict("This webhook is disabled; enable it before redelivering to it")
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            project_id=endpoint.project_id,
            endpoint=endpoint,
            event_id=original.event_id,
            next_attempt_at=timezone.now(),
        )
        transaction.on_commit(lambda: _queue([delivery.id]))
    return delivery


def deliveries_of(endpoint: WebhookEndpoint, *, skip: int, limit: int, status: str | None = None) -> list[Any]:
    rows = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-created_at")
    if status:
        if status not in WebhookDelivery.Status.values:
            raise Invalid(f"status: one of {', '.join(WebhookDelivery.Status.values)}")
        rows = rows.filter(status=status)
    return list(rows.prefetch_related("attempt_log")[skip : skip + limit])


def deliveries_due(now: datetime | None = None, limit: int = 500) -> list[str]:
    """The poller's list: pending deliveries overdue by EASEL_WEBHOOK_POLL_GRACE that no live
    attempt holds. A delivery is queued when it is written and each retry when it is scheduled,
    so the poller only catches what a dead process dropped (and retries too far off for a
    countdown). Each one it hands out is due again only a grace later: a delivery waiting its
    turn is never queued twice a second."""
    now = now or timezone.now()
    overdue = now - timedelta(seconds=settings.EASEL_WEBHOOK_POLL_GRACE)
    ids = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=overdue)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    WebhookDelivery.objects.filter(id__in=ids, status=WebhookDelivery.Status.PENDING).update(next_attempt_at=now)
    return [str(i) for i in ids]


def _event(project_id: Any, type: str, data: dict[str, Any], endpoint_ids: list[Any]) -> WebhookEvent:
    event_id = uuid.uuid4()
    now = timezone.now()
    body = {
        "id": f"msg_{event_id.hex}",
        "type": type,
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "project_id": str(project_id),
        "data": data,
    }
    event = WebhookEvent.objects.create(
        id=event_id, project_id=project_id, type=type, body=json.dumps(body, cls=DjangoJSONEncoder)
    )
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(project_id=project_id, endpoint_id=endpoint_id, event=event, next_attempt_at=now)
        for endpoint_id in endpoint_ids
    )
    ids = [d.id for d in deliveries]
    transaction.on_commit(lambda: _queue(ids))
    return event


def _queue(ids: list[Any]) -> None:
    from workers.dispatch import enqueue_delivery

    for delivery_id in ids:
        enqueue_delivery(str(delivery_id))
