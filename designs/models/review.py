"""Review of generated images: a project's policy, reviewers' decisions, region comments, and an
audit trail nobody can change.

A document's `review_status` (on `Document`) says where it stands; the rows here say who moved
it and why. Audit entries keep their document and project ids as plain values, so deleting a
document leaves its history readable, and the database itself refuses to update or delete one
(triggers, see migration 0010), whatever code tries.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from designs.models.conversations import Run
from designs.models.documents import Document
from designs.models.projects import ApiKey, Project


class ReviewStatus(models.TextChoices):
    UNREVIEWED = "unreviewed"  # no policy applies and nobody has decided
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"


class Via(models.TextChoices):
    UI = "ui"
    API = "api"
    ADMIN = "admin"
    SYSTEM = "system"  # Easel itself: a moderation flag, a provider's refusal


class ReviewPolicy(models.Model):
    """What a project asks of its images. Every switch off by default: review is opt-in."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, primary_key=True, related_name="review_policy")
    required = models.BooleanField(default=False)  # every generated image starts pending
    gate_delivery = models.BooleanField(default=False)  # URLs of an image not approved answer 403
    approvals_needed = models.PositiveSmallIntegerField(default=1)
    blocked_terms = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"review policy of {self.project_id}"


class Actor(models.Model):
    """Who did something: a signed-in user, an API key (shown by its prefix) or Easel itself."""

    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.CharField(max_length=200)  # the label, kept when the user or key is gone
    via = models.CharField(max_length=8, choices=Via.choices)

    class Meta:
        abstract = True


class ReviewDecision(Actor):
    class Decision(models.TextChoices):
        APPROVED = "approved"
        CHANGES_REQUESTED = "changes_requested"
        REJECTED = "rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    reason = models.TextField(blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["document", "created_at"])]

    def __str__(self) -> str:
        return f"{self.decision} by {self.actor}"


class Comment(Actor):
    """A reviewer's note on an image, optionally on regions of it; resolved by the edit it became."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField()
    regions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    revise_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_by_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="resolved_comments"
    )

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["document", "created_at"])]

    def __str__(self) -> str:
        return self.text[:60]


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ANN003
        raise PermissionError("Audit entries are immutable")

    def delete(self):
        raise PermissionError("Audit entries are immutable")


class AuditEntry(models.Model):
    """One thing that happened to a project's images, as it happened. Never updated, never deleted."""

    id = models.BigAutoField(primary_key=True)
    project_id = models.UUIDField(db_index=True)
    document_id = models.UUIDField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=200)
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    actor_key_prefix = models.CharField(max_length=16, blank=True)
    via = models.CharField(max_length=8, choices=Via.choices)
    action = models.CharField(max_length=32, db_index=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    prompt = models.TextField(blank=True)
    model = models.CharField(max_length=320, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["project_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if not self._state.adding:
            raise PermissionError("Audit entries are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003
        raise PermissionError("Audit entries are immutable")
