"""Who is on a websocket: an API client (X-API-Key header) or a signed-in browser (session).

Origin is checked for every connection that sends one (browsers always do): only this
service's own hosts may open a feed with a session cookie, so another site cannot ride a
signed-in user's cookie. Anyone else is refused before the websocket is accepted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import validate_host
from rest_framework import exceptions as drf_exceptions

from designs.auth import authenticate_key


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def origin_allowed(origin: str | None) -> bool:
    if origin is None:
        return True  # not a browser
    host = urlsplit(origin).hostname or ""
    trusted = {urlsplit(o).hostname for o in settings.CSRF_TRUSTED_ORIGINS}
    return host in trusted or validate_host(host, settings.ALLOWED_HOSTS)


@database_sync_to_async
def _caller_project_id(raw_key: str) -> str | None:
    try:
        return str(authenticate_key(raw_key).project.id)
    except drf_exceptions.APIException:
        return None


class _ApiKeyMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        raw_key = _header(scope, b"x-api-key")
        scope = {
            **scope,
            "easel_project_id": await _caller_project_id(raw_key) if raw_key else None,
            "easel_key_sent": bool(raw_key),
        }
        if not origin_allowed(_header(scope, b"origin")):
            return await _refuse(receive, send)
        return await self.app(scope, receive, send)


async def _refuse(receive: Any, send: Any) -> None:
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 4403})


def WebsocketAuthMiddleware(app: Any) -> Any:  # noqa: N802 - reads like the Channels stacks it wraps
    return AuthMiddlewareStack(_ApiKeyMiddleware(app))
