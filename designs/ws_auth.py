"""Who is on a websocket: an API client (X-API-Key header) or a signed-in browser (session).

Origin is checked for every connection that sends one (browsers always do), by the rule of
Django's CSRF check: only this service's own origin or a trusted one may open a feed with a
session cookie, so another site (another port or scheme of the same host included) cannot ride
a signed-in user's cookie. Anyone else is refused before the websocket is accepted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain
from rest_framework import exceptions as drf_exceptions

from designs.auth import authenticate_key


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def origin_allowed(scope: dict, origin: str | None) -> bool:
    """The Origin rule of Django's CSRF check (`CsrfViewMiddleware._origin_verified`), for sockets.

    An Origin is good when it is exactly this request's own origin (scheme, host and port, the
    host in ALLOWED_HOSTS) or one of CSRF_TRUSTED_ORIGINS (with their `*.` subdomain patterns).
    A host name alone is not enough: a page on another port or scheme of the same host is
    another site. `null` (sandboxed frames, file pages) is never good. No Origin at all is not a
    browser, so there is no ambient cookie to ride and the key or session is what counts.
    """
    if origin is None:
        return True
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    host = _header(scope, b"host") or ""
    own = f"{'https' if _is_secure(scope) else 'http'}://{host}"
    if origin == own and validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        return True
    return any(
        trusted.scheme == parts.scheme and is_same_domain(parts.netloc, trusted.netloc.lstrip("*"))
        for trusted in map(urlsplit, settings.CSRF_TRUSTED_ORIGINS)
        if "*" in trusted.netloc
    )


def _is_secure(scope: dict) -> bool:
    """wss, or plain ws behind a TLS proxy that says so in SECURE_PROXY_SSL_HEADER (as Django trusts it)."""
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if not proxy:
        return False
    header, secure_value = proxy
    name = header.removeprefix("HTTP_").replace("_", "-").lower().encode()
    value = _header(scope, name)
    return value is not None and value.split(",", 1)[0].strip() == secure_value


@database_sync_to_async
def caller_ids(raw_key: str) -> tuple[str | None, str | None]:
    """(project id, key id) of a raw API key; (None, None) for a wrong one."""
    try:
        caller = authenticate_key(raw_key)
    except drf_exceptions.APIException:
        return None, None
    return str(caller.project.id), str(caller.api_key.id) if caller.api_key else None


class _ApiKeyMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        raw_key = _header(scope, b"x-api-key")
        project_id, key_id = await caller_ids(raw_key) if raw_key else (None, None)
        scope = {
            **scope,
            "easel_project_id": project_id,
            "easel_api_key_id": key_id,  # websockets are limited per key (designs.ws_slots)
            "easel_key_sent": bool(raw_key),
        }
        if not origin_allowed(scope, _header(scope, b"origin")):
            return await _refuse(receive, send)
        return await self.app(scope, receive, send)


async def _refuse(receive: Any, send: Any) -> None:
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 4403})


def WebsocketAuthMiddleware(app: Any) -> Any:  # noqa: N802 - reads like the Channels stacks it wraps
    return AuthMiddlewareStack(_ApiKeyMiddleware(app))
