"""Signed, expiring media URLs and the `media` objects that describe an image to clients.

A URL is `<base>/api/media/<document_id>.<ext>?expires=<unix>&sig=<hmac>`; a plain GET with no
API key can fetch it until it expires. The signature covers the document id and the expiry,
keyed by SECRET_KEY, so neither can be changed.
"""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils.crypto import salted_hmac

from designs.models import Document

_SALT = "easel.media-url"


def signature(document_id: str, expires: int) -> str:
    return salted_hmac(_SALT, f"{document_id}|{expires}", algorithm="sha256").hexdigest()


def signature_valid(document_id: str, expires: str, sig: str) -> tuple[bool, str]:
    """(ok, reason). Constant-time comparison; an expired URL is refused even if signed."""
    if not expires.isdigit() or not sig:
        return False, "Missing or malformed signature"
    if not hmac.compare_digest(signature(document_id, int(expires)), sig):
        return False, "Invalid signature"
    if int(expires) < time.time():
        return False, "This media URL has expired"
    return True, ""


def base_url(fallback: str = "") -> str:
    return (settings.EASEL_PUBLIC_URL or fallback or "http://127.0.0.1:8000").rstrip("/")


def signed_url(document: Document, base: str, *, now: float | None = None) -> tuple[str, int]:
    """(absolute URL, expiry as unix time) for a document's file."""
    expires = int((now or time.time()) + settings.EASEL_MEDIA_URL_TTL)
    query = urlencode({"expires": expires, "sig": signature(str(document.id), expires)})
    return f"{base_url(base)}/api/media/{document.id}.{document.extension}?{query}", expires


def media_payload(document: Document, base: str) -> dict[str, Any]:
    """The `media` object of `media_generated` events and `generated_media` lists."""
    url, expires = signed_url(document, base)
    parent_id = str(document.parent_id) if document.parent_id else None
    return {
        "document_id": str(document.id),
        "url": url,
        "mime_type": document.mime_type,
        "file_size_bytes": document.file_size_bytes,
        "width": document.width,
        "height": document.height,
        "media_type": "image",
        "filename": document.filename,
        "model_provider": document.model_provider,
        "model_name": document.model_name,
        "prompt": document.prompt,
        "revised_prompt": document.revised_prompt,
        "operation": document.operation,
        "input_image_document_id": parent_id,
        "sha256": document.sha256,
        "expires_at": datetime.fromtimestamp(expires, tz=UTC).isoformat().replace("+00:00", "Z"),
    }
