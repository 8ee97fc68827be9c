"""Delivering one webhook: claim it, sign it, post it, log the attempt, and decide what next.

At least once: an attempt leases its delivery (`leased_until`) and a worker that dies mid-post
lets the lease run out, so the poller sends it again. Receivers dedupe on `webhook-id`, the same
on every attempt. The post connects to the address `webhook_targets.resolve` checked (no second
resolution a rebinding DNS could answer differently), follows no redirect, and gives up after
EASEL_WEBHOOK_TIMEOUT seconds in all; a slow or broken receiver costs a delivery worker, never a
run or an API request.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta
from typing import Any

import httpx2
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks import Webhook

from designs.db import release_connection
from designs.exceptions import Invalid
from designs.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from designs.services.webhook_targets import check_url, resolve
from designs.services.webhooks import endpoint_disable

logger = logging.getLogger(__name__)

RESPONSE_KEPT = 1024
USER_AGENT = "Easel-Webhooks/1"


class Outcome:
    def __init__(self, status_code: int | None = None, body: str = "", error: str = "") -> None:
        self.status_code, self.body, self.error = status_code, body, error
        self.duration_ms = 0

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def deliver(delivery_id: str) -> str | None:
    """Make one attempt of the delivery if it is due and free; its status after, or None."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    release_connection()  # a post may take the whole timeout: hold no pooled connection meanwhile
    started = timezone.now()
    clock = time.monotonic()
    outcome = post(endpoint, delivery.event.message_id, delivery.event.body)
    outcome.duration_ms = int((time.monotonic() - clock) * 1000)
    return _record(delivery, endpoint, started, outcome)


def post(endpoint: WebhookEndpoint, message_id: str, body: str) -> Outcome:
    """Sign and post `body` to the endpoint: the response's status and first 1 KB, or why not."""
    try:
        target = check_url(endpoint.url)
        address = resolve(target)
    except Invalid as exc:  # the URL or the address it resolves to now is refused
        return Outcome(error=exc.detail)
    timestamp = timezone.now()
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(message_id, timestamp, body),
        "host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
    }
    host = f"[{address}]" if address.version == 6 else str(address)
    url = httpx2.URL(endpoint.url).copy_with(host=host.strip("[]"))
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    limit = settings.EASEL_WEBHOOK_TIMEOUT
    deadline = time.monotonic() + limit
    try:
        with (
            httpx2.Client(timeout=httpx2.Timeout(limit), follow_redirects=False, trust_env=False) as client,
            client.stream("POST", url, content=body.encode(), headers=headers, extensions=extensions) as response,
        ):
            kept = b""
            for chunk in response.iter_raw():
                kept += chunk
                if len(kept) >= RESPONSE_KEPT or time.monotonic() > deadline:
                    break
            return Outcome(response.status_code, kept[:RESPONSE_KEPT].decode("utf-8", "replace"))
    except httpx2.TimeoutException:
        return Outcome(error=f"No answer within {limit:g} s")
    except httpx2.HTTPError as exc:
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__)


def backoff(attempt: int) -> float | None:
    """Seconds before the retry after failed attempt number `attempt` (1-based), +-20 %; None: no more."""
    schedule = settings.EASEL_WEBHOOK_RETRY_SCHEDULE
    if attempt > len(schedule):
        return None
    return schedule[attempt - 1] * random.uniform(0.8, 1.2)


def _claim(delivery_id: str) -> WebhookDelivery | None:
    """Compare-and-set: a due, unleased pending delivery becomes this attempt's for a while."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.EASEL_WEBHOOK_LEASE_SECONDS)
    claimed = (
        WebhookDelivery.objects.filter(id=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=lease)
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").filter(id=delivery_id).first()
    if delivery is None:  # its endpoint was deleted since the claim
        return None
    if not delivery.endpoint.enabled:
        WebhookDelivery.objects.filter(id=delivery_id).update(
            status=WebhookDelivery.Status.FAILED, finished_at=now, last_error="Endpoint disabled", leased_until=None
        )
        return None
    return delivery


def _record(delivery: WebhookDelivery, endpoint: WebhookEndpoint, started: Any, outcome: Outcome) -> str:
    number = delivery.attempts + 1
    now = timezone.now()
    fields: dict[str, Any] = {
        "attempts": number,
        "leased_until": None,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:500],
    }
    disable = ""
    if outcome.ok:
        fields.update(status=WebhookDelivery.Status.SUCCEEDED, finished_at=now)
    elif outcome.status_code == 410:
        fields.update(status=WebhookDelivery.Status.FAILED, finished_at=now)
        disable = "The receiver answered 410 Gone: it asked for no more deliveries"
    else:
        wait = backoff(number)
        if wait is None:
            fields.update(status=WebhookDelivery.Status.FAILED, finished_at=now)
        else:
            fields["next_attempt_at"] = now + timedelta(seconds=wait)
    with transaction.atomic():
        if not WebhookDelivery.objects.filter(id=delivery.id).update(**fields):
            return "deleted"  # the endpoint was deleted during the attempt: nothing left to log
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=started,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            response_body=outcome.body,
            error=outcome.error[:500],
        )
        if outcome.ok:
            WebhookEndpoint.objects.filter(id=endpoint.id).exclude(failing_since=None).update(failing_since=None)
        elif not disable:
            WebhookEndpoint.objects.filter(id=endpoint.id, failing_since=None).update(failing_since=now)
            since = WebhookEndpoint.objects.filter(id=endpoint.id).values_list("failing_since", flat=True).first()
            if since is not None and (now - since).total_seconds() >= settings.EASEL_WEBHOOK_DISABLE_AFTER:
                after = settings.EASEL_WEBHOOK_DISABLE_AFTER  # "24 hours"; "3 seconds", not "0 hours"
                span = f"{after // 3600} hours" if after % 3600 == 0 else f"{after} seconds"
                disable = f"Every delivery failed for {span}"
        if disable:
            endpoint_disable(endpoint.id, disable)
    status = fields.get("status", WebhookDelivery.Status.PENDING)
    if status == WebhookDelivery.Status.PENDING:
        from workers.dispatch import enqueue_delivery

        transaction.on_commit(lambda: enqueue_delivery(str(delivery.id), delay=fields["next_attempt_at"] - now))
    logger.info("webhook %s attempt %d → %s %s", delivery.id, number, outcome.status_code, outcome.error)
    return status
