"""Documents as workers/image_tool stores a generated image, made in-process for tests."""

from __future__ import annotations

from designs.models import Assistant, Document, Project, Thread
from designs.services.documents import document_create
from designs.services.images import inspect_image


def make_thread(project: Project) -> Thread:
    return Thread.objects.create(project=project, assistant=Assistant.objects.create(project=project, name="a"))


def generated_without_derivatives(project: Project, data: bytes) -> Document:
    """The row of a generated image as it is before its event: no thumbnail or display copy yet."""
    return document_create(
        project=project,
        data=data,
        facts=inspect_image(data),
        thread=make_thread(project),
        operation="generate",
        thumbnail=False,
    )
