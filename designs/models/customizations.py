"""Product customization: templates (a product photo, its print area, the print file it makes),
kept as immutable versions, and customizations (one customer's design on one template version,
in a thread of its own) with their variants.

A template's versions never change once written: `PUT` adds one, and a customization points at
the version it started from, so editing or archiving a template never changes what a running or
past customization makes. Documents a version names are RESTRICTed: they cannot be deleted
while a version uses them (the project's deletion takes both together).
"""

from __future__ import annotations

import uuid

from django.db import models

from designs.models.conversations import Run, Thread
from designs.models.documents import Document
from designs.models.projects import ApiKey, Project


class Template(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="templates")
    version = models.PositiveIntegerField(default=1)  # the current one
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"template {self.id} v{self.version}"


class TemplateVersion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    base_document = models.ForeignKey(Document, on_delete=models.RESTRICT, related_name="+")
    # The area's bounding box in base pixels; with a mask document the area is the mask's shape.
    print_area = models.JSONField()
    print_area_mask_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    protect_mask_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    output = models.JSONField()  # width_px, height_px, dpi, format, bleed_px, min_dpi
    default_prompt = models.TextField(blank=True)
    image_model_provider = models.CharField(max_length=100, blank=True)
    image_model_name = models.CharField(max_length=200, blank=True)
    max_variants = models.PositiveSmallIntegerField(default=4)
    metadata = models.JSONField(default=dict, blank=True)
    # The base at preview size, made the first time a preview needs it (SET_NULL: made again).
    preview_base_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["template", "version"], name="one_row_per_template_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Customization(models.Model):
    class Tier(models.TextChoices):
        PREVIEW = "preview"
        FINAL = "final"

    class Status(models.TextChoices):
        RUNNING = "running"
        COMPLETED = "completed"
        PARTIAL = "partial"  # some variants failed, at least one was made
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="customizations")
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="customizations")
    template_version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="customizations")
    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="customization")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    customer_ref = models.CharField(max_length=200, blank=True)
    prompt = models.TextField()
    tier = models.CharField(max_length=8, choices=Tier.choices, default=Tier.FINAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    selected_document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "-created_at"]),
            models.Index(fields=["project", "customer_ref"]),
            models.Index(fields=["template", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"customization {self.id} ({self.status})"


class Variant(models.Model):
    """One image a customization asked for: made (its document) or failed alone, with why."""

    class Status(models.TextChoices):
        PENDING = "pending"
        COMPLETED = "completed"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    customization = models.ForeignKey(Customization, on_delete=models.CASCADE, related_name="variants")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="variants")
    index = models.PositiveSmallIntegerField()  # within its run
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    prompt = models.TextField()
    parent_document = models.ForeignKey(Document, null=True, on_delete=models.SET_NULL, related_name="+")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    seed = models.BigIntegerField(null=True, blank=True)
    failure_reason = models.CharField(max_length=40, blank=True)
    failure_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="one_variant_per_run_index")]
        indexes = [models.Index(fields=["customization", "created_at"])]

    def __str__(self) -> str:
        return f"variant {self.index} of {self.customization_id} ({self.status})"
