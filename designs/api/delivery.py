"""Delivery gating: whether an image's bytes may leave Easel now, at the edges that hand them out.

When a project's review policy has `gate_delivery`, an image that is not approved is refused
(403 `{"detail", "review_status", "blockers"}`) to whoever holds only its signed URL, and to API
keys of the member role at `GET /api/documents/{id}/content`. Signed-in members of its project
(the dashboard shows them every image, gated or not) and Django staff (the admin shows it to
decide on) are served. With the policy off, nothing here changes an answer.

Cheap on purpose: an approved image costs no query; any other, one policy read (and, only when
it is refused, one count of approvals and, for a signed-in caller, one membership read).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from designs.models import Document, Membership, ReviewStatus
from designs.services.review import delivery_blockers

# Key roles that fetch an image whatever its review status (they are the ones who review it).
UNGATED_KEY_ROLES = frozenset({"reviewer", "admin"})


def blockers_of(document: Document) -> list[str]:
    """[] when `document` may be delivered now; otherwise what it waits on."""
    if document.review_status == ReviewStatus.APPROVED:
        return []
    return delivery_blockers(document)


def refusal(document: Document, blockers: list[str]) -> JsonResponse:
    status = document.review_status.replace("_", " ")
    detail = f"This image is not delivered until it is approved in review (it is {status})"
    body = {"detail": detail, "review_status": document.review_status, "blockers": blockers}
    response = JsonResponse(body, status=403)
    response["Cache-Control"] = "no-store"  # an approval changes the answer
    return response


def sees_gated_images(user: Any, document: Document) -> bool:
    """A signed-in member of the document's project, or active Django staff."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_active and user.is_staff:
        return True
    return Membership.objects.filter(user=user, project_id=document.project_id).exists()


def signed_media_refusal(request: HttpRequest, document: Document) -> JsonResponse | None:
    """The 403 a signed media URL answers for a gated image, or None to serve it."""
    blockers = blockers_of(document)
    if not blockers or sees_gated_images(getattr(request, "user", None), document):
        return None
    return refusal(document, blockers)


def content_refusal(caller: Any, document: Document) -> JsonResponse | None:
    """The 403 `GET /api/documents/{id}/content` answers, or None to serve it: only keys of a
    role that does not review are gated (signed-in members see every image of their project)."""
    api_key = getattr(caller, "api_key", None)
    if api_key is None or api_key.role in UNGATED_KEY_ROLES:
        return None
    blockers = blockers_of(document)
    return refusal(document, blockers) if blockers else None
