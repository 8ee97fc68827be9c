"""The thread page for keyboard and screen-reader users, in Chromium: a walk with the keyboard
alone (compose, send, refine, download) that checks where focus is after every key, the Refine
panel opening in view and clear of the composer at 1280×800 and 390×844, the reply and a failed
image said through the page's announcer, an error that leaves the composer where it was, and a
thread named by its first message without a reload."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.dashboard.browser import Tab, made_images, screenshots

LAST_TURN = "#turns > li.turn >> nth=-1"
WINDOW = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}
PROMPT = "draw a tiny red robot watering a sunflower"
LIVE_REGION = "[aria-live], [role=status], [role=log], [role=alert]"

# Where focus is, or None when it fell to <body>; and whether the sticky composer covers it.
FOCUS = """() => {
  const a = document.activeElement;
  if (!a || a === document.body || a === document.documentElement) return null;
  const composer = document.getElementById('composer');
  let covered = false;
  if (composer && !composer.contains(a) && !a.matches('li.turn') && getComputedStyle(composer).position === 'sticky') {
    const r = a.getBoundingClientRect(), c = composer.getBoundingClientRect();
    covered = r.bottom > c.top && r.top < c.bottom;
  }
  return {
    tag: a.tagName.toLowerCase(), id: a.id, text: (a.textContent || '').trim().slice(0, 80),
    turn: a.closest('#turns > li.turn')?.id || null, covered,
  };
}"""
# The announcer's every utterance, kept as they are said.
LISTEN = """() => {
  window.said = [];
  const announcer = document.getElementById('announcer');
  new MutationObserver(() => { if (announcer.textContent) window.said.push(announcer.textContent); })
    .observe(announcer, { childList: true, characterData: true, subtree: true });
}"""
# A box inside the window and clear of the composer.
IN_VIEW = """(node) => {
  const r = node.getBoundingClientRect(), c = document.getElementById('composer').getBoundingClientRect();
  const inside = r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
  const underComposer = r.bottom > c.top && r.top < c.bottom && r.right > c.left && r.left < c.right;
  return { inside, underComposer, top: r.top, bottom: r.bottom, composerTop: c.top, height: innerHeight };
}"""


def _focus(tab: Tab) -> dict:
    where = tab.page.evaluate(FOCUS)
    assert where is not None, "focus fell to <body>"
    assert not where["covered"], f"the sticky composer covers what has focus: {where}"
    return where


def _press(tab: Tab, key: str) -> dict:
    tab.page.keyboard.press(key)
    return _focus(tab)


def _press_until(tab: Tab, key: str, wanted, limit: int = 40) -> dict:
    """Press `key` until focus is where `wanted(focus)` says, checking it is somewhere at each step."""
    for _ in range(limit):
        where = _press(tab, key)
        if wanted(where):
            return where
    raise AssertionError(f"{key} × {limit} never reached it; focus is on {where}")


def _keyboard_new_thread(tab: Tab) -> None:
    tab.sign_in()
    _press_until(tab, "Tab", lambda f: f["text"] == "New thread")
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_url(re.compile(r"/threads/[0-9a-f-]{36}$"))
    expect(tab.page.locator("#feed-status")).to_have_text("Live")


def _assert_in_view(panel) -> None:
    box = panel.evaluate(IN_VIEW)
    assert box["inside"], f"the Refine panel is not inside the window: {box}"
    assert not box["underComposer"], f"the Refine panel is under the composer: {box}"


def test_the_thread_page_can_be_walked_with_the_keyboard_alone(tab):
    page = tab.page
    page.set_viewport_size(WINDOW)
    _keyboard_new_thread(tab)
    page.evaluate(LISTEN)

    # Compose and send: focus stays in the message box while Send is disabled by the run.
    _press_until(tab, "Tab", lambda f: f["id"] == "id_content")
    page.keyboard.type(PROMPT)
    _press_until(tab, "Tab", lambda f: f["id"] == "send-button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    assert _focus(tab)["id"] == "id_content"
    turn = page.locator(LAST_TURN)
    expect(turn.locator(".image-card[data-document-id] img")).to_be_visible(timeout=20_000)
    expect(turn).to_have_attribute("data-status", "completed", timeout=20_000)
    assert _focus(tab)["id"] == "id_content"

    # The reply is said once, whole, when it is done; its streaming text is in no live region.
    reply = turn.locator(".reply-text").inner_text().strip()
    assert reply
    expect(page.locator("#announcer")).to_contain_text(reply)
    said = page.evaluate("window.said")
    assert sum(reply in s for s in said) == 1, said
    assert not [s for s in said if s != reply and reply.startswith(s)], f"a part of the reply was said: {said}"
    assert turn.locator(".reply-text").evaluate("(node, live) => !node.closest(live)", LIVE_REGION)

    # Back from the composer to the image's Refine; it opens in view with its text box focused.
    card = turn.locator(".image-card[data-document-id]")
    source_id = card.get_attribute("data-document-id")
    assert _press(tab, "Shift+Tab")["text"] == "Refine"
    page.keyboard.press("Enter")
    expect(card.get_by_label("Describe the change")).to_be_focused()
    _assert_in_view(card.locator(".refine-form"))
    screenshots(tab, "thread-refine-open")

    # Refine, sent from its button: focus goes to the turn it started, not to <body>.
    page.keyboard.type("make it blue")
    _press_until(tab, "Tab", lambda f: f["text"] == "Refine image")
    page.keyboard.press("Enter")
    edit = page.locator(LAST_TURN)
    expect(edit.locator(".bubble.user [data-slot=text]")).to_have_text("make it blue")
    expect(edit).to_be_focused()
    child = edit.locator(".image-card[data-document-id]")
    expect(child).to_have_count(1, timeout=20_000)
    expect(edit).to_have_attribute("data-status", "completed", timeout=20_000)
    assert _focus(tab)["turn"] == edit.get_attribute("id")

    # On from the turn to the new image's Download link.
    where = _press_until(tab, "Tab", lambda f: f["text"] == "Download")
    assert where["turn"] == edit.get_attribute("id")
    download = child.get_by_role("link", name="Download")
    expect(download).to_be_focused()
    expect(download).to_have_attribute("href", re.compile(r"\.png"))
    expect(child.locator("[data-slot=parent] a")).to_have_attribute("href", re.compile(source_id))

    # On a phone, the next Refine opens in view too.
    page.set_viewport_size(NARROW)
    assert _press(tab, "Tab")["text"] == "Refine"
    page.keyboard.press("Enter")
    expect(child.get_by_label("Describe the change")).to_be_focused()
    _assert_in_view(child.locator(".refine-form"))
    assert _press(tab, "Shift+Tab")["text"] == "Refine"
    page.keyboard.press("Enter")  # closes it again
    expect(child.locator(".refine-form")).to_be_hidden()
    assert _focus(tab)["text"] == "Refine"


def test_an_error_leaves_the_composer_where_it_was(tab):
    page = tab.page
    page.set_viewport_size(WINDOW)
    with tab.studio.api() as api:
        thread_id, _ = made_images(api, "draw a lighthouse at dusk")
    tab.sign_in()
    tab.go(f"/projects/{tab.studio.project_id}/threads/{thread_id}")
    expect(page.locator("#feed-status")).to_have_text("Live")
    composer = page.locator("#composer")
    expect(composer).to_have_css("position", "sticky")
    page.get_by_label("Message", exact=True).focus()
    before = composer.bounding_box()

    page.keyboard.press("Control+Enter")  # an empty message
    error = page.locator("#content-errors")
    expect(error).to_have_text("Write a message first.")
    expect(error).to_be_in_viewport()
    assert composer.bounding_box() == before
    message = page.get_by_label("Message", exact=True)
    expect(message).to_be_focused()
    expect(message).to_have_attribute("aria-invalid", "true")
    expect(message).to_have_attribute("aria-describedby", re.compile(r"\bcontent-errors\b"))
    screenshots(tab, "thread-error")
    page.set_viewport_size(WINDOW)

    page.keyboard.type("a")  # read and being fixed: the error goes, the composer still stays put
    expect(error).to_be_hidden()
    expect(message).not_to_have_attribute("aria-invalid", "true")
    assert composer.bounding_box() == before


def test_a_failed_image_is_said_in_words(tab):
    page = tab.page
    with tab.studio.api() as api:
        before = api.get("/limits").json()["images_per_day"]
        assert api.put("/limits", json={"images_per_day": 0}).status_code == 200
        try:
            tab.sign_in()
            page.get_by_role("button", name="New thread").click()
            expect(page.locator("#feed-status")).to_have_text("Live")
            page.evaluate(LISTEN)
            page.get_by_label("Message", exact=True).fill(PROMPT)
            page.keyboard.press("Control+Enter")
            turn = page.locator(LAST_TURN)
            failed = turn.locator(".image-failed")
            expect(failed).to_contain_text("The image could not be made: The project's image budget for today is spent")
            expect(turn).to_have_attribute("data-status", "completed", timeout=20_000)
        finally:
            api.put("/limits", json={"images_per_day": before})
    said = page.evaluate("window.said")
    assert failed.inner_text() in said, said
    assert turn.locator(".reply-text").inner_text().strip() in said[-1], said


def test_the_first_message_names_the_thread_without_a_reload(tab, second_tab):
    page = tab.page
    tab.sign_in()
    page.get_by_role("button", name="New thread").click()
    expect(page.locator("#feed-status")).to_have_text("Live")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("New thread")
    expect(page).to_have_title(re.compile(r"^New thread · alpha"))
    second_tab.sign_in()  # the same thread open elsewhere learns its name from the feed
    second_tab.page.goto(page.url)
    expect(second_tab.page.locator("#feed-status")).to_have_text("Live")

    prompt = "a " + " ".join(["very"] * 40) + " long request for a watercolour of a harbour"  # 247 characters
    page.get_by_label("Generate images").uncheck()
    page.get_by_label("Message", exact=True).fill(prompt)
    page.keyboard.press("Control+Enter")
    named, titled = prompt[:119] + "…", prompt[:59] + "…"
    expect(heading).to_have_text(named)
    expect(page).to_have_title(re.compile("^" + re.escape(titled + " · alpha")))
    expect(second_tab.page.get_by_role("heading", level=1)).to_have_text(named)
    expect(second_tab.page).to_have_title(page.title())
    live_title = page.title()

    expect(page.locator(LAST_TURN)).to_have_attribute("data-status", "completed", timeout=20_000)
    page.reload()  # what the server says is what the page said
    expect(heading).to_have_text(named)
    expect(page).to_have_title(live_title)

    page.get_by_label("Message", exact=True).fill("and now a lighthouse")
    page.keyboard.press("Control+Enter")  # a later message does not rename it
    expect(page.locator(LAST_TURN).locator(".bubble.user [data-slot=text]")).to_have_text("and now a lighthouse")
    expect(heading).to_have_text(named)


def test_nothing_with_focus_is_hidden_under_the_sticky_composer(tab):
    page = tab.page
    page.set_viewport_size(WINDOW)
    with tab.studio.api() as api:
        thread_id, (source_id,) = made_images(api, "draw a red kite over a meadow")
        edit = {"content": "make it blue", "operation": "generate_image", "input_image_document_id": source_id}
        response = api.post(f"/threads/{thread_id}/messages", json=edit)
        assert response.status_code == 200, response.text
    tab.sign_in()
    tab.go(f"/projects/{tab.studio.project_id}/threads/{thread_id}")
    expect(page.locator("#feed-status")).to_have_text("Live")
    expect(page.locator("#composer")).to_have_css("position", "sticky")
    page.get_by_label("Message", exact=True).focus()

    # Through every link and button of both turns (lineage chips included), backwards from the
    # composer to the page's heading and forwards again: each is scrolled clear of the composer
    # as it gets focus (forwards is where it would land under it).
    for key, start in (("Shift+Tab", "Message"), ("Tab", "Threads")):
        passed = [_press_until(tab, key, lambda f: f["turn"] is not None)]
        while passed[-1]["turn"] is not None:
            passed.append(_press(tab, key))
        assert [f["text"] for f in passed].count("Download") == 2, (start, passed)
        assert sum(f["tag"] == "a" and not f["text"] for f in passed) >= 4, passed  # images and lineage chips
    assert passed[-1]["id"] == "id_content"
