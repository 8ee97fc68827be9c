"""Reads the dashboard pages need, one function per question, each scoped to one project.

Views ask these and render; they write no ORM of their own (writes live in designs/services).
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import OuterRef, Q, QuerySet, Subquery

from designs.models import Document, Message, Project, Thread

# An edit's mask (the area it may change) is stored as a document, but it is not a picture.
PICTURES = ~Q(operation=Document.Operation.MASK)


def threads_with_images(*, project: Project, limit: int, keep: UUID | None = None) -> list[Thread]:
    """The project's newest threads that hold images, each with its `first_message` text.

    `keep` (a thread linked from elsewhere) stays in the list even if it is not among the newest.
    """
    first_user = Message.objects.filter(thread=OuterRef("pk"), role=Message.Role.USER).order_by("seq")
    pictured = Document.objects.filter(PICTURES, project=project, thread__isnull=False).values("thread_id")
    with_images = (
        Thread.objects.filter(project=project, id__in=pictured)
        .annotate(first_message=Subquery(first_user.values("content")[:1]))
        .order_by("-created_at")
    )
    threads = list(with_images[:limit])
    if keep and all(t.id != keep for t in threads):
        threads += list(Thread.objects.filter(project=project, id__in=[keep]).exclude(id__in=[t.id for t in threads]))
    return threads


def image_models_used(*, project: Project) -> list[tuple[str, str]]:
    """(provider, model) pairs that made at least one of the project's images, sorted."""
    pairs = (
        Document.objects.filter(PICTURES, project=project)
        .exclude(model_name="")
        .values_list("model_provider", "model_name")
        .distinct()
        .order_by("model_provider", "model_name")
    )
    return list(pairs)


def recent_pictures(*, project: Project, limit: int) -> list[Document]:
    """The project's newest images of any thread (uploads too, never masks), for picking one."""
    return list(Document.objects.filter(PICTURES, project=project).order_by("-created_at", "-id")[:limit])


def pictures_only(documents: QuerySet[Document]) -> QuerySet[Document]:
    """`documents` without masks: what the gallery lists and counts."""
    return documents.filter(PICTURES)


def project_thread(*, project: Project, thread_id: UUID) -> Thread | None:
    return Thread.objects.filter(project=project, id=thread_id).first()


def project_document(*, project: Project, document_id: UUID) -> Document | None:
    return Document.objects.select_related("thread").filter(project=project, id=document_id).first()


def other_inputs(*, document: Document) -> list[Document]:
    """The inputs of an edit beside its primary one (`parent`), in the order they were given."""
    return list(
        Document.objects.filter(project_id=document.project_id, child_links__child=document)
        .filter(~Q(id=document.parent_id))
        .order_by("child_links__position")
    )
