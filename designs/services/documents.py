"""Documents (images): storing them, deleting them, their lineage, listing and retention.

Files are content-addressed per project: `projects/<project>/images/<sha256>.<ext>`, and its
derivatives `projects/<project>/thumbnails/<sha256>.webp` and `…/display/<sha256>.webp`
(designs.services.derivatives). Documents with identical bytes in one project share one file,
and a file is deleted only when no document uses it any more. Both "is this name still used?"
(deletion) and "a new row uses this name" (creation) run holding the project's row lock, so a
deletion can never remove a file a concurrent creation relies on.
Only Django's storage API is used, so the same code runs on disk and on S3.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from designs.exceptions import Conflict
from designs.models import (
    EXTENSIONS,
    Assistant,
    Document,
    DocumentParent,
    Message,
    MessageInput,
    Project,
    Run,
    Thread,
)
from designs.services.derivatives import Made, derivatives_make, names_used, naming, stored_names
from designs.services.images import ImageFacts
from designs.services.webhooks import webhook_emit

logger = logging.getLogger(__name__)

LINEAGE_LIMIT = 500
ORPHAN_GRACE = timedelta(hours=1)


def file_storage() -> Storage:
    return Document._meta.get_field("file").storage


def project_prefix(project_id: Any) -> str:
    return f"projects/{project_id}"


def document_create(
    *,
    project: Project,
    data: bytes,
    facts: ImageFacts,
    thread: Thread | None,
    operation: str,
    prompt: str = "",
    assistant: Assistant | None = None,
    run: Run | None = None,
    message: Message | None = None,
    parent: Document | None = None,
    parents: Sequence[Document] = (),
    revised_prompt: str | None = None,
    model_provider: str = "",
    model_name: str = "",
    seed: int | None = None,
    tool_call_id: str | None = None,
    output_index: int = 0,
    original_filename: str | None = None,
    metadata: dict[str, Any] | None = None,
    thumbnail: bool = True,
    on_stored: Callable[[], None] | None = None,
) -> Document:
    """Store an image's bytes (once per project), its derivatives and its document row.

    `parent` is the primary input, `parents` any further inputs; all must be of `project`
    (ValueError otherwise). Idempotent per (run, tool_call_id, output_index): a second call
    returns the first document instead of storing the image again. With `thumbnail=False` the
    row has no derivatives yet (`document_derivatives_add` makes them later; until then its media
    object's thumbnail URL is the image's own). `on_stored` is called once the file is written
    and before the row is: if it raises (the image turned out not to decode), the files are
    released and nothing else is stored.
    """
    if run is not None and tool_call_id is not None:
        existing = Document.objects.filter(run=run, tool_call_id=tool_call_id, output_index=output_index).first()
        if existing is not None:
            return existing
    inputs = _inputs(project, parent, parents)
    digest = hashlib.sha256(data).hexdigest()
    made = (
        derivatives_make(project_id=project.id, digest=digest, data=data, width=facts.width, height=facts.height)
        if thumbnail
        else []
    )
    image_name = f"{project_prefix(project.id)}/images/{digest}.{EXTENSIONS[facts.mime_type]}"
    names = [image_name, *(item.name for item in made)]
    # Written before the lock, so the slow part (an S3 upload) never holds it.
    _store_once(image_name, data)
    _store_derivatives(made)
    if on_stored is not None:
        try:
            on_stored()
        except Exception:
            release_files(project_id=project.id, names=names)
            raise
    document = Document(
        project=project,
        thread=thread,
        assistant=assistant or (thread.assistant if thread else None),
        run=run,
        message=message,
        parent=inputs[0] if inputs else None,
        operation=operation,
        mime_type=facts.mime_type,
        width=facts.width,
        height=facts.height,
        file_size_bytes=len(data),
        sha256=digest,
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
    try:
        with transaction.atomic():
            lock_project(project.id)
            # A deletion may have removed a shared file between the write above and the lock.
            document.file.name = _store_once(image_name, data)
            for field, value in _store_derivatives(made).items():
                setattr(document, field, value)
            document.save()
            DocumentParent.objects.bulk_create(
                DocumentParent(child=document, parent=source, position=index) for index, source in enumerate(inputs)
            )
    except IntegrityError:
        # A concurrent attempt stored the same tool call's image first: keep theirs.
        transaction.on_commit(lambda: release_files(project_id=project.id, names=names))
        return Document.objects.get(run=run, tool_call_id=tool_call_id, output_index=output_index)
    return document


def document_derivatives_add(document: Document, data: bytes) -> Document:
    """Make and store the derivatives (thumbnail, display size) of a document stored without
    them (`data`: its image's bytes).

    A generated image's derivatives are made after its `media_generated` event, so the event is
    not held up by them. The row is updated under the project's file lock, like a creation; if
    the document was deleted (or got its derivatives) meanwhile, the files are released instead.
    """
    made = derivatives_make(
        project_id=document.project_id,
        digest=document.sha256,
        data=data,
        width=document.width,
        height=document.height,
    )
    _store_derivatives(made)
    with transaction.atomic():
        lock_project(document.project_id)
        fields = _store_derivatives(made)
        updated = Document.objects.filter(pk=document.pk, thumbnail="").update(**fields)
    if not updated:
        stored = [fields[item.derivative.field] for item in made]
        release_files(project_id=document.project_id, names=stored)  # kept if another document uses them
        return document
    for field, value in fields.items():
        setattr(document, field, value)
    return document


def _store_derivatives(made: Sequence[Made]) -> dict[str, Any]:
    """Store each derivative once; the Document fields that record them."""
    fields: dict[str, Any] = {}
    for item in made:
        fields.update(item.fields(_store_once(item.name, item.image.data)))
    return fields


def _inputs(project: Project, parent: Document | None, parents: Sequence[Document]) -> list[Document]:
    inputs: list[Document] = []
    for source in (parent, *parents):
        if source is None or any(source.id == seen.id for seen in inputs):
            continue
        if source.project_id != project.id:
            raise ValueError(f"document {source.id} is not in project {project.id}")
        inputs.append(source)
    return inputs


def _store_once(name: str, data: bytes) -> str:
    """Write `data` under `name` unless it is there already; the name actually used."""
    storage = file_storage()
    if storage.exists(name):
        return name
    # Two creators racing on a new name may end with two copies (the filesystem picks a fresh
    # name for the second); that costs space, never correctness.
    return storage.save(name, ContentFile(data))


def lock_project(project_id: Any) -> None:
    """Take the project's file-bookkeeping lock: held by whoever adds or releases a file reference."""
    # NO KEY UPDATE: serialises file bookkeeping without blocking inserts that reference the
    # project (they take KEY SHARE). SQLite ignores it; its IMMEDIATE transactions serialise writers.
    list(Project.objects.select_for_update(no_key=True).filter(id=project_id).values_list("id", flat=True))


def document_bytes(document: Document) -> bytes:
    """The stored file's bytes, whichever storage holds them."""
    with document.file.open("rb") as handle:
        return handle.read()


def document_delete(*, document: Document) -> None:
    """Delete a document; after commit, delete its files (image and derivatives) unless another document shares them.

    The row goes first, so its URLs answer 404 at once, before any file is touched.
    """
    from designs.services.templates import template_uses  # templates store documents through here

    used = template_uses(document)
    if used is not None:
        raise Conflict(
            f'This image is the photo or a mask of the product template "{used.name}" (version '
            f"{used.version}); a template keeps its images while it exists"
        )
    project_id = document.project_id
    names = stored_names(document)
    data = {
        "document_id": str(document.id),
        "thread_id": str(document.thread_id) if document.thread_id else None,
        "operation": document.operation,
        "created_at": document.created_at,
    }
    with transaction.atomic():
        document.delete()
        webhook_emit(project_id, "document.deleted", lambda: data)
    transaction.on_commit(lambda: release_files(project_id=project_id, names=names))


def release_files(*, project_id: Any, names: Iterable[str]) -> list[str]:
    """Delete each named file that no document uses; the names deleted. Safe to call twice."""
    storage = file_storage()
    deleted: list[str] = []
    with transaction.atomic():
        lock_project(project_id)
        for name in filter(None, names):
            if Document.objects.filter(naming(name)).exists():
                continue
            try:
                storage.delete(name)
            except OSError:
                logger.exception("could not delete %s from storage", name)
                continue
            deleted.append(name)
    return deleted


def project_files_delete(*, project_id: Any) -> int:
    """Delete every file under a deleted project's prefix; the number deleted."""
    storage = file_storage()
    names = list(_walk(storage, project_prefix(project_id)))
    for name in names:
        storage.delete(name)
    return len(names)


def _walk(storage: Storage, prefix: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}/{name}"
    for directory in directories:
        yield from _walk(storage, f"{prefix}/{directory}")


# --- Lineage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lineage:
    """A document's ancestors and descendants, each with its distance; `links` joins them all."""

    document: Document
    ancestors: list[tuple[Document, int]]
    descendants: list[tuple[Document, int]]
    links: list[DocumentParent]
    truncated: bool


def document_lineage(*, document: Document, limit: int = LINEAGE_LIMIT) -> Lineage:
    """Walk parent links both ways within the document's project, nearest first, at most `limit` each way."""
    ancestors, up_links, up_cut = _walk_links(document, upward=True, limit=limit)
    descendants, down_links, down_cut = _walk_links(document, upward=False, limit=limit)
    links = {link.id: link for link in (*up_links, *down_links)}
    ordered = sorted(links.values(), key=lambda link: (str(link.child_id), link.position))
    return Lineage(document, ancestors, descendants, ordered, up_cut or down_cut)


def _walk_links(
    document: Document, *, upward: bool, limit: int
) -> tuple[list[tuple[Document, int]], list[DocumentParent], bool]:
    seen = {document.id}
    frontier = [document.id]
    found: list[tuple[Document, int]] = []
    links: list[DocumentParent] = []
    depth = 0
    # Both ends are filtered by project: links never cross projects, and this makes sure of it.
    scope = Q(child__project_id=document.project_id, parent__project_id=document.project_id)
    while frontier:
        depth += 1
        near = "child_id" if upward else "parent_id"
        far = "parent" if upward else "child"
        step = list(
            DocumentParent.objects.filter(scope, **{f"{near}__in": frontier}).select_related(far).order_by("position")
        )
        links += step
        frontier = []
        for link in step:
            other: Document = getattr(link, far)
            if other.id in seen:
                continue
            if len(found) >= limit:
                return found, links, True
            seen.add(other.id)
            frontier.append(other.id)
            found.append((other, depth))
    return found, links, False


# --- Listing --------------------------------------------------------------------------------


def documents_for_project(
    *,
    project: Project,
    thread: Thread | None = None,
    operation: str | None = None,
    model_provider: str | None = None,
    model_name: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[Document]:
    """The project's documents matching every filter given, newest first."""
    queryset = Document.objects.filter(project=project)
    if thread is not None:
        queryset = queryset.filter(thread=thread)
    if operation:
        queryset = queryset.filter(operation=operation)
    if model_provider:
        queryset = queryset.filter(model_provider=model_provider)
    if model_name:
        queryset = queryset.filter(model_name=model_name)
    if created_after is not None:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before is not None:
        queryset = queryset.filter(created_at__lt=created_before)
    return queryset.order_by("-created_at", "-id")


# --- Retention ------------------------------------------------------------------------------


def documents_purge_unreferenced(*, days: int | None = None, now: datetime | None = None) -> int:
    """Delete thread uploads older than `days` (EASEL_UPLOAD_RETENTION_DAYS) that no document
    derives from and no message attaches; the number deleted. 0 days deletes nothing.

    Assistant documents are kept: they were attached to the assistant on purpose.
    """
    days = settings.EASEL_UPLOAD_RETENTION_DAYS if days is None else days
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    candidates = list(
        Document.objects.filter(
            operation=Document.Operation.UPLOAD,
            created_at__lt=cutoff,
            thread__isnull=False,
            message__isnull=True,
            message_inputs__isnull=True,
            child_links__isnull=True,
            children__isnull=True,
        )
    )
    purged = 0
    for document in candidates:
        with transaction.atomic():
            # Checked again under the transaction: a new edit or turn may have used it meanwhile.
            if _still_used(document):
                continue
            document_delete(document=document)
        purged += 1
    if purged:
        logger.info("purged %d unreferenced uploads older than %d days", purged, days)
    return purged


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _still_used(document: Document) -> bool:
    return (
        DocumentParent.objects.filter(parent_id=document.id).exists()
        or MessageInput.objects.filter(document_id=document.id).exists()
    )


def storage_orphans_purge(*, grace: timedelta = ORPHAN_GRACE, now: datetime | None = None) -> int:
    """Delete stored files no document uses, older than `grace`; the number deleted.

    Orphans come from a crash between writing a file and committing its row, or a failed
    deletion; the grace period leaves files of creations still in flight alone.
    """
    storage = file_storage()
    cutoff = (now or timezone.now()) - grace
    live_projects = {str(pk) for pk in Project.objects.values_list("id", flat=True)}
    try:
        project_dirs, _ = storage.listdir("projects")
    except FileNotFoundError:
        return 0
    purged = 0
    for project_id in filter(_is_uuid, project_dirs):
        # A deleted project's files are all unused; the others are checked name by name.
        used: set[str] = set()
        if project_id in live_projects:
            used = names_used(Document.objects.filter(project_id=project_id))
        stale = [
            name
            for name in _walk(storage, project_prefix(project_id))
            if name not in used and storage.get_modified_time(name) < cutoff
        ]
        purged += len(release_files(project_id=project_id, names=stale))
    return purged
