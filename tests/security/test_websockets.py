"""Every websocket route refuses another project's id before accepting, by key and by session,
and opens for the caller's own (the control)."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.security.conftest import World, caller, changes, snapshot
from tests.security.requests import fill
from tests.security.table import CASES
from tests.support.ws import ws_handshake

HOST = "127.0.0.1:8000"
pytestmark = pytest.mark.django_db(transaction=True)

WS_CASES = [
    pytest.param(route, case, mode, id=f"{route} {case.what} [{mode}]")
    for route, cases in CASES.items()
    if route.startswith("ws/")
    for case in cases
    for mode in case.modes
]


def _headers(mode: str, world: World) -> list[tuple[bytes, bytes]]:
    if mode == "key":
        return [(b"x-api-key", world.secret.encode())]
    cookie = caller("session", world).cookies[settings.SESSION_COOKIE_NAME].value
    # A browser's handshake: its session cookie, from Easel's own origin.
    return [
        (b"host", HOST.encode()),
        (b"origin", f"http://{HOST}".encode()),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
    ]


@pytest.mark.parametrize(("route", "case", "mode"), WS_CASES)
async def test_another_projects_feed_is_refused_before_accept(route, case, mode, ours, theirs):
    from project.asgi import application

    headers = await _sync(_headers, mode, ours)
    before = await _sync(snapshot)

    refused = await ws_handshake(application, fill(case.url, ours, theirs), headers)

    assert refused is not None, f"{case.what}: the websocket was accepted"
    assert changes(before, await _sync(snapshot)) == {}
    if case.control:
        assert await ws_handshake(application, fill(case.url, ours, ours), headers) is None, "our own feed is refused"


async def _sync(fn, *args):
    from asgiref.sync import sync_to_async

    return await sync_to_async(fn)(*args)
