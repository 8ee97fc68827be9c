"""API key material: how a secret is made and how it is stored (only its SHA-256)."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "esk_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_key_material() -> tuple[str, str, str]:
    """(secret, visible prefix, hash) for a new key."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[:12], hash_key(secret)
