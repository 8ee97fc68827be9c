"""Assistants, threads, runs and messages: a conversation and the work each turn starts."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db import models

from designs.models.projects import ApiKey, Project

if TYPE_CHECKING:
    from designs.models.documents import Document


class Assistant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assistants")
    name = models.CharField(max_length=200)
    description = models.TextField(null=True, blank=True)
    system_prompt = models.TextField(null=True, blank=True)
    tools = models.JSONField(default=list, blank=True)
    tok_k = models.IntegerField(null=True, blank=True, default=10)
    embedding_provider = models.CharField(max_length=100, null=True, blank=True)
    embedding_model_name = models.CharField(max_length=200, null=True, blank=True)
    embedding_dims = models.IntegerField(null=True, blank=True)
    custom_fact_extraction_prompt = models.TextField(null=True, blank=True)
    custom_update_memory_prompt = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["project", "created_at"])]

    def __str__(self) -> str:
        return self.name


class Thread(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="threads")
    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=200, null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return self.title or str(self.id)


class Run(models.Model):
    """One generation turn: the LLM (and image model) answering one user message."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"
        # Paused: the LLM called the caller's own tools; the run waits, holding no worker, for
        # their outputs (POST .../submit-tool-outputs), then is queued again.
        REQUIRES_ACTION = "requires_action"

    class Operation(models.TextChoices):
        CHAT = "chat"
        GENERATE_IMAGE = "generate_image"
        CUSTOMIZE = "customize"  # a customization's variants: masked edits of a template's product

    FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runs")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="runs")
    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="runs")
    user_message = models.ForeignKey("Message", on_delete=models.CASCADE, related_name="+")
    # The key that started the run (None for the dashboard): concurrency limits count per key.
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    operation = models.CharField(max_length=32, choices=Operation.choices, default=Operation.CHAT)
    llm_provider = models.CharField(max_length=100, blank=True)
    llm_model = models.CharField(max_length=200, blank=True)
    image_generation = models.BooleanField(default=False)
    image_provider = models.CharField(max_length=100, blank=True)
    image_model = models.CharField(max_length=200, blank=True)
    image_config = models.JSONField(default=dict, blank=True)
    # Per-turn inputs that are not persisted on the assistant: system_prompt, tools, extras.
    params = models.JSONField(default=dict, blank=True)
    # Where the request came from, so workers can build absolute media URLs.
    public_base_url = models.CharField(max_length=500, blank=True)
    fallback = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    images_generated = models.PositiveIntegerField(default=0)
    # Estimated from catalog prices when the run ends (designs.catalog.estimate_cost).
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "-created_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
            models.Index(fields=["project", "status"]),
        ]

    def __str__(self) -> str:
        return f"run {self.id} ({self.status})"

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user"
        ASSISTANT = "assistant"
        SYSTEM = "system"
        TOOL = "tool"

    class Status(models.TextChoices):
        COMPLETED = "COMPLETED"
        IN_PROGRESS = "IN_PROGRESS"
        FAILED = "FAILED"
        CANCELLED = "CANCELLED"
        REQUIRES_ACTION = "REQUIRES_ACTION"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="messages")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COMPLETED)
    # The client's own metadata, stored as sent and never read as Easel's fields.
    metadata = models.JSONField(default=dict, blank=True)
    model_provider = models.CharField(max_length=100, null=True, blank=True)
    model_name = models.CharField(max_length=200, null=True, blank=True)
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    # Orders messages within a thread; created_at alone can tie within one transaction.
    seq = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq", "created_at"]
        indexes = [models.Index(fields=["thread", "seq"])]

    def __str__(self) -> str:
        return f"{self.role}: {(self.content or '')[:40]}"

    def input_documents(self, role: str | None = None) -> list[Document]:
        """The images this message carries (`inputs`), first first: of `role` if given, else every
        one but its mask (the area an edit may change is not an image to look at).

        Uses a prefetch of `inputs__document` when there is one. Only the message's own
        project's documents are returned, whatever a row says.
        """
        links = sorted(self.inputs.all(), key=lambda link: link.position)
        return [
            link.document
            for link in links
            if (link.role == role if role is not None else link.role != "mask")
            and link.document.project_id == self.project_id
        ]


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a project used on POST /threads/messages, kept 24 h (Stripe's rule)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user_message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "key"], name="one_idempotency_key_per_project")]

    def __str__(self) -> str:
        return f"Idempotency-Key {self.key!r} of project {self.project_id}"
