"""Easel's data: projects (team workspaces) and everything that belongs to exactly one of them.

Public ids are UUIDs everywhere. Every row carries `project` so every query can be scoped to
the caller's project in one filter, whatever ids a caller sends or an LLM invents.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Project(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        ADMIN = "admin"
        MEMBER = "member"
        REVIEWER = "reviewer"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="one_membership_per_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


class Invitation(models.Model):
    """An offer to join one project with one role, made to one email address.

    Nothing joins the project until the person holding the link accepts it (signed in as that
    email, or by setting the password of an account that never had one). The link's token is
    single-use and expires; only its SHA-256 is stored.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "email"])]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.project} ({self.role})"


class ApiKey(models.Model):
    """A project's API key. Only a SHA-256 of the secret is stored; the secret is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200, blank=True)
    prefix = models.CharField(max_length=16, db_index=True)
    hashed_key = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.project})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


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

    class Operation(models.TextChoices):
        CHAT = "chat"
        GENERATE_IMAGE = "generate_image"

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
        """The documents this message carries (`inputs`), first first, of `role` if given.

        Uses a prefetch of `inputs__document` when there is one. Only the message's own
        project's documents are returned, whatever a row says.
        """
        links = sorted(self.inputs.all(), key=lambda link: link.position)
        return [
            link.document
            for link in links
            if (role is None or link.role == role) and link.document.project_id == self.project_id
        ]


def document_upload_to(document: Document, filename: str) -> str:
    # Only rows stored before content addressing used this; new files are named by
    # designs.services.documents (projects/<project>/images/<sha256>.<ext>).
    return f"projects/{document.project_id}/documents/{filename}"


class Document(models.Model):
    """An image Easel made or received. Immutable: an edit makes a new document.

    Files are content-addressed per project, so documents with identical bytes share one file;
    `parent` is the primary input of an edit and `parents` all of its inputs, in order.
    """

    class Operation(models.TextChoices):
        GENERATE = "generate"
        EDIT = "edit"
        UPLOAD = "upload"
        VARIATION = "variation"

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        INDEXED = "indexed"
        ERROR = "error"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="documents")
    assistant = models.ForeignKey(Assistant, null=True, blank=True, on_delete=models.CASCADE, related_name="documents")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    parents = models.ManyToManyField(
        "self", through="DocumentParent", symmetrical=False, related_name="derived", blank=True
    )
    operation = models.CharField(max_length=16, choices=Operation.choices, default=Operation.GENERATE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INDEXED)
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to=document_upload_to, max_length=500)
    mime_type = models.CharField(max_length=100)
    file_size_bytes = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # A small WebP made once at creation; shared, like `file`, by documents with the same bytes.
    thumbnail = models.FileField(upload_to=document_upload_to, max_length=500, blank=True)
    thumbnail_width = models.PositiveIntegerField(null=True, blank=True)
    thumbnail_height = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    prompt = models.TextField(blank=True)
    revised_prompt = models.TextField(null=True, blank=True)
    model_provider = models.CharField(max_length=100, blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    # Which tool call (and which of its n images) made this; unique per run so a retried run
    # never stores the same image twice.
    tool_call_id = models.CharField(max_length=200, null=True, blank=True)
    output_index = models.PositiveSmallIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["project", "-created_at"]),
            models.Index(fields=["thread", "created_at"]),
            # Reference counting of shared files asks "does any other row use this name?".
            models.Index(fields=["file"]),
            models.Index(fields=["thumbnail"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "tool_call_id", "output_index"],
                name="one_document_per_tool_call_output",
                condition=models.Q(run__isnull=False, tool_call_id__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.mime_type, "bin")


EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


class DocumentParent(models.Model):
    """One input of a derived document: `position` 0 is the primary input (`Document.parent`)."""

    child = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="parent_links")
    parent = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="child_links")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["child", "parent"], name="one_link_per_parent"),
            models.UniqueConstraint(fields=["child", "position"], name="one_parent_per_position"),
        ]

    def __str__(self) -> str:
        return f"{self.parent_id} -> {self.child_id}"


class MessageInput(models.Model):
    """A document a user message carries: an upload, or the image a direct edit names.

    Deleting the document deletes the link, so its thread stays readable without it.
    """

    class Role(models.TextChoices):
        SOURCE = "source"  # the image a direct edit changes (position 0)
        REFERENCE = "reference"  # shown to the model, edited only if the model names it
        MASK = "mask"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="inputs")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="message_inputs")
    position = models.PositiveSmallIntegerField(default=0)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REFERENCE)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["message", "position"], name="one_input_per_position"),
            models.UniqueConstraint(fields=["message", "document"], name="one_input_per_document"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} ({self.role}) -> message {self.message_id}"


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


class ProviderCredential(models.Model):
    """A project's own key for one provider, used instead of the server's.

    The key is stored only encrypted (`designs.services.credentials`); `last4` lets people tell
    keys apart without ever showing one again.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="provider_credentials")
    provider = models.CharField(max_length=100)
    encrypted_key = models.TextField()
    base_url = models.CharField(max_length=500, blank=True)
    last4 = models.CharField(max_length=4)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "provider"], name="one_credential_per_provider")]

    def __str__(self) -> str:
        return f"{self.provider} key …{self.last4} ({self.project})"
