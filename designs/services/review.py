"""Review: a project's policy, the status a new image starts with, decisions, delivery gating,
and the audit entry every one of them writes.

Who may do what: owners, admins and reviewers decide (an API key by its role: reviewer or admin);
members comment and see status; reviewers never generate. Every action names its actor (a user, a
key by its prefix, or Easel) and the way it came (`ui`, `api`, `admin`, `system`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from designs import events
from designs.events import EventType
from designs.exceptions import Conflict, Forbidden, Invalid, NotFound
from designs.models import (
    ApiKey,
    AuditEntry,
    Comment,
    Document,
    Project,
    ReviewDecision,
    ReviewPolicy,
    ReviewStatus,
    Via,
)
from designs.payloads import decision_payload
from designs.services import moderation
from designs.services.webhooks import webhook_emit

DECIDERS = frozenset({"owner", "admin", "reviewer", "staff"})
POLICY_EDITORS = frozenset({"owner", "admin", "staff"})
KEY_ROLES = ("member", "reviewer", "admin")
FINAL = frozenset({ReviewStatus.APPROVED, ReviewStatus.CHANGES_REQUESTED, ReviewStatus.REJECTED})
MAX_REASON = 2000
MAX_BLOCKED_TERMS = 200
MAX_APPROVALS = 10


@dataclass(frozen=True)
class Who:
    """The actor of a review action: a user (by membership role, or Django staff), a key, or Easel."""

    role: str
    via: str
    user: Any = None
    api_key: ApiKey | None = None

    @property
    def label(self) -> str:
        if self.user is not None:
            return str(getattr(self.user, "email", "") or self.user.get_username())[:200]
        if self.api_key is not None:
            return f"key {self.api_key.prefix}…"
        return "Easel"

    @property
    def can_decide(self) -> bool:
        return self.role in DECIDERS

    @property
    def can_generate(self) -> bool:
        return self.role != "reviewer"

    def fields(self) -> dict[str, Any]:
        """The Actor columns of a decision or comment."""
        return {"actor_user": self.user, "actor_key": self.api_key, "actor": self.label, "via": self.via}


EASEL = Who(role="staff", via=Via.SYSTEM)


def audit(project_id: Any, who: Who, action: str, *, document: Document | None = None, **fields: Any) -> AuditEntry:
    """Write one audit entry (never updated, never deleted)."""
    return AuditEntry.objects.create(
        project_id=project_id,
        document_id=document.id if document is not None else None,
        actor=who.label,
        actor_user_id=getattr(who.user, "pk", None),
        actor_key_prefix=who.api_key.prefix if who.api_key is not None else "",
        via=who.via,
        action=action,
        model=f"{document.model_provider}/{document.model_name}".strip("/") if document is not None else "",
        **fields,
    )


# --- policy -----------------------------------------------------------------------------------


def policy_of(project: Project | Any) -> ReviewPolicy:
    """The project's policy; an unsaved default (everything off) when it never set one."""
    project_id = getattr(project, "id", project)
    return ReviewPolicy.objects.filter(project_id=project_id).first() or ReviewPolicy(project_id=project_id)


def policy_update(project: Project, who: Who, changes: dict[str, Any]) -> ReviewPolicy:
    """Change some of the policy's fields; Forbidden unless an owner or admin; Invalid for bad values."""
    if who.role not in POLICY_EDITORS:
        raise Forbidden("Only owners and admins change the review policy")
    policy = policy_of(project)
    for name in ("required", "gate_delivery"):
        if name in changes:
            if not isinstance(changes[name], bool):
                raise Invalid(f"{name} must be true or false")
            setattr(policy, name, changes[name])
    if "approvals_needed" in changes:
        value = changes["approvals_needed"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_APPROVALS:
            raise Invalid(f"approvals_needed must be a whole number from 1 to {MAX_APPROVALS}")
        policy.approvals_needed = value
    if "blocked_terms" in changes:
        policy.blocked_terms = _terms(changes["blocked_terms"])
    unknown = set(changes) - {"required", "gate_delivery", "approvals_needed", "blocked_terms"}
    if unknown:
        raise Invalid(f"Unknown policy field(s): {', '.join(sorted(unknown))[:200]}")
    with transaction.atomic():
        policy.save()
        summary = ", ".join(f"{k}={changes[k]!r}" for k in sorted(changes))
        audit(project.id, who, "policy_updated", reason=summary[:MAX_REASON])
    return policy


def _terms(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise Invalid("blocked_terms must be a list of words or phrases")
    terms = list(dict.fromkeys(t.strip() for t in value if t.strip()))
    if len(terms) > MAX_BLOCKED_TERMS or any(len(t) > 100 for t in terms):
        raise Invalid(f"blocked_terms: at most {MAX_BLOCKED_TERMS} terms of at most 100 characters")
    return terms


# --- a new image -------------------------------------------------------------------------------


def review_new_image(document: Document) -> Document:
    """Set where a freshly generated image starts: flags from moderation, then `pending` when the
    policy requires review, when it was flagged, or when it is a new version of a reviewed image
    (approval never carries from parent to child), or when it is a revise made from comments;
    otherwise `unreviewed`."""
    policy = policy_of(document.project_id)
    flags = moderation.classify(document, terms=policy.blocked_terms)
    parent_status = Document.objects.filter(pk=document.parent_id).values_list("review_status", flat=True).first()
    reviewed_parent = parent_status not in (None, ReviewStatus.UNREVIEWED)
    # A revise applies reviewers' comments: its result goes back to them, whatever the policy.
    revised = document.run_id is not None and Comment.objects.filter(revise_run_id=document.run_id).exists()
    pending = policy.required or bool(flags) or reviewed_parent or revised
    status = ReviewStatus.PENDING if pending else ReviewStatus.UNREVIEWED
    Document.objects.filter(pk=document.pk).update(review_status=status, flags=flags)
    document.review_status, document.flags = status, flags
    if flags:
        audit(
            document.project_id,
            EASEL,
            "flagged",
            document=document,
            to_status=status,
            reason="; ".join(f["label"] for f in flags)[:MAX_REASON],
            reason_code=flags[0]["code"],
            prompt=document.prompt,
        )
    if status == ReviewStatus.PENDING:
        _announce(document, approvals=0)
    return document


def record_refusal(*, project_id: Any, prompt: str, model: str, reason: str, reason_code: str) -> AuditEntry:
    """A provider refused to make an image: kept in the audit trail with its stable reason code."""
    return AuditEntry.objects.create(
        project_id=project_id,
        actor="Easel",
        via=Via.SYSTEM,
        action="refused",
        reason=reason[:MAX_REASON],
        reason_code=reason_code,
        prompt=prompt,
        model=model,
    )


# --- decisions ---------------------------------------------------------------------------------


def decide(document: Document, who: Who, decision: str, *, reason: str = "", reason_code: str = "") -> Document:
    """Record `who`'s decision on `document` and move its status. Forbidden for a role that does
    not decide, Invalid for a bad decision or reason, Conflict for a decided or superseded image or
    a second decision by the same person."""
    if not who.can_decide:
        raise Forbidden("Only owners, admins and reviewers decide on images; members can comment")
    _check_decision(decision, reason, reason_code)
    with transaction.atomic():
        current = Document.objects.select_for_update().get(pk=document.pk)
        _check_open(current, who)
        decision_row = ReviewDecision.objects.create(
            project_id=current.project_id,
            document=current,
            decision=decision,
            reason=reason,
            reason_code=reason_code,
            **who.fields(),
        )
        approvals = approvals_of(current)
        if decision == ReviewDecision.Decision.APPROVED:
            needed = policy_of(current.project_id).approvals_needed
            status = ReviewStatus.APPROVED if approvals >= needed else ReviewStatus.PENDING
        else:
            status = decision
        before = current.review_status
        Document.objects.filter(pk=current.pk).update(review_status=status)
        current.review_status = status
        audit(
            current.project_id,
            who,
            "decided",
            document=current,
            from_status=before,
            to_status=status,
            reason=reason,
            reason_code=reason_code or decision,
            prompt=current.prompt,
        )
        webhook_emit(
            current.project_id,
            "review.decided",
            lambda: {
                "document_id": str(current.id),
                "thread_id": str(current.thread_id) if current.thread_id else None,
                "review_status": status,
                "previous_status": before,
                "approvals": approvals,
                "decision": decision_payload(decision_row),
            },
        )
        transaction.on_commit(lambda: _announce(current, approvals=approvals, decision=decision))
    return current


def _check_decision(decision: Any, reason: Any, reason_code: Any) -> None:
    if decision not in ReviewDecision.Decision.values:
        raise Invalid(f"decision must be one of {', '.join(ReviewDecision.Decision.values)}")
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise Invalid(f"reason must be text of at most {MAX_REASON} characters")
    if not isinstance(reason_code, str) or len(reason_code) > 64:
        raise Invalid("reason_code must be text of at most 64 characters")


def _check_open(document: Document, who: Who) -> None:
    if document.operation == Document.Operation.MASK:
        raise Invalid("A mask is not reviewed: review the image it was used on")
    if document.review_status in FINAL:
        raise Conflict(f"Document {document.id} is already {document.review_status}; decisions are final")
    newer = Document.objects.filter(parent=document).exclude(review_status=ReviewStatus.UNREVIEWED).first()
    if newer is not None:
        raise Conflict(f"Document {document.id} is superseded by a newer version ({newer.id}); review that one")
    if decision_by(document, who) is not None:
        raise Conflict(f"You already decided on document {document.id}; another reviewer must add the next approval")


def decision_by(document: Document, who: Who) -> ReviewDecision | None:
    """`who`'s decision on `document` (a person or key decides once); None for Easel's."""
    if who.user is not None:
        mine = ReviewDecision.objects.filter(document=document, actor_user=who.user)
    elif who.api_key is not None:
        mine = ReviewDecision.objects.filter(document=document, actor_key=who.api_key)
    else:
        return None
    return mine.order_by("-created_at").first()


def approvals_of(document: Document) -> int:
    """Distinct people (or keys) who approved `document`."""
    return approvals_by_document([document.id]).get(document.id, 0)


def approvals_by_document(ids: list[Any]) -> dict[Any, int]:
    """Distinct approvers of each of the documents `ids` (one query for a page of them)."""
    rows = ReviewDecision.objects.filter(document_id__in=ids, decision=ReviewDecision.Decision.APPROVED)
    people: dict[Any, set[tuple[Any, ...]]] = {}
    for document_id, *person in rows.values_list("document_id", "actor_user_id", "actor_key_id", "actor"):
        people.setdefault(document_id, set()).add(tuple(person))
    return {document_id: len(found) for document_id, found in people.items()}


def bulk_decide(project: Project, who: Who, ids: Any, decision: str, *, reason: str = "") -> list[dict[str, Any]]:
    """Each id decided on its own: one foreign or decided id fails only itself."""
    if not isinstance(ids, list) or not ids:
        raise Invalid("document_ids must be a non-empty list")
    if len(ids) > 500:
        raise Invalid(f"document_ids: {len(ids)} ids is over the limit of 500")
    if not who.can_decide:
        raise Forbidden("Only owners, admins and reviewers decide on images; members can comment")
    _check_decision(decision, reason, "")  # a bad decision or reason is the whole request's 400
    results = []
    for raw in ids:
        try:
            document = document_of(project, raw)
            decided = decide(document, who, decision, reason=reason)
            results.append({"document_id": str(document.id), "ok": True, "review_status": decided.review_status})
        except (Invalid, NotFound, Conflict) as exc:
            results.append({"document_id": str(raw)[:64], "ok": False, "detail": exc.detail})
    return results


def document_of(project: Project, raw: Any) -> Document:
    """The project's reviewable document named by `raw`; NotFound for anything else."""
    try:
        key = uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound("Document not found") from exc
    document = Document.objects.filter(project=project, id=key).exclude(operation=Document.Operation.MASK).first()
    if document is None:
        raise NotFound("Document not found")
    return document


# --- delivery ----------------------------------------------------------------------------------


def delivery_blockers(document: Document) -> list[str]:
    """Why `document` may not be delivered now ([] when it may): only when the policy gates it."""
    policy = policy_of(document.project_id)
    if not policy.gate_delivery or document.review_status == ReviewStatus.APPROVED:
        return []
    blockers = [f"review: {document.review_status.replace('_', ' ')}"]
    if document.review_status in (ReviewStatus.PENDING, ReviewStatus.UNREVIEWED):
        blockers.append(f"approvals: {approvals_of(document)} of {policy.approvals_needed}")
    blockers += [f"flag: {flag.get('label')}" for flag in document.flags or []]
    return blockers


def _announce(document: Document, *, approvals: int, decision: str | None = None) -> None:
    events.publish_feed(
        project_id=document.project_id,
        thread_id=document.thread_id,
        type=EventType.REVIEW_UPDATED,
        document_id=str(document.id),
        review_status=document.review_status,
        flags=document.flags or [],
        approvals=approvals,
        decision=decision,
    )
