"""`GET /healthz`: is the database, the broker and the storage usable?"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.db import connection
from django.http import HttpRequest, JsonResponse


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True, "engine": connection.vendor}


def _broker() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "kind": "embedded", "detail": "runs execute in the web process"}
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    client.ping()
    return {"ok": True, "kind": "redis"}


def _storage() -> dict:
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}", ContentFile(b"ok"))
    default_storage.delete(name)
    # default_storage is a lazy wrapper; name the backend actually configured.
    return {"ok": True, "backend": type(storages["default"]).__name__}


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {}
    for name, check in (("database", _database), ("broker", _broker), ("storage", _storage)):
        try:
            checks[name] = check()
        except Exception as exc:  # a health check reports failures, it does not raise them
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "execution": settings.EASEL_EXECUTION, **checks},
        status=200 if healthy else 503,
    )
