"""No caller reaches another project's data: every id-taking route of the URL configuration, in
every way of calling it, answers another project's id with a refusal and changes nothing.

The cases are tests/security/table.py; each is also sent about the caller's own object (the
control), which must be answered, so every refusal here is about whose id it is.
"""

from __future__ import annotations

import re

import pytest

from tests.security.conftest import API_MODES, PAGE_MODES, World, caller, changes, snapshot
from tests.security.requests import fill, send, text
from tests.security.routes import http_routes, is_admin
from tests.security.table import CASES, LISTS, Case

# A signed-in member of ours naming their project in X-Easel-Project: refused on every API route.
THEIR_HEADER = "session+their header"


def modes(route: str, case: Case) -> tuple[str, ...]:
    if case.modes:
        return case.modes
    if route.startswith("api/"):
        return (*API_MODES, THEIR_HEADER)
    return PAGE_MODES


HTTP_CASES = [
    pytest.param(route, case, mode, id=f"{route} {case.method} {case.what} [{mode}]")
    for route, cases in CASES.items()
    if not route.startswith("ws/")
    for case in cases
    for mode in modes(route, case)
]


def client_for(mode: str, own: World, target: World):
    if mode == THEIR_HEADER:
        # Signed in as our owner, naming their project: membership decides, not the header.
        return caller("session", own, headers={"X-Easel-Project": target.project})
    return caller(mode, own)


def leaked(body: str, target: World, sent: str) -> list[str]:
    """Their ids and secrets in an answer, other than the ones the request itself carried."""
    return [value for value in target.secrets_shown() if value in body and value not in sent]


@pytest.mark.parametrize(("route", "case", "mode"), HTTP_CASES)
def test_another_projects_id_is_refused_and_changes_nothing(route, case, mode, ours, theirs):
    client = client_for(mode, ours, theirs)
    before = snapshot()

    response = send(client, case, ours, theirs)

    refusal, body = case.refused, text(response)
    assert response.status_code == refusal.status, f"{case.what}: answered {response.status_code} {body[:300]}"
    if refusal.says:
        assert refusal.says in body
    if refusal.location is not None:
        assert response["Location"] == fill(refusal.location, ours, theirs)
    if route.startswith("api/") and response.status_code >= 400:
        assert response.json()["detail"]
    sent = fill(case.url, ours, theirs) + str(fill(case.body, ours, theirs))
    assert not leaked(body, theirs, sent), "their data is in the answer"
    assert changes(before, snapshot()) == {}, f"{case.what} changed something"

    if case.control and mode != THEIR_HEADER:
        own = send(client_for(mode, ours, ours), case, ours, ours)
        assert own.status_code < 400, f"the control (our own id) answered {own.status_code}: {text(own)[:300]}"
        assert not leaked(text(own), theirs, ""), "their data is in an answer about our own"


@pytest.mark.parametrize("mode", API_MODES)
@pytest.mark.parametrize("url", LISTS)
def test_lists_show_only_the_callers_project(url, mode, ours, theirs):
    response = caller(mode, ours).get(url)
    assert response.status_code == 200, response.content[:300]
    assert not leaked(text(response), theirs, "")


PAGES = ["threads", "gallery", "members", "keys", "threads/{own.thread}", "images/{own.document}"]
PAGES += ["review?status=all", "review/{own.document}", "activity", "settings/review", "settings", "settings/providers"]
PAGES += ["usage?days=90", "usage.csv?days=90", "settings/limits", "webhooks", "webhooks/{own.webhook}"]


@pytest.mark.parametrize("page", PAGES)
def test_our_own_pages_show_nothing_of_theirs(page, ours, theirs):
    response = caller("session", ours).get(fill(f"/projects/{{own.project}}/{page}", ours, theirs))
    assert response.status_code == 200
    assert not leaked(text(response), theirs, "")


def test_the_admin_sends_a_project_owner_to_its_sign_in_whatever_id_is_named(ours, theirs):
    """Every admin route, its parameters filled with their ids: a member who is not staff
    gets the admin's sign-in, for reads and writes alike, and nothing changes."""
    client = caller("session", ours)
    before = snapshot()
    their_id = str(theirs.owner.pk)
    values = {"object_id": their_id, "id": their_id, "content_type_id": "1", "app_label": "auth", "url": "auth/user/"}
    for route in (r for r in http_routes() if is_admin(r) and r.params):
        url = re.sub(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)", lambda m: values[m[1] or m[2]], "/" + route.pattern)
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"username": theirs.owner.username})
            assert response.status_code == 302, (route.pattern, method, response.status_code)
            assert response["Location"].startswith("/admin/login/"), (route.pattern, response["Location"])
    assert changes(before, snapshot()) == {}
