"""Review comments: notes on an image, optionally on regions of it, and the revise that turns a
set of them into one edit confined to their regions (the masked edit), whose result resolves them.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from designs import events
from designs.catalog import find_image_model
from designs.events import EventType
from designs.exceptions import Forbidden, Invalid, NotFound
from designs.models import Comment, Document, Project
from designs.services.masks import MAX_REGIONS, parse_regions
from designs.services.review import MAX_REASON, Who, audit

MAX_TEXT = 2000
MAX_REVISE_COMMENTS = 32


def comment_add(document: Document, who: Who, *, text: Any, regions: Any = None) -> Comment:
    """A comment on `document`; regions in its pixels (Invalid when outside, empty or too many)."""
    if not isinstance(text, str) or not text.strip():
        raise Invalid("text is required")
    if len(text) > MAX_TEXT:
        raise Invalid(f"text: at most {MAX_TEXT} characters")
    parsed: list[dict[str, Any]] = []
    if regions not in (None, []):
        if document.width is None or document.height is None:
            raise Invalid("regions: the image's size is not known")
        parsed = parse_regions(regions, size=(document.width, document.height))
    with transaction.atomic():
        comment = Comment.objects.create(
            project_id=document.project_id, document=document, text=text.strip(), regions=parsed, **who.fields()
        )
        audit(document.project_id, who, "commented", document=document, reason=comment.text)
        transaction.on_commit(lambda: _announce(comment))
    return comment


def comment_resolve(comment: Comment, who: Who, *, by: Document | None = None) -> Comment:
    """Mark `comment` resolved (by an edit, or by hand); resolving twice changes nothing."""
    if comment.resolved_at is not None:
        return comment
    with transaction.atomic():
        comment.resolved_at = timezone.now()
        comment.resolved_by_document = by
        comment.save(update_fields=["resolved_at", "resolved_by_document"])
        audit(comment.project_id, who, "resolved", document=comment.document, reason=comment.text)
    return comment


def comments_of(project: Project, ids: Any) -> list[Comment]:
    """The project's comments named by `ids`, in order; NotFound for an unknown or foreign id."""
    import uuid

    if not isinstance(ids, list) or not ids:
        raise Invalid("comment_ids must be a non-empty list")
    if len(ids) > MAX_REVISE_COMMENTS:
        raise Invalid(f"comment_ids: at most {MAX_REVISE_COMMENTS}")
    keys = []
    for raw in ids:
        try:
            keys.append(uuid.UUID(str(raw)))
        except ValueError as exc:
            raise NotFound("Comment not found") from exc
    found = {c.id: c for c in Comment.objects.filter(project=project, id__in=keys).select_related("document")}
    if any(key not in found for key in keys):
        raise NotFound("Comment not found")
    return [found[key] for key in dict.fromkeys(keys)]


def revise(
    document: Document, who: Who, *, comment_ids: Any, prompt: Any = "", base_url: str, stream: bool = False
) -> Any:
    """One run that edits `document` inside the comments' regions, with a prompt built from them.

    Its image starts `pending` (a new version of a reviewed image) and resolves the comments.
    Reviewers may revise: applying their comments is the review, not new generation.
    """
    from designs.services.turns import turn_accept  # turns imports the review rules it enforces

    if who.role not in ("owner", "admin", "member", "reviewer", "staff"):
        raise Forbidden("This key cannot revise images")
    if not isinstance(prompt, str) or len(prompt) > MAX_REASON:
        raise Invalid(f"prompt: text of at most {MAX_REASON} characters")
    comments = comments_of(document.project, comment_ids)
    for comment in comments:
        if comment.document_id != document.id:
            raise Invalid(f"comment {comment.id} is on another image; revise that image with it")
    regions = [region for comment in comments for region in comment.regions]
    if len(regions) > MAX_REGIONS:
        raise Invalid(f"The comments have {len(regions)} regions; at most {MAX_REGIONS} fit one edit")
    lines = "\n".join(f"- {comment.text}" for comment in comments)
    content = f"Revise the image as the reviewers asked:\n{lines}" + (f"\n{prompt.strip()}" if prompt.strip() else "")
    data: dict[str, Any] = {
        "content": content,
        "operation": "generate_image",
        "input_image_document_ids": [str(document.id)],
        "regions": regions or None,
        "stream": stream,
    }
    if document.thread_id:
        data["thread_id"] = str(document.thread_id)
    if find_image_model(document.model_provider, document.model_name) is not None:
        data.update(image_model_provider=document.model_provider, image_model_name=document.model_name)
    with transaction.atomic():
        turn = turn_accept(project=document.project, data=data, uploads={}, base_url=base_url, api_key=who.api_key)
        Comment.objects.filter(id__in=[c.id for c in comments]).update(revise_run=turn.run)
        audit(document.project_id, who, "revised", document=document, prompt=content)
    return turn


def resolve_revised(document: Document) -> None:
    """After a revise run stored `document`: its comments are resolved by it."""
    if document.run_id is None:
        return
    for comment in Comment.objects.filter(revise_run_id=document.run_id, resolved_at__isnull=True):
        comment_resolve(comment, Who(role="staff", via="system"), by=document)


def _announce(comment: Comment) -> None:
    events.publish_feed(
        project_id=comment.project_id,
        thread_id=comment.document.thread_id,
        type=EventType.COMMENT_ADDED,
        document_id=str(comment.document_id),
        comment_id=str(comment.id),
        text=comment.text,
        regions=comment.regions,
        actor=comment.actor,
    )
