"""Reads the dashboard pages need, one function per question, each scoped to one project.

Views ask these and render; they write no ORM of their own (writes live in designs/services).
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from designs.models import (
    AuditEntry,
    Comment,
    Customization,
    Document,
    Message,
    Project,
    ReviewDecision,
    Template,
    TemplateVersion,
    Thread,
    Variant,
)

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


def pictures_only(documents: QuerySet[Document], *, review_status: str | None = None) -> QuerySet[Document]:
    """`documents` without masks: what the gallery lists and counts (of one review status, if given)."""
    documents = documents.filter(PICTURES)
    return documents.filter(review_status=review_status) if review_status else documents


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


# --- Review ------------------------------------------------------------------------------------

FLAG_SCAN = 2000  # the newest flagged images whose flags the filters offer and match


def review_queue(
    *,
    project: Project,
    status: str | None = None,
    flag: str | None = None,
    thread: Thread | None = None,
    model_provider: str | None = None,
    model_name: str | None = None,
) -> QuerySet[Document]:
    """The images a reviewer goes through (generated and edited: not uploads, not masks), newest
    first, each with its `comment_count`. `flag` is a flag's code, or "any" for every flagged one."""
    documents = Document.objects.filter(PICTURES, project=project).exclude(operation=Document.Operation.UPLOAD)
    if status:
        documents = documents.filter(review_status=status)
    if thread is not None:
        documents = documents.filter(thread=thread)
    if model_provider:
        documents = documents.filter(model_provider=model_provider, model_name=model_name or "")
    if flag:
        # Flags are a JSON list; matching a code inside it the same way on SQLite and PostgreSQL
        # is simplest in Python, over the (few) flagged images.
        flagged = documents.exclude(flags=[]).order_by("-created_at").values_list("id", "flags")[:FLAG_SCAN]
        documents = documents.filter(id__in=[i for i, flags in flagged if flag == "any" or _has_flag(flags, flag)])
    return documents.annotate(comment_count=Count("comments")).order_by("-created_at", "-id")


def _has_flag(flags: object, code: str) -> bool:
    return isinstance(flags, list) and any(isinstance(f, dict) and f.get("code") == code for f in flags)


def flag_codes(*, project: Project) -> list[tuple[str, str]]:
    """(code, label) of the flags on the project's newest flagged images, sorted by code."""
    rows = Document.objects.filter(project=project).exclude(flags=[]).order_by("-created_at")[:FLAG_SCAN]
    codes: dict[str, str] = {}
    for flags in rows.values_list("flags", flat=True):
        for flag in flags if isinstance(flags, list) else []:
            if isinstance(flag, dict) and flag.get("code"):
                codes.setdefault(str(flag["code"]), str(flag["code"]).replace("_", " "))
    return sorted(codes.items())


def queue_neighbours(queue: QuerySet[Document], document: Document) -> tuple[Document | None, Document | None]:
    """(newer, older): the images next to `document` in the queue's order, whether or not it is
    still in the queue itself (one just approved leaves a pending queue)."""
    at, key = document.created_at, document.id
    newer = queue.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=key)).order_by("created_at", "id").first()
    older = queue.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=key)).first()
    return newer, older


def review_document(*, project: Project, document_id: UUID) -> Document | None:
    """One reviewable image of the project (never a mask), with its thread."""
    return (
        Document.objects.select_related("thread", "parent")
        .filter(project=project, id=document_id)
        .exclude(operation=Document.Operation.MASK)
        .first()
    )


def comments_on(*, document: Document) -> list[Comment]:
    return list(Comment.objects.filter(document=document).select_related("resolved_by_document").order_by("created_at"))


def decisions_on(*, document: Document) -> list[ReviewDecision]:
    return list(ReviewDecision.objects.filter(document=document).order_by("created_at"))


def newer_version(*, document: Document) -> Document | None:
    """A reviewed version made from `document`, which supersedes it (decisions go to that one)."""
    children = Document.objects.filter(project_id=document.project_id, parent=document)
    return children.exclude(review_status="unreviewed").order_by("-created_at").first()


def audit_trail(
    *, project: Project, action: str | None = None, actor: str | None = None, document_id: UUID | None = None
) -> QuerySet[AuditEntry]:
    """The project's audit entries, newest first, narrowed by each filter given."""
    entries = AuditEntry.objects.filter(project_id=project.id)
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor=actor)
    if document_id:
        entries = entries.filter(document_id=document_id)
    return entries.order_by("-at", "-id")


def audit_choices(*, project: Project, limit: int = 200) -> tuple[list[str], list[str]]:
    """The actions and the actors (at most `limit`) the project's audit trail holds, sorted."""
    entries = AuditEntry.objects.filter(project_id=project.id)
    actions = list(entries.order_by("action").values_list("action", flat=True).distinct())
    actors = list(entries.order_by("actor").values_list("actor", flat=True).distinct()[:limit])
    return actions, actors


def documents_by_id(*, project: Project, ids: list[UUID]) -> dict[UUID, Document]:
    """The project's documents among `ids` (a page of audit entries names them), by id."""
    return {d.id: d for d in Document.objects.filter(project=project, id__in=[i for i in ids if i])}


# --- Products ----------------------------------------------------------------------------------


def templates_current(*, project: Project, archived: bool = False) -> list[TemplateVersion]:
    """The current version of each of the project's templates (archived ones too, if asked),
    newest template first, each with its base photo and its template."""
    templates = Template.objects.filter(project=project)
    if not archived:
        templates = templates.filter(archived_at__isnull=True)
    return list(
        TemplateVersion.objects.filter(template__in=templates, version=F("template__version"))
        .select_related("template", "base_document")
        .order_by("-template__created_at", "-template_id")
    )


def archived_template_count(*, project: Project) -> int:
    return Template.objects.filter(project=project, archived_at__isnull=False).count()


def template_versions(*, template: Template) -> list[TemplateVersion]:
    """Every version of the template, newest first."""
    return list(TemplateVersion.objects.filter(template=template).order_by("-version"))


def template_customizations(*, template: Template, limit: int) -> list[Customization]:
    """The template's newest customizations, each with `made`, `failed` and `pending` counts."""
    counted = {
        name: Count("variants", filter=Q(variants__status=status))
        for name, status in (
            ("made", Variant.Status.COMPLETED),
            ("failed", Variant.Status.FAILED),
            ("pending", Variant.Status.PENDING),
        )
    }
    found = Customization.objects.filter(project_id=template.project_id, template=template)
    return list(found.select_related("template_version").annotate(**counted).order_by("-created_at")[:limit])


def customization_variants(*, customization: Customization) -> list[Variant]:
    """The customization's variants in the order they were asked for, with their documents."""
    variants = Variant.objects.filter(project_id=customization.project_id, customization=customization)
    return list(variants.select_related("document", "parent_document").order_by("run__created_at", "run_id", "index"))
