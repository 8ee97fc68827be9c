"""A thread in Chromium, live: text streams, images appear as they are made, and a reload or a
dropped websocket in the middle of a generation still shows every image exactly once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.dashboard.browser import IMAGE_DELAY, SCREENSHOTS, Tab, _tab

LAST_TURN = "#turns > li.turn >> nth=-1"
DOCUMENTS = ".turns .image-card[data-document-id]"
STREAMING_WITH_IMAGE = """() => {
  const turn = [...document.querySelectorAll('#turns > li.turn')].pop();
  const text = turn.querySelector('.bubble.assistant [data-slot=text]').textContent;
  return turn.dataset.status === 'running' && text.length > 0 && !!turn.querySelector('.image-card[data-document-id]');
}"""


@pytest.fixture(params=["embedded", "celery"])
def live_tab(request, chromium):
    """A signed-in tab on a live Easel of each topology (one code path, two deployments)."""
    studio = request.getfixturevalue("studio" if request.param == "embedded" else "celery_studio")
    for tab in _tab(chromium, studio):
        tab.sign_in()
        yield tab


def _new_thread(tab: Tab) -> str:
    tab.page.get_by_role("button", name="New thread").click()
    tab.page.wait_for_url(re.compile(r"/threads/[0-9a-f-]{36}$"))
    expect(tab.page.locator("#feed-status")).to_have_text("Live")
    return tab.page.url.rsplit("/", 1)[-1]


def _send(tab: Tab, text: str) -> None:
    tab.page.get_by_label("Message", exact=True).fill(text)
    tab.page.get_by_role("button", name="Send").click()
    expect(tab.page.locator(LAST_TURN).locator(".bubble.user [data-slot=text]")).to_have_text(text)


def _wait_until_done(tab: Tab) -> None:
    expect(tab.page.locator(LAST_TURN)).to_have_attribute("data-status", "completed", timeout=20_000)


def _assert_each_image_once(tab: Tab, expected: int) -> list[str]:
    ids = tab.page.locator(DOCUMENTS).evaluate_all("nodes => nodes.map(n => n.dataset.documentId)")
    assert len(ids) == expected and len(set(ids)) == expected, ids
    return ids


def test_generation_streams_live_and_survives_a_reload_and_a_dropped_feed(live_tab):
    tab, page = live_tab, live_tab.page
    thread_id = _new_thread(tab)
    # The pickers are filled from /api/models/image/all and /api/models/llm.
    expect(page.locator("#id_image_model option", has_text="easel-local-painter")).to_have_count(1)
    expect(page.locator("#id_image_model option", has_text="gpt-image-1 (no key)")).to_have_count(1)
    expect(page.locator("#id_llm option", has_text="easel-local-agent")).to_have_count(1)
    page.evaluate("window.sameDocument = true")

    # 1. Live: a placeholder, the painter's preview half-way, the image, then the reply streaming in.
    _send(tab, "draw a tiny red robot watering a sunflower")
    turn = page.locator(LAST_TURN)
    expect(turn.locator("[data-placeholder]")).to_be_visible()
    expect(turn.locator("[data-placeholder] img.preview")).to_be_attached(timeout=IMAGE_DELAY * 1000 + 5000)
    if tab.studio.live.env.get("REDIS_URL") is None:
        page.screenshot(path=str(SCREENSHOTS / "thread-generating-desktop.png"))
    expect(turn.locator(".image-card[data-document-id] img")).to_be_visible(timeout=20_000)
    page.wait_for_function(STREAMING_WITH_IMAGE, polling=20)
    _wait_until_done(tab)
    expect(turn.locator(".reply-text")).to_contain_text("Here is your image")
    expect(turn.locator("[data-placeholder]")).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True  # no reload happened
    assert page.locator(f"{DOCUMENTS} img").evaluate("img => img.complete && img.naturalWidth > 0")
    _assert_each_image_once(tab, 1)

    # 2. Reload while the second image is being painted: it is shown once, with its reply.
    _send(tab, "draw a blue kite above a beach")
    expect(page.locator(LAST_TURN).locator("[data-placeholder]")).to_be_visible()
    page.reload()
    expect(page.locator(LAST_TURN)).to_have_attribute("data-status", "running")
    expect(page.locator(LAST_TURN).locator("[data-placeholder], .image-card[data-document-id]")).to_have_count(1)
    _wait_until_done(tab)
    _assert_each_image_once(tab, 2)
    expect(page.locator(LAST_TURN).locator(".image-card[data-document-id]")).to_have_count(1)

    # 3. The websocket drops mid-generation: the page reconnects from its cursor and catches up.
    _send(tab, "paint a yellow sun over green hills")
    expect(page.locator(LAST_TURN).locator("[data-placeholder]")).to_be_visible()
    page.evaluate("window.easelFeed.drop()")
    expect(page.locator("#feed-status")).not_to_have_text("Live")
    expect(page.locator("#feed-status")).to_have_text("Live", timeout=10_000)
    _wait_until_done(tab)
    ids = _assert_each_image_once(tab, 3)
    assert page.evaluate("sessionStorage.getItem(`easel:thread-feed:${window.location.pathname.split('/').pop()}`)")

    # What the page shows is what the thread stores, with no text repeated.
    with tab.studio.api() as api:
        stored = api.get(f"/threads/{thread_id}").json()["messages"]
    replies = [m for m in stored if m["role"] == "assistant" and m["content"]]
    assert [m["content"] for m in replies] == page.locator(".turns .reply-text").all_inner_texts()
    assert sorted(ids) == sorted(d["document_id"] for m in replies for d in m["generated_media"])

    # 4. A reload after the fact renders the same thread from the server alone.
    page.reload()
    assert sorted(_assert_each_image_once(tab, 3)) == sorted(ids)
    expect(page.locator(".turns [data-placeholder]")).to_have_count(0)
    if tab.studio.live.env.get("REDIS_URL") is None:
        tab.screenshot("thread")
