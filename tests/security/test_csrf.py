"""CSRF for every session-authenticated write: a signed-in member's unsafe request without the
token is refused and changes nothing; with it, it is not refused for CSRF. The API is exempt
from Django's middleware only because a key caller has no ambient credential: its session path
checks the token itself (designs/auth.py enforce_csrf)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string

from tests.security.conftest import caller, changes, snapshot
from tests.security.csrf_table import MIDDLEWARE_EXEMPT, REFUSED_WRITES, WRITES, write_case
from tests.security.requests import send, text
from tests.security.routes import UNSAFE, http_routes, is_admin

WRITE_CASES = [
    pytest.param(route, method, id=f"{method} {route}") for route, methods in WRITES.items() for method in methods
]


def _with_token(client) -> dict:
    secret = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    return {"headers": {"X-CSRFToken": secret}}


def _csrf_refusal(response) -> bool:
    return response.status_code == 403 and "CSRF" in text(response)


@pytest.mark.parametrize(("route", "method"), WRITE_CASES)
def test_a_signed_in_write_without_the_csrf_token_is_refused_and_changes_nothing(route, method, ours):
    case = write_case(route, method)
    client = caller("session+header", ours, enforce_csrf_checks=True)
    before = snapshot()

    refused = send(client, case, ours, ours)

    assert _csrf_refusal(refused), f"{method} {route} without a CSRF token answered {refused.status_code}"
    assert changes(before, snapshot()) == {}
    accepted = send(client, case, ours, ours, **_with_token(client))
    assert not _csrf_refusal(accepted), f"{method} {route} with the token was refused: {text(accepted)[:200]}"


@pytest.mark.parametrize(("route", "method"), [p for p in WRITE_CASES if p.values[0].startswith("api/")])
def test_an_api_key_write_needs_no_csrf_token(route, method, ours):
    response = send(caller("key", ours, enforce_csrf_checks=True), write_case(route, method), ours, ours)
    assert not _csrf_refusal(response)
    if route in REFUSED_WRITES:
        status, words = REFUSED_WRITES[route]
        assert response.status_code == status and words in text(response), text(response)[:300]
    else:
        assert response.status_code < 400, text(response)[:300]


@pytest.mark.parametrize("route", [r.pattern for r in http_routes() if not is_admin(r)], ids=str)
def test_the_write_table_matches_what_the_routes_answer(route, ours):
    """With a valid token, as our owner: a method is a write unless the route answers 405."""
    client = caller("session+header", ours, enforce_csrf_checks=True)
    token = _with_token(client)
    answered = {
        method for method in UNSAFE if send(client, write_case(route, method), ours, ours, **token).status_code != 405
    }
    assert answered == set(WRITES.get(route, ())), f"{route}: writes are {sorted(answered)}; update csrf_table.WRITES"


def test_the_routes_djangos_csrf_middleware_skips_are_the_listed_ones():
    exempt = {r.pattern for r in http_routes() if getattr(r.callback, "csrf_exempt", False)}
    assert exempt == set(MIDDLEWARE_EXEMPT), "a view became csrf_exempt (or stopped being): say why in csrf_table"
