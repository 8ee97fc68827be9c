"""Real Chromium against a live Easel: Debian's /usr/bin/chromium driven by Playwright.

The live server paints slowly (EASEL_LOCAL_IMAGE_DELAY, with a preview half-way) and streams
text word by word (EASEL_LOCAL_STREAM_DELAY), so a test can watch an image being made, reload
in the middle of it, or drop the websocket. Every page records console errors; a test fails if
one appears that it did not expect.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.processes import ROOT, LiveEasel

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
NARROW = {"width": 390, "height": 844}
PHONE = {"width": 360, "height": 740}
OWNER, OWNER_PASSWORD = "owner@example.com", "a long owner password"
IMAGE_DELAY = 2.0


@dataclass
class Studio:
    """A live Easel whose project "alpha" (the one `live.api_key` belongs to) has an owner."""

    live: LiveEasel
    project_id: str

    @property
    def base_url(self) -> str:
        return self.live.base_url

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.live.api_url, headers={"X-API-Key": self.live.api_key}, timeout=30)

    def add_user(self, email: str, project: str, password: str) -> str:
        """Make `email` owner of `project` (created if missing); returns the project's id."""
        out = self.live.manage("create_owner", email, project, "--password", password)
        return re.search(r"\(([0-9a-f-]{36})\)", out).group(1)


def _start(tmp_path_factory, name: str, workers: int = 0, **env: str) -> Iterator[Studio]:
    live = LiveEasel(
        tmp_path_factory.mktemp(name),
        workers=workers,
        env_overrides={
            "EASEL_LOCAL_IMAGE_DELAY": str(IMAGE_DELAY),
            "EASEL_LOCAL_STREAM_DELAY": "0.05",
            **env,
        },
    )
    try:
        studio = Studio(live, "")
        studio.project_id = studio.add_user(OWNER, "alpha", OWNER_PASSWORD)
        yield studio
    finally:
        live.stop()


@pytest.fixture(scope="session")
def studio(tmp_path_factory) -> Iterator[Studio]:
    """The embedded topology (`make run`): generation in the web process, in-memory event log."""
    yield from _start(tmp_path_factory, "dashboard")


@pytest.fixture(scope="module")
def celery_studio(tmp_path_factory, redis_server) -> Iterator[Studio]:
    """The production topology: a Celery worker generates, events travel through Redis Streams.

    Its own Redis database: Celery workers of two live servers on one broker would take each
    other's tasks."""
    yield from _start(tmp_path_factory, "dashboard-celery", workers=1, REDIS_URL=redis_server.fresh_url())


@pytest.fixture(scope="module")
def chromium():
    # Per module: Playwright's sync API keeps an event loop in the main thread while it runs,
    # and Django's in-process test client cannot run its async middleware beside one.
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run scripts/test-prerequisites.sh (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Tab:
    """A browser page plus what it logged to the console."""

    page: object
    studio: Studio
    errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def allow_console(self, pattern: str) -> None:
        self.allowed.append(pattern)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(re.search(p, e) for p in self.allowed)]

    def go(self, path: str):
        return self.page.goto(self.studio.base_url + path)

    def sign_in(self, username: str = OWNER, password: str = OWNER_PASSWORD) -> None:
        self.go("/accounts/login")
        self.page.get_by_label("Email or username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(r"/projects/[0-9a-f-]+/threads$"))

    def nav(self, section: str) -> None:
        self.page.locator("nav.tabs").get_by_role("link", name=section).click()

    def screenshot(self, name: str) -> None:
        """The page at desktop width and at 360 px, full length, under artifacts/screenshots/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page = self.page
        page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(100)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-360.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        page.set_viewport_size(DESKTOP)
        assert overflow <= 0, f"{name} scrolls sideways at 360 px by {overflow} px"


def _tab(chromium, studio: Studio) -> Iterator[Tab]:
    context = chromium.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(15_000)
    page = context.new_page()
    tab = Tab(page, studio)
    page.on("console", lambda message: tab.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    page.on("dialog", lambda dialog: dialog.accept())
    yield tab
    context.close()
    assert not tab.unexpected_errors(), f"console errors: {tab.unexpected_errors()}"


@pytest.fixture
def tab(chromium, studio) -> Iterator[Tab]:
    yield from _tab(chromium, studio)


@pytest.fixture
def second_tab(chromium, studio) -> Iterator[Tab]:
    """Another browser (its own cookies): another person."""
    yield from _tab(chromium, studio)


_own_rooms = itertools.count(1)


def own_room(tab: Tab, *, owner: str, room: str, password: str, timeout: float = 60) -> tuple[str, httpx.Client]:
    """A project of its own for one test, "<room> <n>" owned by `owner` (its "{n}" filled in) and
    signed in: (project id, an API client with the project's key)."""
    n = next(_own_rooms)
    email, name = owner.format(n=n), f"{room} {n}"
    project_id = tab.studio.add_user(email, name, password)
    key = tab.studio.live.create_api_key(name)
    tab.sign_in(email, password)
    return project_id, httpx.Client(base_url=tab.studio.live.api_url, headers={"X-API-Key": key}, timeout=timeout)


def made_images(api: httpx.Client, prompt: str, *, n: int = 1, size: str | None = None) -> tuple[str, list[str]]:
    """Images made through the API by the local engine: (their thread's id, their document ids)."""
    config = {"n": n, **({"size": size} if size else {})}
    response = api.post(
        "/threads/messages",
        json={
            "content": prompt,
            "operation": "generate_image",
            "image_model_provider": "local",
            "image_model_name": "easel-local-painter",
            "image_config": config,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["thread_id"], [media["document_id"] for media in body["generated_media"]]


def screenshots(tab: Tab, name: str) -> None:
    """The whole page at 1280 and at 390 px, saved as {name}-1280.png and -390.png; nothing may
    scroll sideways at 390."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = tab.page
    page.wait_for_timeout(150)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(200)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(150)
    assert overflow <= 0, f"{name} scrolls sideways at 390 px by {overflow} px"


def drag(tab: Tab, layer, start: tuple[float, float], end: tuple[float, float], size: tuple[int, int]) -> dict:
    """Drag across an area layer between two fractions of its size, as a hand would (in steps);
    the rectangle drawn, in the pixels of the `size` image the layer covers."""
    layer.evaluate("node => node.scrollIntoView({ block: 'center' })")  # clear of sticky bars
    tab.page.wait_for_timeout(100)
    box = layer.bounding_box()
    (x0, y0), (x1, y1) = ((box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in (start, end))
    mouse = tab.page.mouse
    mouse.move(x0, y0)
    mouse.down()
    mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=4)
    mouse.move(x1, y1, steps=6)
    mouse.up()
    sx, sy = size[0] / box["width"], size[1] / box["height"]
    left, top = (x0 - box["x"]) * sx, (y0 - box["y"]) * sy
    return {"x": left, "y": top, "width": (x1 - box["x"]) * sx - left, "height": (y1 - box["y"]) * sy - top}
