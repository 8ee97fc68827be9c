"""Open websocket feeds per user and per API key: over the limit a feed is closed with 4429, a
closed feed gives its slot back, and in Redis a slot nobody refreshes (a dead process's) lapses.

In-process against the ASGI application (the embedded, in-process count); the count shared by
two web processes through Redis is in test_live_limits.py.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from designs import ws_slots
from designs.models import Membership, Project
from designs.services.projects import api_key_create

pytestmark = pytest.mark.django_db(transaction=True)
HOST = "127.0.0.1:8000"


class Feed:
    """One websocket on a project's feed, held open until closed."""

    def __init__(self, project_id: str, headers: list[tuple[bytes, bytes]]) -> None:
        from project.asgi import application

        path = f"/ws/projects/{project_id}"
        scope = {
            "type": "websocket",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": headers,
            "subprotocols": [],
            "scheme": "ws",
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        self.communicator = ApplicationCommunicator(application, scope)

    async def open(self) -> int | None:
        """None once accepted and still open, else the code it was closed with."""
        await self.communicator.send_input({"type": "websocket.connect"})
        answer = await self.communicator.receive_output(5)
        if answer["type"] != "websocket.accept":
            return answer.get("code", 1000)
        # A refused feed is closed right after its accept (so the client sees the code).
        if await self.communicator.receive_nothing(timeout=0.3):
            return None
        return (await self.communicator.receive_output(1)).get("code", 1000)

    async def close(self) -> None:
        await self.communicator.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.communicator.wait(5)


def _project_with_key() -> tuple[str, str]:
    project = Project.objects.create(name=f"feeds-{time.monotonic_ns()}")
    return str(project.id), api_key_create(project=project)[1]


def _member_headers(project_id: str, email: str) -> list[tuple[bytes, bytes]]:
    user = get_user_model().objects.create_user(username=email, email=email, password="x")
    Membership.objects.create(project_id=project_id, user=user)
    browser = Client()
    browser.force_login(user)
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return [
        (b"host", HOST.encode()),
        (b"origin", f"http://{HOST}".encode()),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
    ]


async def test_a_key_over_its_websockets_is_closed_with_4429_until_one_closes(settings):
    settings.EASEL_MAX_WEBSOCKETS_PER_KEY = 2
    project_id, secret = await sync_to_async(_project_with_key)()
    _other_project, other_secret = await sync_to_async(_project_with_key)()
    headers = [(b"x-api-key", secret.encode())]
    held = [Feed(project_id, headers) for _ in range(2)]
    assert [await feed.open() for feed in held] == [None, None]

    assert await Feed(project_id, headers).open() == 4429
    assert await Feed(_other_project, [(b"x-api-key", other_secret.encode())]).open() is None

    await held[0].close()
    again = Feed(project_id, headers)
    assert await again.open() is None
    for feed in (held[1], again):
        await feed.close()


async def test_a_user_over_their_websockets_is_closed_with_4429_and_another_user_is_not(settings):
    settings.EASEL_MAX_WEBSOCKETS_PER_USER = 1
    project_id, _secret = await sync_to_async(_project_with_key)()
    ann = await sync_to_async(_member_headers)(project_id, "ann@example.com")
    ben = await sync_to_async(_member_headers)(project_id, "ben@example.com")
    first = Feed(project_id, ann)
    assert await first.open() is None

    assert await Feed(project_id, ann).open() == 4429
    bens = Feed(project_id, ben)
    assert await bens.open() is None

    await first.close()
    again = Feed(project_id, ann)
    assert await again.open() is None
    for feed in (bens, again):
        await feed.close()


async def test_a_refused_or_unauthorized_feed_holds_no_slot(settings):
    settings.EASEL_MAX_WEBSOCKETS_PER_KEY = 1
    project_id, secret = await sync_to_async(_project_with_key)()
    other_project, _ = await sync_to_async(_project_with_key)()
    headers = [(b"x-api-key", secret.encode())]
    assert await Feed(other_project, headers).open() == 4404  # another project's feed: no slot taken

    feed = Feed(project_id, headers)
    assert await feed.open() is None
    await feed.close()


@pytest.fixture
def redis_slots(settings, redis_server) -> redis.Redis:
    settings.REDIS_URL = redis_server.url
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()


async def test_in_redis_a_slot_nobody_refreshed_for_a_minute_no_longer_counts(redis_slots):
    principal = f"key:test-{time.monotonic_ns()}"
    now = time.time()
    # Two connections of a process that died a while ago (never released) and one alive.
    redis_slots.zadd(f"easel:ws:{principal}", {"dead-1": now - 120, "dead-2": now - 90, "alive": now})

    first = await ws_slots.slot_claim(principal=principal, limit=2)
    second = await ws_slots.slot_claim(principal=principal, limit=2)

    assert first is not None and second is None
    assert set(redis_slots.zrange(f"easel:ws:{principal}", 0, -1)) == {"alive", first.member}
    await ws_slots.slot_release(first)
    assert redis_slots.zrange(f"easel:ws:{principal}", 0, -1) == ["alive"]


async def test_in_redis_an_open_feed_keeps_refreshing_its_slot(redis_slots, monkeypatch):
    monkeypatch.setattr(ws_slots, "REFRESH_EVERY", 0.2)
    principal = f"user:test-{time.monotonic_ns()}"
    slot = await ws_slots.slot_claim(principal=principal, limit=1)
    claimed_at = redis_slots.zscore(f"easel:ws:{principal}", slot.member)

    keeper = asyncio.create_task(ws_slots.slot_keep(slot))
    await asyncio.sleep(0.5)
    keeper.cancel()

    assert redis_slots.zscore(f"easel:ws:{principal}", slot.member) > claimed_at
    assert 0 < redis_slots.ttl(f"easel:ws:{principal}") <= 2 * ws_slots.SLOT_TTL
    await ws_slots.slot_release(slot)
