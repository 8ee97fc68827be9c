"""Who is calling the API: a project, through one of its keys (`X-API-Key`), or a signed-in
member of a project (the dashboard: session cookie, CSRF token, and the project named by the
`X-Easel-Project` header or the session's current project).

Keys are 'esk_' plus 43 random characters, made in `designs.keys` (services make keys too, and
speak no DRF); only their SHA-256 is stored (a fast hash is right for high-entropy secrets), with
a visible prefix so people can tell keys apart.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from rest_framework import authentication, exceptions

from designs.keys import hash_key
from designs.models import ApiKey, Membership, Project

LAST_USED_RESOLUTION = timedelta(minutes=1)
SESSION_PROJECT_KEY = "easel_project_id"
PROJECT_HEADER = "X-Easel-Project"


@dataclass(frozen=True)
class ApiCaller:
    """The authenticated principal of an API request: a project, through a key or a member."""

    project: Project
    api_key: ApiKey | None = None
    user: Any = None
    role: str | None = None  # the member's role, or the key's (member, reviewer or admin)

    is_authenticated = True
    is_anonymous = False

    @property
    def pk(self) -> str:  # DRF throttles and logging look for it
        return str(self.api_key.pk if self.api_key else self.project.pk)

    @property
    def via(self) -> str:
        """How the call came, for the audit trail: a key's is the API's, a session's the dashboard's."""
        return "api" if self.api_key is not None else "ui"


def authenticate_key(raw: str | None) -> ApiCaller:
    """The caller for a raw key; raises NotAuthenticated / AuthenticationFailed (401)."""
    if not raw:
        raise exceptions.NotAuthenticated("Missing API key: send it in the X-API-Key header")
    key = (
        ApiKey.objects.select_related("project")
        .filter(hashed_key=hash_key(raw.strip()), revoked_at__isnull=True)
        .first()
    )
    if key is None:
        raise exceptions.AuthenticationFailed("Invalid API key")
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return ApiCaller(project=key.project, api_key=key, role=key.role)


def member_caller(request: Any, user: Any) -> ApiCaller:
    """The caller for a signed-in user: the project they chose, if they are a member of it."""
    raw = request.headers.get(PROJECT_HEADER) or request.session.get(SESSION_PROJECT_KEY)
    try:
        # Parsed here: Django's UUIDField would raise its own ValidationError, which no one
        # turns into a 4xx. A malformed id is "not found", like another project's.
        project_id = uuid.UUID(str(raw)) if raw else None
    except ValueError:
        project_id = None
    membership = None
    if project_id is not None:
        membership = Membership.objects.select_related("project").filter(user=user, project_id=project_id).first()
    if membership is None:
        raise exceptions.NotFound("Project not found")
    return ApiCaller(project=membership.project, user=user, role=membership.role)


def enforce_csrf(request: Any) -> None:
    """Session-authenticated writes need Django's CSRF token, as any form post would."""
    check = CsrfViewMiddleware(lambda r: None)
    check.process_request(request)
    refusal = check.process_view(request, None, (), {})
    if refusal is not None:
        raise exceptions.PermissionDenied("CSRF check failed: send the csrftoken cookie's value as X-CSRFToken")


def authenticate_request(
    request: Any, user: Any = None, *, reviewer_writes: bool = False, generates: bool = False
) -> ApiCaller:
    """X-API-Key first; otherwise the signed-in session user (with CSRF for unsafe methods).

    A reviewer (a member, or a key, of that role) only reads, except on the review routes
    (`reviewer_writes`: decide, comment, resolve, revise), and never starts a turn (`generates`:
    a run costs money and is not theirs to start). Refused before anything is read or stored."""
    raw = request.headers.get("X-API-Key")
    unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
    if raw is None and user is not None and user.is_authenticated:
        caller = member_caller(request, user)
        if unsafe:
            enforce_csrf(request)
    else:
        caller = authenticate_key(raw)
    if unsafe and caller.role == Membership.Role.REVIEWER:
        if generates:
            raise exceptions.PermissionDenied("Reviewers cannot generate images")
        if not reviewer_writes:
            raise exceptions.PermissionDenied("Reviewers have read-only access to a project")
    return caller


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request) -> tuple[ApiCaller, ApiKey | None] | None:
        user = None
        if request.headers.get("X-API-Key") is None:
            user = getattr(request._request, "user", None)
        # A review view says reviewers may write to it (designs/api/review.py).
        view = (request.parser_context or {}).get("view")
        caller = authenticate_request(request._request, user, reviewer_writes=getattr(view, "reviewer_writes", False))
        return caller, caller.api_key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when the key is missing or wrong.
        return "X-API-Key"
