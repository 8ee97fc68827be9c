"""Cloning an assistant: its settings, and its assistant-level documents by reference.

A cloned document is a new row that names the same stored file and thumbnail as its source (no
bytes are copied). Files are released only when no document names them any more
(`documents.release_files`), so deleting either copy leaves the other's file in place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import models, transaction

from designs.models import Assistant, Document, Project
from designs.services.documents import lock_project
from designs.services.threads import assistant_get

CLONED_SETTINGS = (
    "description",
    "system_prompt",
    "tools",
    "tok_k",
    "embedding_provider",
    "embedding_model_name",
    "embedding_dims",
    "custom_fact_extraction_prompt",
    "custom_update_memory_prompt",
)
# What a copy does not inherit: its own identity, and the run or message that made the source.
NOT_COPIED = {"id", "assistant", "run", "message", "tool_call_id", "created_at", "updated_at"}


@dataclass(frozen=True)
class Clone:
    assistant: Assistant
    documents_cloned: int
    memories_cloned: int = 0  # Easel keeps no memories, so there are never any to copy


@transaction.atomic
def assistant_clone(
    *,
    project: Project,
    assistant_id: uuid.UUID | str,
    name: str | None = None,
    system_prompt: str | None = None,
    copy_documents: bool = True,
) -> Clone:
    """A new assistant in the same project with the source's settings (NotFound for another
    project's id). With `copy_documents`, each indexed assistant-level document is shared."""
    source = assistant_get(project=project, assistant_id=assistant_id)
    settings = {field: getattr(source, field) for field in CLONED_SETTINGS}
    if system_prompt is not None:
        settings["system_prompt"] = system_prompt
    clone = Assistant.objects.create(project=project, name=name or _copy_name(source.name), **settings)
    copied = documents_share(source=source, target=clone) if copy_documents else 0
    return Clone(clone, copied)


def documents_share(*, source: Assistant, target: Assistant) -> int:
    """Give `target` a copy of each of `source`'s indexed assistant-level documents, naming the
    same files; the number copied. The rows are read and written under the project's lock, so a
    concurrent delete of a source either happened first (not copied) or sees the copy (file kept)."""
    lock_project(source.project_id)
    sources = Document.objects.filter(assistant=source, thread__isnull=True, status=Document.Status.INDEXED).order_by(
        "created_at"
    )
    copies = [_shared_copy(document, target) for document in sources]
    for copy in copies:
        copy.save(force_insert=True)
    return len(copies)


def _shared_copy(document: Document, assistant: Assistant) -> Document:
    fields = {}
    for field in Document._meta.concrete_fields:
        if field.name in NOT_COPIED:
            continue
        value = getattr(document, field.attname)
        fields[field.attname] = value.name if isinstance(field, models.FileField) else value
    copy = Document(**fields, id=uuid.uuid4(), assistant=assistant)
    copy.filename = f"{copy.id}.{document.extension}"
    copy.metadata = {**(document.metadata or {}), "cloned_from": str(document.id)}
    return copy


def _copy_name(name: str) -> str:
    limit = Assistant._meta.get_field("name").max_length
    suffix = " Copy"
    return name[: limit - len(suffix)] + suffix
