"""Threads and assistants: creation, lookup within a project, deletion."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from designs.exceptions import NotFound
from designs.models import Assistant, Document, Project, Thread
from designs.services.documents import document_delete
from designs.services.tools import tools_validate

DEFAULT_ASSISTANT_NAME = "Default Assistant"
DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."


def assistant_get(*, project: Project, assistant_id: uuid.UUID | str) -> Assistant:
    """The project's assistant, or NotFound (also for another project's id)."""
    assistant = Assistant.objects.filter(project=project, id=assistant_id).first()
    if assistant is None:
        raise NotFound("Assistant not found")
    return assistant


def thread_get(*, project: Project, thread_id: uuid.UUID | str, for_update: bool = False) -> Thread:
    queryset = Thread.objects.select_related("assistant").filter(project=project, id=thread_id)
    thread = (queryset.select_for_update() if for_update else queryset).first()
    if thread is None:
        raise NotFound("Thread not found")
    return thread


def assistant_default(*, project: Project) -> Assistant:
    assistant = Assistant.objects.filter(project=project, name=DEFAULT_ASSISTANT_NAME).order_by("created_at").first()
    return assistant or Assistant.objects.create(
        project=project, name=DEFAULT_ASSISTANT_NAME, system_prompt=DEFAULT_SYSTEM_PROMPT
    )


def assistant_create(*, project: Project, data: dict[str, Any]) -> Assistant:
    fields = {k: v for k, v in data.items() if v is not None}
    if "tools" in fields:
        fields["tools"] = tools_validate(fields["tools"])
    return Assistant.objects.create(project=project, **fields)


def assistant_update(*, assistant: Assistant, data: dict[str, Any]) -> Assistant:
    if "tools" in data:  # null is "no tools", as on create: the column holds a list
        data = {**data, "tools": tools_validate(data["tools"])}
    for key, value in data.items():
        setattr(assistant, key, value)
    assistant.save()
    return assistant


@transaction.atomic
def assistant_delete(*, assistant: Assistant) -> None:
    for document in Document.objects.filter(assistant=assistant):
        document_delete(document=document)
    assistant.delete()


def thread_create(*, project: Project, assistant: Assistant, metadata: dict | None = None) -> Thread:
    return Thread.objects.create(project=project, assistant=assistant, metadata=metadata)


@transaction.atomic
def thread_delete(*, thread: Thread) -> None:
    """Delete a thread, its messages, runs and documents (files included)."""
    for document in Document.objects.filter(thread=thread):
        document_delete(document=document)
    thread.delete()
