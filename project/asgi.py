"""ASGI entry point: HTTP to Django; websockets to Channels (feeds arrive with issue 3)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

# Initialise Django before importing anything that touches models.
django_asgi_app = get_asgi_application()

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
