"""A person who meets a missing, forbidden or broken page gets a page in the dashboard's style
with a way home; a program calling /api gets `{"detail"}` as before. Dashboard URLs have no
trailing slash, and one typed anyway leads to the page that was meant."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

from project import urls as project_urls

pytestmark = pytest.mark.urls(__name__)


def _broken(request):
    raise RuntimeError("a bug in a view")


def _walled(request):
    raise PermissionDenied("Only the night shift may look.")


# This module is the URLconf of its tests: the project's routes and handlers, and views that fail.
urlpatterns = [
    path("broken", _broken),
    path("api/broken", _broken),
    path("walled", _walled),
    path("api/walled", _walled),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500


def heading(response) -> str:
    return html.unescape(re.search(r"<h1>(.*?)</h1>", response.content.decode()).group(1))


def title(response) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", response.content.decode()).group(1))


def links_home(response) -> bool:
    return '<a class="button" href="/">Back to your projects</a>' in response.content.decode()


@pytest.fixture
def anonymous() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("url", ["/no-such-page", "/projects/nope", f"/projects/{uuid.uuid4()}/nothing"])
def test_an_unknown_dashboard_url_is_a_page_not_found_with_a_way_home(db, anonymous, url):
    response = anonymous.get(url)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert heading(response) == "Page not found"
    assert title(response) == "Page not found · Easel"
    assert "Check the address for typos" in response.content.decode()
    assert links_home(response)


def test_a_signed_in_person_keeps_the_dashboard_header_on_a_missing_page(team):
    response = team.client("member").get("/projects/nope")

    assert response.status_code == 404
    assert "member@example.com" in response.content.decode() and "Sign out" in response.content.decode()


@pytest.mark.parametrize("url", ["/api/nope", "/api/threads/", "/api", "/ws/threads/nope"])
def test_an_unknown_api_url_stays_a_json_not_found(db, anonymous, url):
    response = anonymous.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found"}


def test_a_member_opening_an_owners_page_gets_a_forbidden_page(team):
    response = team.client("member").get(team.url("webhooks"))

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert heading(response)
    assert "Only owners and admins manage webhooks." in response.content.decode()
    assert '<a class="button" href="/">Back to your projects</a>' in response.content.decode()


def test_a_forbidden_page_outside_a_project_says_why_and_what_to_do(db, anonymous):
    response = anonymous.get("/walled")

    assert response.status_code == 403
    assert heading(response) == "You don't have access to this page"
    assert title(response) == "You don't have access to this page · Easel"
    assert "Only the night shift may look. Ask an owner of the project" in response.content.decode()
    assert links_home(response)


def test_a_forbidden_api_call_stays_json(db, anonymous):
    response = anonymous.get("/api/walled")

    assert response.status_code == 403
    assert response.json() == {"detail": "Only the night shift may look."}


def test_a_broken_dashboard_view_is_a_page_that_owns_the_fault(team):
    client = Client(raise_request_exception=False)
    client.force_login(team.member)

    response = client.get("/broken")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert heading(response) == "Something went wrong on our side"
    assert title(response) == "Something went wrong on our side · Easel"
    assert 'href="/static/easel/app.' in response.content.decode()
    assert links_home(response)
    # Rendered without the request: nothing of the user, the session or the database on it.
    assert "member@example.com" not in response.content.decode()


def test_the_server_error_page_falls_back_to_plain_html_when_its_template_fails(db, anonymous, monkeypatch):
    from designs.views import errors

    def broken_template(name):
        raise OSError("templates unreadable")

    monkeypatch.setattr(errors.loader, "get_template", broken_template)

    response = anonymous.get("/broken")

    assert response.status_code == 500
    assert heading(response) == "Something went wrong on our side"
    assert title(response) == "Something went wrong on our side · Easel"
    assert '<a href="/">Back to your projects</a>' in response.content.decode()


def test_a_broken_api_view_stays_json(db, anonymous):
    response = anonymous.get("/api/broken")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}


def test_a_request_for_a_host_easel_does_not_serve_is_a_bad_request_page(db, anonymous):
    page = anonymous.get("/accounts/login", HTTP_HOST="elsewhere.example")
    api = anonymous.get("/api/threads", HTTP_HOST="elsewhere.example")

    assert page.status_code == 400 and heading(page) == "That request could not be read"
    assert api.status_code == 400 and api.json() == {"detail": "Bad request"}


@pytest.mark.parametrize("url", ["/accounts/login", "/accounts/login/"])
def test_both_spellings_of_the_sign_in_address_show_the_sign_in_form(db, anonymous, url):
    response = anonymous.get(url, follow=True)

    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/accounts/login"
    assert heading(response) == "Sign in to Easel"
    assert 'name="password"' in response.content.decode()


def test_a_trailing_slash_keeps_where_to_go_after_signing_in(db, anonymous):
    response = anonymous.get("/accounts/login/?next=/projects/switch")

    assert response.status_code == 301
    assert response["Location"] == "/accounts/login?next=/projects/switch"


def test_a_trailing_slash_on_a_project_page_leads_to_the_page(team):
    response = team.client("member").get(team.url("threads") + "/", follow=True)

    assert response.redirect_chain == [(team.url("threads"), 301)]
    assert response.status_code == 200


def test_sign_out_with_a_trailing_slash_leads_to_sign_out(db, anonymous):
    assert anonymous.get("/accounts/logout/")["Location"] == "/accounts/logout"


def test_a_trailing_slash_on_an_unknown_url_is_still_not_found(db, anonymous):
    response = anonymous.get("/no-such-page/")

    assert response.status_code == 404 and heading(response) == "Page not found"


def test_several_trailing_slashes_lead_to_the_page_too(db, anonymous):
    assert anonymous.get("/accounts/login//")["Location"] == "/accounts/login"


def test_a_posted_form_with_a_trailing_slash_is_not_redirected(db, anonymous):
    """A redirect would turn the POST into a GET and lose what was sent."""
    response = anonymous.post("/accounts/login/", {"username": "someone", "password": "secret"})

    assert response.status_code == 404
