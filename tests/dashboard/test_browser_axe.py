"""axe-core (WCAG 2.1 A and AA) on every dashboard page in Chromium, at 1280×800 and at 390×844:
zero violations. Signed out: sign-in, an invitation (choosing a password, and a link that no
longer works). Signed in: every tab, with and without content (threads, a thread with an image,
its image page, the review queue and an item, product templates, a template, a customization,
activity, usage, limits, members, API keys, webhooks and one webhook, the review policy), a page
that is not there, and the pages a form leaves behind (a new key, a revoked key's flash, a new
invitation link, an invalid address).

The pages live in a project of their own (with a review policy, so the queue has items): the
shared live server's other tests see none of it."""

from __future__ import annotations

import itertools
import json
import re
import uuid
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import expect

from tests.dashboard.axe import readable, violations
from tests.dashboard.browser import Studio, Tab, made_images
from tests.e2e_providers.products import AREA, LOGO, OUTPUT, shirt_photo

WIDTHS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}
PASSWORD = "a long accessible password"
_rooms = itertools.count(1)


@dataclass
class Room:
    """A project full of things to look at, and one with nothing in it, both owned by `email`."""

    email: str
    project: str
    empty: str
    thread: str
    image: str
    template: str
    customization: str
    webhook: str

    def pages(self) -> dict[str, str]:
        p, e = f"/projects/{self.project}", f"/projects/{self.empty}"
        return {
            "threads, none yet": f"{e}/threads",
            "gallery, empty": f"{e}/gallery",
            "review queue, empty": f"{e}/review",
            "products, none yet": f"{e}/templates",
            "threads": f"{p}/threads",
            "threads, searched": f"{p}/threads?q=lighthouse",
            "a thread with an image": f"{p}/threads/{self.thread}",
            "gallery": f"{p}/gallery",
            "an image": f"{p}/images/{self.image}",
            "review queue": f"{p}/review",
            "a review item": f"{p}/review/{self.image}",
            "products": f"{p}/templates",
            "a new template": f"{p}/templates/new",
            "a template": f"{p}/templates/{self.template}",
            "a template's edit form": f"{p}/templates/{self.template}/edit",
            "a customization": f"{p}/customizations/{self.customization}",
            "activity": f"{p}/activity",
            "usage": f"{p}/usage",
            "limits": f"{p}/settings/limits",
            "members": f"{p}/members",
            "API keys": f"{p}/keys",
            "webhooks": f"{p}/webhooks",
            "a webhook": f"{p}/webhooks/{self.webhook}",
            "settings": f"{p}/settings",
            "provider keys": f"{p}/settings/providers",
            "review policy": f"{p}/settings/review",
        }

    def missing(self) -> dict[str, str]:
        """Pages that answer 404 with a page for people."""
        return {
            "a thread that is not there": f"/projects/{self.project}/threads/{uuid.uuid4()}",
            "an address that is not there": f"/projects/{self.project}/nothing-here",
        }


def _api(studio: Studio, project_name: str) -> httpx.Client:
    key = studio.live.create_api_key(project_name)
    return httpx.Client(base_url=studio.live.api_url, headers={"X-API-Key": key}, timeout=90)


@pytest.fixture(scope="module")
def room(studio) -> Room:
    n = next(_rooms)
    email = f"reader{n}@axe.example"
    project = studio.add_user(email, f"axe room {n}", PASSWORD)
    empty = studio.add_user(email, f"axe empty {n}", PASSWORD)
    with _api(studio, f"axe room {n}") as api:
        thread, (image,) = made_images(api, "a lighthouse on a cliff at dusk")
        # From now on every new image waits for review: the queue has an item, the policy page its state.
        api.put("/review/policy", json={"required": True, "blocked_terms": ["gore"]}).raise_for_status()
        made_images(api, "a lighthouse in the fog")
        form = {"name": "Plain white tee", "print_area": json.dumps(AREA), "output": json.dumps(OUTPUT)}
        form["protect_regions"] = json.dumps([LOGO])
        made = api.post("/templates", data=form, files={"base": ("tee.png", shirt_photo(), "image/png")})
        assert made.status_code == 201, made.text
        template = made.json()["template_id"]
        started = api.post("/customizations", json={"template_id": template, "prompt": "a red dragon", "n": 1})
        assert started.status_code in (200, 201), started.text
        hook = api.post("/webhooks", json={"url": "https://93.184.216.34/hooks", "events": ["run.completed"]})
        assert hook.status_code == 201, hook.text
    customization, webhook = started.json()["customization_id"], hook.json()["webhook_id"]
    return Room(email, project, empty, thread, image, template, customization, webhook)


def _look(tab: Tab, where: str, found: dict[str, str]) -> None:
    """axe on the page as it is now; what it finds is kept under `where`."""
    tab.page.wait_for_load_state("load")
    problems = violations(tab.page)
    if problems:
        found[where] = readable(problems)


def _report(found: dict[str, str]) -> str:
    return "\n\n".join(f"== {where}\n{text}" for where, text in found.items())


@pytest.fixture(params=list(WIDTHS), ids=lambda w: f"{w}px")
def width(request, tab) -> str:
    tab.page.set_viewport_size(WIDTHS[request.param])
    return request.param


def test_the_signed_out_pages_have_no_violations(tab, room, width):
    page, found = tab.page, {}
    tab.go("/accounts/login")
    _look(tab, "sign-in", found)
    page.get_by_label("Email or username").fill(room.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    _look(tab, "sign-in, wrong password", found)
    tab.allow_console(r"status of 404")  # the dead invitation link's page is a 404, as it should be
    tab.go("/accounts/invitations/not-a-real-token")
    expect(page.get_by_role("heading", name="This invitation link does not work")).to_be_visible()
    _look(tab, "an invitation link that does not work", found)
    assert not found, _report(found)


def test_every_signed_in_page_has_no_violations(tab, room, width):
    page, found = tab.page, {}
    tab.sign_in(room.email, PASSWORD)
    titles = {}
    for where, path in room.pages().items():
        assert tab.go(path).status == 200, where
        _look(tab, where, found)
        titles.setdefault(page.title(), []).append(where)
    tab.allow_console(r"status of 404")
    for where, path in room.missing().items():
        assert tab.go(path).status == 404, where
        _look(tab, where, found)
    # A thread that has nothing in it yet, then while its first image is made, then done.
    tab.go(f"/projects/{room.project}/threads")
    page.get_by_role("button", name="New thread").click()
    page.wait_for_url(re.compile(r"/threads/[0-9a-f-]{36}$"))
    expect(page.locator("#feed-status")).to_have_text("Live")
    _look(tab, "a new thread", found)
    page.get_by_label("Message", exact=True).fill("draw a tiny red robot")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#turns [data-placeholder]")).to_be_visible()
    _look(tab, "a thread while its image is made", found)
    expect(page.locator("#turns > li.turn").last).to_have_attribute("data-status", "completed", timeout=30_000)
    _look(tab, "a thread whose reply has arrived live", found)
    assert not found, _report(found)
    # Each page says which it is in its title (the tab strip, history, a screen reader's first words).
    assert not {t: w for t, w in titles.items() if len(w) > 1}, "pages that share a title"


def test_the_pages_a_form_leaves_behind_have_no_violations(tab, room, width):
    page, found = tab.page, {}
    tab.sign_in(room.email, PASSWORD)
    tab.go(f"/projects/{room.project}/keys")
    page.get_by_label("Name").fill(f"axe at {width}")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name=re.compile("New key"))).to_be_visible()
    _look(tab, "a new API key", found)
    page.locator(f'tr:has-text("axe at {width}")').get_by_role("button", name=re.compile("Revoke")).click()
    expect(page.locator(".flash")).to_contain_text("is revoked")
    _look(tab, "a revoked key's flash", found)

    tab.go(f"/projects/{room.project}/members")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Invite").click()
    expect(page.locator(".field-error")).to_be_visible()
    _look(tab, "an invalid address", found)
    page.get_by_label("Email address").fill(f"newcomer{width}-{room.project[:8]}@axe.example")
    page.get_by_role("button", name="Invite").click()
    link = page.get_by_label("Invitation link")
    expect(link).to_be_visible()
    _look(tab, "a new invitation link", found)
    invitation = link.input_value()

    page.get_by_role("button", name="Sign out").click()
    page.goto(invitation)
    expect(page.get_by_role("heading", name=re.compile("^Join"))).to_be_visible()
    _look(tab, "an invitation: choosing a password", found)
    assert not found, _report(found)


def test_the_no_projects_page_and_the_server_error_page_have_no_violations(tab, studio, width):
    page, found = tab.page, {}
    n = next(_rooms)
    email = f"lonely{n}-{width}@axe.example"
    studio.live.manage(
        "shell",
        "-c",
        f"from django.contrib.auth import get_user_model; get_user_model().objects.create_user("
        f"username={email!r}, email={email!r}, password={PASSWORD!r})",
    )
    tab.go("/accounts/login")
    page.get_by_label("Email or username").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="No projects yet")).to_be_visible()
    _look(tab, "no projects yet", found)

    # The 500 page as the server renders it (without the database or the request), shown in the
    # live server's origin so its stylesheet loads: no route of the server fails on purpose.
    from django.test import RequestFactory

    from designs.views.errors import server_error

    html = server_error(RequestFactory().get("/projects/x/threads")).content.decode()
    page.set_content(html)
    expect(page.get_by_role("heading", name="Something went wrong on our side")).to_be_visible()
    _look(tab, "the server error page", found)
    assert not found, _report(found)
