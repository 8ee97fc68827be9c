"""Signed, expiring media URLs: how a client is handed an image's bytes.

A URL is `<base>/api/media/<document_id>.<ext>?expires=<unix>&sig=<hmac>` (the thumbnail:
`<document_id>.thumb.webp`; the display size pages show: `<document_id>.display.webp`); a
plain GET with no API key can fetch it until it expires. The signature covers the document id,
the variant and the expiry, keyed by SECRET_KEY, so none of them can be changed.

How the bytes travel is EASEL_MEDIA_DELIVERY: "stream" (Easel sends them), "redirect" (Easel
checks the signature and the document, then redirects to a presigned bucket URL that lives
EASEL_MEDIA_REDIRECT_TTL seconds) or "public" (the media object carries the bucket's own
unsigned URLs; only for a public bucket or CDN).
"""

from __future__ import annotations

import hmac
import re
import time
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.utils.crypto import salted_hmac

from designs.models import Document

_SALT = "easel.media-url"
# Unix seconds in ASCII digits (12 last until the year 33658), and a SHA-256 in lowercase hex:
# anything else is refused before int() or compare_digest (which rejects non-ASCII) sees it.
_EXPIRES = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
ORIGINAL = "original"
THUMBNAIL = "thumbnail"
DISPLAY = "display"
# The derivatives' URL suffixes. Each variant is named like the Document field holding its file;
# all of them are WebP (designs.services.derivatives).
SUFFIXES = {THUMBNAIL: "thumb.webp", DISPLAY: "display.webp"}


def signature(document_id: str, expires: int, variant: str = ORIGINAL) -> str:
    # The original's message has no variant, so URLs signed before thumbnails existed stay valid.
    subject = document_id if variant == ORIGINAL else f"{document_id}/{variant}"
    return salted_hmac(_SALT, f"{subject}|{expires}", algorithm="sha256").hexdigest()


def signature_valid(document_id: str, expires: str, sig: str, variant: str = ORIGINAL) -> tuple[bool, str]:
    """(ok, reason). Constant-time comparison; an expired URL is refused even if signed."""
    if not _EXPIRES.fullmatch(expires) or not _SIGNATURE.fullmatch(sig):
        return False, "Missing or malformed signature"
    if not hmac.compare_digest(signature(document_id, int(expires), variant), sig):
        return False, "Invalid signature"
    if int(expires) < time.time():
        return False, "This media URL has expired"
    return True, ""


def base_url(fallback: str = "") -> str:
    return (settings.EASEL_PUBLIC_URL or fallback or "http://127.0.0.1:8000").rstrip("/")


def request_base_url(request: Any) -> str:
    """The origin a request came to (`https://host:port`): media URLs built for it resolve there,
    unless EASEL_PUBLIC_URL names the public one (`base_url`)."""
    return request.build_absolute_uri("/").rstrip("/")


def variant_of(suffix: str) -> str:
    """The variant a media URL's suffix (`png`, `thumb.webp`, `display.webp`) names."""
    return next((variant for variant, known in SUFFIXES.items() if known == suffix), ORIGINAL)


def media_path(document: Document, variant: str = ORIGINAL) -> str:
    return f"/api/media/{document.id}.{SUFFIXES.get(variant, document.extension)}"


def signed_url(document: Document, base: str, *, variant: str = ORIGINAL, now: float | None = None) -> tuple[str, int]:
    """(absolute URL, expiry as unix time) for a document's file or one of its derivatives."""
    expires = int((now or time.time()) + settings.EASEL_MEDIA_URL_TTL)
    query = urlencode({"expires": expires, "sig": signature(str(document.id), expires, variant)})
    return f"{base_url(base)}{media_path(document, variant)}?{query}", expires


def stored_file(document: Document, variant: str) -> FieldFile:
    return getattr(document, variant) if variant in SUFFIXES else document.file


def content_type(document: Document, variant: str) -> str:
    return "image/webp" if variant in SUFFIXES else document.mime_type


def storage_url(document: Document, variant: str = ORIGINAL) -> str:
    """The storage's own URL: presigned for EASEL_MEDIA_REDIRECT_TTL, or unsigned when public."""
    stored = stored_file(document, variant)
    if settings.EASEL_MEDIA_DELIVERY == "public":
        return stored.url
    mime_type = content_type(document, variant)
    filename = media_path(document, variant).rsplit("/", 1)[-1]
    # Shared files are named by hash; the response still names the document and its type.
    parameters = {"ResponseContentType": mime_type, "ResponseContentDisposition": f'inline; filename="{filename}"'}
    return stored.storage.url(stored.name, parameters=parameters, expire=settings.EASEL_MEDIA_REDIRECT_TTL)


def media_urls(document: Document, base: str) -> dict[str, Any]:
    """`url`, `thumbnail_url` and `expires_at` of a document, as this deployment hands them out.

    A generated image's thumbnail is made just after its `media_generated` event: until then
    `thumbnail_url` is the image's own URL, so it never names a file that is not there yet."""
    has_thumbnail = bool(document.thumbnail)
    if settings.EASEL_MEDIA_DELIVERY == "public":
        url = storage_url(document)
        return {
            "url": url,
            "thumbnail_url": storage_url(document, THUMBNAIL) if has_thumbnail else url,
            "expires_at": None,
        }
    url, expires = signed_url(document, base)
    thumbnail_url = signed_url(document, base, variant=THUMBNAIL)[0] if has_thumbnail else url
    expires_at = datetime.fromtimestamp(expires, tz=UTC).isoformat().replace("+00:00", "Z")
    return {"url": url, "thumbnail_url": thumbnail_url, "expires_at": expires_at}


def _stable_now() -> float:
    # Signing with a rounded clock gives the same URL to every render within the step, so the
    # browser's cache serves a reloaded page's images instead of fetching them again.
    step = max(1, min(3600, settings.EASEL_MEDIA_URL_TTL // 10))
    return float(int(time.time()) // step * step)


class PageUrls(NamedTuple):
    """A document's URLs for a page: its image's, and each derivative's (None when it has none)."""

    url: str
    thumbnail: str | None
    display: str | None


def page_urls(document: Document, base: str) -> PageUrls:
    if settings.EASEL_MEDIA_DELIVERY == "public":
        return PageUrls(
            storage_url(document),
            storage_url(document, THUMBNAIL) if document.thumbnail else None,
            storage_url(document, DISPLAY) if document.display else None,
        )
    now = _stable_now()
    url = signed_url(document, base, now=now)[0]
    thumbnail = signed_url(document, base, variant=THUMBNAIL, now=now)[0] if document.thumbnail else None
    display = signed_url(document, base, variant=DISPLAY, now=now)[0] if document.display else None
    return PageUrls(url, thumbnail, display)
