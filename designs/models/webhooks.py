"""Webhooks: a project's endpoints, the events written for them (the outbox), each delivery of
an event to an endpoint, and every attempt of a delivery.

An event row is written in the same transaction as the fact it reports, with one delivery row
per subscribed endpoint: a crash after the commit never loses it (the poller finds the pending
delivery), and a rollback never sends it (the rows go with the fact).
"""

from __future__ import annotations

import uuid

from django.db import models

from designs.models.projects import Project


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhooks")
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=500, blank=True)
    # "whsec_" + base64 key, as the Standard Webhooks libraries take it. Shown once, at creation
    # and rotation; kept in the clear because signing needs it (as every sender keeps it).
    secret = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Since when every attempt has failed (None while the last one succeeded): a day of it disables.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"webhook {self.id} → {self.url}"


class WebhookEvent(models.Model):
    """One event as sent: `body` is the exact JSON every delivery of it signs and posts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=64)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"

    @property
    def message_id(self) -> str:
        """The `webhook-id` header: the same on every attempt and redelivery, for receivers' dedup."""
        return f"msg_{self.id.hex}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"  # due at next_attempt_at (the first attempt, or a retry)
        SUCCEEDED = "succeeded"
        FAILED = "failed"  # gave up: retries spent, 410, or the endpoint was disabled

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # An attempt in flight holds the delivery until then; a worker that died lets go by itself.
    leased_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["endpoint", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"delivery {self.id} ({self.status})"


class WebhookAttempt(models.Model):
    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # the first 1 KB, as text
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
