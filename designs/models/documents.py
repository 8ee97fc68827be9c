"""Images (documents), their lineage, and the inputs a message carries."""

from __future__ import annotations

import uuid

from django.db import models

from designs.models.conversations import Assistant, Message, Run, Thread
from designs.models.projects import Project


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
        MASK = "mask"  # where an edit may change its source (transparent = may change)

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
    # The size pages show (EASEL_DISPLAY_SIZE, WebP), made with the thumbnail; none when the
    # original is no larger. Pages pick thumbnail, display or original by srcset.
    display = models.FileField(upload_to=document_upload_to, max_length=500, blank=True)
    display_width = models.PositiveIntegerField(null=True, blank=True)
    display_height = models.PositiveIntegerField(null=True, blank=True)
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
    # Where review stands (designs.models.review.ReviewStatus) and what moderation found:
    # [{"code", "label", "score"}].
    review_status = models.CharField(max_length=20, default="unreviewed")
    flags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["project", "-created_at"]),
            models.Index(fields=["project", "review_status", "-created_at"]),
            models.Index(fields=["thread", "created_at"]),
            # Reference counting of shared files asks "does any other row use this name?".
            models.Index(fields=["file"]),
            models.Index(fields=["thumbnail"]),
            models.Index(fields=["display"]),
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

    @property
    def label(self) -> str:
        """What a person calls this image: its prompt, else the name of the file it was uploaded
        as, never the content-addressed file name (a UUID)."""
        if self.prompt:
            return self.prompt
        original = self.metadata.get("original_filename") if isinstance(self.metadata, dict) else None
        if original:
            return str(original)
        return "Uploaded image" if self.operation == self.Operation.UPLOAD else "Image"


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
