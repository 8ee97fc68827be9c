"""Review in Chromium: the queue driven from the keyboard (J/K move, A approves, C asks for a
reason), a comment on a rectangle drawn on the image (stored in the image's pixels) and applied as
the next version in place, several images approved at once, and the queue showing a new pending
image live. Each test works in a project of its own, so the shared live server's other tests see
no review policy. Screenshots at 1280 and 390 px go to artifacts/screenshots/review-*."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.dashboard.browser import Tab, drag, made_images, own_room, screenshots

SOURCE_SIZE = (640, 480)
PASSWORD = "a long reviewer password"


def _room(tab: Tab) -> tuple[str, httpx.Client]:
    return own_room(tab, owner="lead{n}@review.example", room="review room", password=PASSWORD, timeout=60)


def _require_review(tab: Tab, project_id: str, *, shots: bool = False) -> None:
    """Turn on "every new image waits for review" on the policy page, as an owner does."""
    page = tab.page
    tab.go(f"/projects/{project_id}/settings/review")
    page.get_by_label("Every new image waits for review").check()
    page.get_by_label("Blocked terms").fill("gore\nweapons")
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".flash")).to_contain_text("The review policy is saved")
    expect(page.get_by_label("Every new image waits for review")).to_be_checked()
    if shots:
        screenshots(tab, "review-policy")


def _images(api: httpx.Client, prompt: str, n: int = 1) -> list[str]:
    """n images of SOURCE_SIZE made through the API, newest last: their document ids."""
    return made_images(api, prompt, n=n, size="x".join(map(str, SOURCE_SIZE)))[1]


def _item(page, document_id: str):
    return page.locator(f'.queue-item[data-document-id="{document_id}"]')


def test_the_queue_moves_with_j_and_k_and_a_approves_the_focused_image(tab):
    page = tab.page
    project_id, api = _room(tab)
    _require_review(tab, project_id)
    oldest, middle, newest = _images(api, "draw a red robot waving", n=3)
    tab.nav("Review")
    expect(page.locator("#feed-status")).to_have_text("Live")
    items = page.locator(".queue-item")
    expect(items).to_have_count(3)
    ids = [items.nth(i).get_attribute("data-document-id") for i in range(3)]
    assert set(ids) == {oldest, middle, newest}

    page.keyboard.press("j")
    expect(items.nth(0)).to_be_focused()
    expect(items.nth(0)).to_have_class(re.compile(r"\bis-current\b"))
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(items.nth(2)).to_be_focused()
    page.keyboard.press("k")
    expect(items.nth(1)).to_be_focused()
    expect(items.nth(2)).not_to_have_class(re.compile(r"\bis-current\b"))

    page.keyboard.press("a")
    expect(items.nth(1).locator("[data-status-badge]")).to_have_text("Approved")
    expect(items.nth(1)).to_have_attribute("data-status", "approved")
    expect(items.nth(1)).to_have_class(re.compile(r"\bis-decided\b"))  # dimmed, left in place
    for other in (0, 2):
        expect(items.nth(other).locator("[data-status-badge]")).to_have_text("Pending review")

    # C asks for the reason first; Enter decides.
    page.keyboard.press("j")
    expect(items.nth(2)).to_be_focused()
    page.keyboard.press("c")
    dialog = page.locator("#reason-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Reason")).to_be_focused()
    dialog.get_by_label("Reason").fill("the wave looks stiff")
    dialog.get_by_label("Reason").press("Enter")
    expect(dialog).to_be_hidden()
    expect(items.nth(2).locator("[data-status-badge]")).to_have_text("Changes requested")
    expect(items.nth(2)).to_be_focused()

    # Letters typed into a field are words, not shortcuts.
    page.locator("#bulk-reason").click()
    page.keyboard.type("a calm reason")
    expect(items.nth(0).locator("[data-status-badge]")).to_have_text("Pending review")
    screenshots(tab, "review-queue")

    # What was stored: the page's own filters, after a reload.
    tab.go(f"/projects/{project_id}/review?status=approved")
    expect(page.locator(".queue-item")).to_have_count(1)
    expect(_item(page, ids[1])).to_be_visible()
    tab.go(f"/projects/{project_id}/review?status=changes_requested")
    expect(_item(page, ids[2])).to_be_visible()
    # Enter on a focused item opens it; J there goes on to the older image.
    tab.go(f"/projects/{project_id}/review?status=all")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/review/{ids[0]}\?status=all$"))
    page.keyboard.press("j")
    page.wait_for_url(re.compile(rf"/review/{ids[1]}\?status=all$"))


def test_a_rectangle_drawn_on_the_image_becomes_a_region_comment_and_applying_it_makes_a_new_version(tab):
    page = tab.page
    project_id, api = _room(tab)
    (image_id,) = _images(api, "draw a green frog on a lily pad")
    tab.go(f"/projects/{project_id}/review/{image_id}")
    expect(page.locator(".review-frame img")).to_have_js_property("complete", True)
    layer = page.locator(".review-frame .area-layer")
    expect(layer).to_be_visible()

    drawn = drag(tab, layer, (0.2, 0.25), (0.55, 0.6), SOURCE_SIZE)
    expect(page.locator(".area-box")).to_be_visible()
    form = page.locator("#comment-form")
    typed = {n: int(form.get_by_label(n.capitalize(), exact=True).input_value()) for n in ("x", "y", "width", "height")}
    for key, value in drawn.items():
        assert abs(typed[key] - value) <= 2, (key, typed, drawn)
    form.get_by_label("Add a comment").fill("give the frog a tiny golden crown")
    form.get_by_role("button", name="Add comment").click()
    page.wait_for_url(re.compile(r"#comment-[0-9a-f-]{36}$"))

    # The stored comment (the page draws it from the database) is the drawn rectangle, in image pixels.
    note = page.locator(".comment").filter(has_text="give the frog a tiny golden crown")
    expect(note).to_be_visible()
    comment_id = note.get_attribute("data-comment")
    rect = page.locator(f'.comment-box[data-comment="{comment_id}"] rect:not(.box-label)')
    stored = {k: float(rect.get_attribute(k)) for k in ("x", "y", "width", "height")}
    for key, value in drawn.items():
        assert abs(stored[key] - value) <= 2, (key, stored, drawn)
    listed = api.get(f"/documents/{image_id}/comments")
    if listed.status_code == 200:  # the review API, when it is there, says the same
        region = next(c for c in listed.json()["comments"] if c["comment_id"] == comment_id)["regions"][0]
        assert all(abs(region[k] - stored[k]) < 0.001 for k in stored), (region, stored)
    screenshots(tab, "review-focused")

    # The keyboard's way: four numbers. One outside the image is refused in words, nothing stored.
    form = page.locator("#comment-form")
    form.get_by_label("Add a comment").fill("and a pond behind")
    for label, value in (("X", "600"), ("Y", "10"), ("Width", "100"), ("Height", "50")):
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comment-form .field-error")).to_have_text("regions[0] lies outside the 640x480 image")
    expect(page.locator(".comment")).to_have_count(1)

    # Apply comments: the revise run, followed in place, ends in a new pending version.
    revise = page.locator("#revise-form")
    expect(page.get_by_role("checkbox", name="Apply comment 1")).to_be_checked()
    revise.get_by_role("button", name="Apply comments").click()
    result = revise.locator("[data-revise-result]")
    expect(result).to_contain_text("Applying the comments")
    version = result.locator(".queue-item")
    expect(version).to_have_count(1, timeout=40_000)
    expect(version.locator("[data-status-badge]")).to_have_text("Pending review")
    new_id = version.get_attribute("data-document-id")
    assert new_id != image_id
    expect(version.locator("img")).to_have_js_property("complete", True)
    expect(page.locator(".comment.resolved")).to_contain_text("Resolved by the new version")
    screenshots(tab, "review-revised")
    version.locator("[data-open]").click()
    page.wait_for_url(re.compile(rf"/review/{new_id}(\?status=all)?$"))
    expect(page.get_by_role("heading", name="Compared with the version it was made from")).to_be_visible()
    screenshots(tab, "review-compare")
    # C on the focused view asks for the reason in the page's own field; Enter decides.
    page.keyboard.press("c")
    expect(page.locator("#id_reason")).to_be_focused()
    expect(page.locator("[data-reason-hint]")).to_have_text(
        "Say why, then press Enter to request changes (Esc cancels)."
    )
    page.keyboard.type("the crown should be smaller")
    page.keyboard.press("Enter")
    expect(page.locator("#status-heading [data-status-badge]")).to_have_text("Changes requested")
    expect(page.locator(".decisions")).to_contain_text("the crown should be smaller")
    tab.go(f"/projects/{project_id}/review/{image_id}")
    expect(page.locator(".comment.resolved")).to_have_count(1)
    expect(page.locator(".notice")).to_contain_text("A newer version of this image is under review")


def test_several_selected_images_are_approved_at_once(tab):
    page = tab.page
    project_id, api = _room(tab)
    _require_review(tab, project_id, shots=True)
    made = _images(api, "paint a blue kite over the sea", n=3)
    tab.nav("Review")
    expect(page.locator(".queue-item")).to_have_count(3)
    chosen, left = made[:2], made[2]
    for document_id in chosen:
        _item(page, document_id).locator(".queue-check").check()
    expect(page.locator("[data-selected-count]")).to_have_text("2 selected")
    page.locator("#bulk-reason").fill("on brief for the spring campaign")
    page.get_by_role("button", name="Approve selected").click()
    for document_id in chosen:
        expect(_item(page, document_id).locator("[data-status-badge]")).to_have_text("Approved")
        expect(_item(page, document_id).locator(".queue-check")).not_to_be_checked()
    expect(_item(page, left).locator("[data-status-badge]")).to_have_text("Pending review")
    expect(page.locator("[data-selected-count]")).to_have_text("None selected")

    tab.go(f"/projects/{project_id}/review?status=approved")
    expect(page.locator(".queue-item")).to_have_count(2)
    tab.nav("Activity")
    rows = page.locator('tr[data-action="decided"]')
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("on brief for the spring campaign")
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute("href", "/api/audit?format=csv")
    page.get_by_label("Action").select_option("decided")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", "/api/audit?format=csv&action=decided"
    )
    screenshots(tab, "review-activity")


def test_a_new_pending_image_appears_in_the_open_queue(tab):
    page = tab.page
    project_id, api = _room(tab)
    _require_review(tab, project_id)
    tab.nav("Review")
    expect(page.locator("#queue-empty")).to_contain_text("Nothing waits for review")
    expect(page.locator("#feed-status")).to_have_text("Live")
    screenshots(tab, "review-queue-empty")

    (document_id,) = _images(api, "draw a lighthouse at dusk")

    item = _item(page, document_id)
    expect(item).to_be_visible(timeout=20_000)
    expect(item.locator("[data-status-badge]")).to_have_text("Pending review")
    expect(item).to_contain_text("draw a lighthouse at dusk")
    expect(page.locator("#queue-empty")).to_be_hidden()
    expect(page.locator("#bulk-form")).to_be_visible()
    # Someone else's decision (here: the API's) updates the badge in place.
    decided = api.post(f"/documents/{document_id}/review", json={"decision": "rejected", "reason": "off brand"})
    if decided.status_code == 200:
        expect(item.locator("[data-status-badge]")).to_have_text("Rejected")
