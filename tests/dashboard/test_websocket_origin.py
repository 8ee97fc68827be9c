"""A member's session cookie opens a project's feed only from Easel's own origin.

The websocket Origin rule is Django's CSRF rule: scheme, host and port must be this service's own
(or a trusted origin). A page on another port or scheme of the same host is another site.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from designs.models import Membership, Project
from tests.support.ws import ws_handshake

HOST = "127.0.0.1:8000"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def member_cookie(django_user_model) -> tuple[Project, str]:
    project = Project.objects.create(name="Origins")
    user = django_user_model.objects.create_user(username="o@example.com", email="o@example.com", password="x")
    Membership.objects.create(project=project, user=user, role=Membership.Role.MEMBER)
    client = Client()
    client.force_login(user)
    return project, client.cookies[settings.SESSION_COOKIE_NAME].value


async def _connects(project: Project, cookie: str, origin: str | None, **extra: str) -> bool:
    from project.asgi import application

    headers = [(b"host", HOST.encode()), (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers += [(name.encode(), value.encode()) for name, value in extra.items()]
    return await ws_handshake(application, f"/ws/projects/{project.id}", headers) is None


async def test_the_service_own_origin_opens_the_feed(member_cookie):
    assert await _connects(*member_cookie, f"http://{HOST}")


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another port of the same host
        "http://127.0.0.1",  # the default port is another port too
        "https://127.0.0.1:8000",  # another scheme
        "ftp://127.0.0.1:8000",
        "null",  # sandboxed frames and file: pages
        "http://evil.example",
        "http://127.0.0.1:8000.evil.example",
        "http://127.0.0.1:99999",  # no such port
        "",
    ],
)
async def test_another_origin_is_refused_before_accept(member_cookie, origin):
    assert not await _connects(*member_cookie, origin)


async def test_a_trusted_origin_from_the_settings_opens_the_feed(member_cookie, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com", "https://*.studio.example"]
    assert await _connects(*member_cookie, "https://app.example.com")
    assert await _connects(*member_cookie, "https://eu.studio.example")
    assert not await _connects(*member_cookie, "http://eu.studio.example")


async def test_behind_a_tls_proxy_the_https_origin_is_the_own_one(member_cookie, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert await _connects(*member_cookie, f"https://{HOST}", **{"x-forwarded-proto": "https"})
    assert not await _connects(*member_cookie, f"https://{HOST}")


async def test_a_client_that_sends_no_origin_still_needs_its_session(member_cookie):
    project, _cookie = member_cookie
    assert await _connects(*member_cookie, None)
    assert not await _connects(project, "not-a-session", None)
