"""A project's own provider keys: stored encrypted, shown only by their last four characters.

Keys are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under
EASEL_ENCRYPTION_KEY, or a key derived from SECRET_KEY when that is unset. The plaintext
leaves this module only through `credential_secret`, which the provider registry calls when a
run is about to talk to the provider.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from designs.exceptions import Invalid, NotFound
from designs.models import Project, ProviderCredential

logger = logging.getLogger(__name__)

KEY_MIN_LENGTH = 8
KEY_MAX_LENGTH = 1000
# Printable ASCII without spaces: a key goes into an HTTP header.
_KEY_CHARS = re.compile(r"^[\x21-\x7e]+$")


class CredentialUnreadable(Exception):
    """A stored key cannot be decrypted (EASEL_ENCRYPTION_KEY or SECRET_KEY changed)."""


@dataclass(frozen=True)
class Secret:
    """A decrypted credential. `repr` never shows the key."""

    api_key: str
    base_url: str

    def __repr__(self) -> str:
        return f"Secret(api_key=…{self.api_key[-4:]}, base_url={self.base_url!r})"


def credential_providers() -> list[str]:
    """The providers a project may store a key for: every one this server knows, except local."""
    return list(settings.EASEL_PROVIDERS)


def credential_set(
    *, project: Project, provider: str, api_key: str, base_url: str = "", user: Any = None
) -> ProviderCredential:
    """Store (or replace) the project's key for `provider`; Invalid or NotFound for bad input."""
    if provider not in settings.EASEL_PROVIDERS:
        raise NotFound(f"Unknown provider '{provider}'; choose one of {', '.join(credential_providers())}")
    api_key = _checked_key(api_key)
    base_url = _checked_base_url(base_url)
    credential, _ = ProviderCredential.objects.update_or_create(
        project=project,
        provider=provider,
        defaults={
            "encrypted_key": _fernet().encrypt(api_key.encode()).decode(),
            "base_url": base_url,
            "last4": api_key[-4:],
            "created_by": user if getattr(user, "pk", None) else None,
        },
    )
    logger.info("project %s stored a %s key ending …%s", project.id, provider, credential.last4)
    return credential


def credential_delete(*, project: Project, provider: str) -> bool:
    """Forget the project's key for `provider`; False when there was none."""
    deleted, _ = ProviderCredential.objects.filter(project=project, provider=provider).delete()
    return bool(deleted)


def credential_get(*, project: Project, provider: str) -> ProviderCredential:
    credential = ProviderCredential.objects.filter(project=project, provider=provider).first()
    if credential is None:
        raise NotFound(f"This project has no {provider} key")
    return credential


def credential_secret(*, project_id: Any, provider: str) -> Secret | None:
    """The project's decrypted key for `provider`, or None when it stored none.

    Raises CredentialUnreadable when the stored key cannot be decrypted: falling back to the
    server's key would silently bill someone else.
    """
    row = ProviderCredential.objects.filter(project_id=project_id, provider=provider).first()
    if row is None:
        return None
    try:
        api_key = _fernet().decrypt(row.encrypted_key.encode()).decode()
    except InvalidToken as exc:
        logger.error("the %s key of project %s cannot be decrypted (encryption key changed?)", provider, project_id)
        raise CredentialUnreadable(
            f"The project's stored {provider} key cannot be decrypted on this server; store it again"
        ) from exc
    return Secret(api_key=api_key, base_url=row.base_url)


def _checked_key(api_key: Any) -> str:
    if not isinstance(api_key, str) or not api_key.strip():
        raise Invalid("api_key: a non-empty string is required")
    api_key = api_key.strip()
    if not KEY_MIN_LENGTH <= len(api_key) <= KEY_MAX_LENGTH or not _KEY_CHARS.match(api_key):
        # Never echo the value: it is a secret even when it is malformed.
        raise Invalid(f"api_key: expected {KEY_MIN_LENGTH}-{KEY_MAX_LENGTH} printable characters without spaces")
    return api_key


def _checked_base_url(base_url: Any) -> str:
    if base_url in (None, ""):
        return ""
    if not settings.EASEL_ALLOW_PROJECT_BASE_URLS:
        raise Invalid(
            "base_url: this server does not let projects choose provider URLs (EASEL_ALLOW_PROJECT_BASE_URLS)"
        )
    parts = urlsplit(str(base_url))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise Invalid("base_url: expected an http(s) URL without credentials in it")
    if len(str(base_url)) > 500:
        raise Invalid("base_url: at most 500 characters")
    return str(base_url)


@cache
def _fernet_for(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"easel provider credentials")
        keys = (base64.urlsafe_b64encode(derived.derive(secret_key.encode())).decode(),)
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "EASEL_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated"
        ) from exc


def _fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.EASEL_ENCRYPTION_KEYS), settings.SECRET_KEY)
