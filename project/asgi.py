"""ASGI entry point: HTTP to Django; websockets (the event feeds) to Channels."""

from __future__ import annotations

import logging
import os
import re

import django
from django.core.handlers.asgi import ASGIHandler

from designs import trace

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")


class StreamingASGIHandler(ASGIHandler):
    """Django's handler, except that the streaming endpoints get no thread of their own.

    Django gives every request a ThreadSensitiveContext, i.e. a thread for the request's sync
    middleware hooks and signal receivers that lives until the response ends: an idle thread
    (measured ~28 KiB of RSS) per open SSE stream, for minutes. These endpoints are async
    views whose database work runs on the shared executor (designs.db), so their only
    thread-sensitive work is those microsecond hooks, which can share asgiref's one
    process-wide sync thread. Every other request keeps Django's behaviour.
    """

    async def __call__(self, scope, receive, send):
        # Which paths stream is declared once, on the views (designs.streaming.event_stream_view).
        from designs.streaming import is_event_stream_path

        if scope["type"] == "http" and is_event_stream_path(scope.get("path", "")):
            trace.begin("asgi")
            with_key = any(name == b"x-api-key" for name, _ in scope.get("headers", ()))
            handler = api_key_streams if with_key else self
            await handler.handle(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class ApiKeyStreamHandler(StreamingASGIHandler):
    """The streaming endpoints called with an X-API-Key: the same views without the middleware
    that only a person's browser session needs (session, CSRF, user, messages, sign-in lockout).

    Those are Django's sync middleware: in an async request each of their hooks is a hop to the
    process's one sync thread, about a dozen per request, which every request in the process
    queues for. A key's call never reads a session (the views check X-API-Key first, and these
    views are CSRF-exempt), so its time to first event does not pay for them.
    """

    SESSION_ONLY = frozenset(
        {
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "axes.middleware.AxesMiddleware",
        }
    )

    def load_middleware(self, is_async: bool = False) -> None:
        # Built once, at import, before any request: the full list is put back at once.
        from django.conf import settings

        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [path for path in full if path not in self.SESSION_ONLY]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class RedactSecrets(logging.Filter):
    """Access log lines name the path, never the query, and never an invitation's token: media
    URLs carry their signature in the query (`?expires=&sig=`) and invitation links their secret
    in the path, and a log is read by more people than the links were meant for."""

    TOKEN_PATH = re.compile(r"^(/accounts/invitations/)[^/]+")

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = self.TOKEN_PATH.sub(r"\1…", args[2].split("?", 1)[0])
            record.args = (*args[:2], path, *args[3:])
        return True


logging.getLogger("uvicorn.access").addFilter(RedactSecrets())

# Initialise Django before importing anything that touches models.
django.setup(set_prefix=False)
django_asgi_app = StreamingASGIHandler()
api_key_streams = ApiKeyStreamHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from designs.consumers import websocket_urlpatterns  # noqa: E402
from designs.ws_auth import WebsocketAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebsocketAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)

if settings.EASEL_EXECUTION == "embedded":
    from workers.liveness import start_embedded_sweeper

    start_embedded_sweeper()
