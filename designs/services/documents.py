"""Creating and deleting documents (images) and their files."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from designs.models import Document, Message, Project, Run, Thread
from designs.services.images import ImageFacts

logger = logging.getLogger(__name__)


def document_create(
    *,
    project: Project,
    data: bytes,
    facts: ImageFacts,
    thread: Thread | None,
    operation: str,
    prompt: str = "",
    run: Run | None = None,
    message: Message | None = None,
    parent: Document | None = None,
    revised_prompt: str | None = None,
    model_provider: str = "",
    model_name: str = "",
    seed: int | None = None,
    tool_call_id: str | None = None,
    output_index: int = 0,
    original_filename: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Document:
    """Store an image's bytes and its document row.

    Idempotent per (run, tool_call_id, output_index): a second call returns the first
    document instead of storing the image again.
    """
    if run is not None and tool_call_id is not None:
        existing = Document.objects.filter(run=run, tool_call_id=tool_call_id, output_index=output_index).first()
        if existing is not None:
            return existing
    document = Document(
        project=project,
        thread=thread,
        assistant=thread.assistant if thread else None,
        run=run,
        message=message,
        parent=parent,
        operation=operation,
        mime_type=facts.mime_type,
        width=facts.width,
        height=facts.height,
        file_size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        prompt=prompt,
        revised_prompt=revised_prompt,
        model_provider=model_provider,
        model_name=model_name,
        seed=seed,
        tool_call_id=tool_call_id,
        output_index=output_index,
        metadata={**(metadata or {}), **({"original_filename": original_filename} if original_filename else {})},
    )
    document.filename = f"{document.id}.{document.extension}"
    document.file.save(document.filename, ContentFile(data), save=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # A concurrent attempt stored the same tool call's image first: keep theirs.
        document.file.delete(save=False)
        return Document.objects.get(run=run, tool_call_id=tool_call_id, output_index=output_index)
    return document


def document_delete(*, document: Document) -> None:
    """Delete a document and its file. The row goes first so no URL can serve a half-deleted file."""
    file_name = document.file.name
    storage = document.file.storage
    document.delete()
    transaction.on_commit(lambda: _delete_file(storage, file_name))


def _delete_file(storage: Any, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("could not delete %s from storage", name)
