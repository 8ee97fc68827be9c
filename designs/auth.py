"""API key authentication: `X-API-Key: <key>` on every /api request.

Keys are 'esk_' plus 43 random characters; only their SHA-256 is stored (a fast hash is
right for high-entropy secrets), with a visible prefix so people can tell keys apart.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from designs.models import ApiKey, Project

KEY_PREFIX = "esk_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_key_material() -> tuple[str, str, str]:
    """(secret, visible prefix, hash) for a new key."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[:12], hash_key(secret)


@dataclass(frozen=True)
class ApiCaller:
    """The authenticated principal of an API request: a project, through one of its keys."""

    project: Project
    api_key: ApiKey | None = None

    is_authenticated = True
    is_anonymous = False

    @property
    def pk(self) -> str:  # DRF throttles and logging look for it
        return str(self.api_key.pk if self.api_key else self.project.pk)


def authenticate_key(raw: str | None) -> ApiCaller:
    """The caller for a raw key; raises AuthenticationFailed (401) when missing or wrong."""
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
    return ApiCaller(project=key.project, api_key=key)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request) -> tuple[ApiCaller, ApiKey | None]:
        caller = authenticate_key(request.headers.get("X-API-Key"))
        return caller, caller.api_key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when the key is missing or wrong.
        return "X-API-Key"
