"""The rest of the dashboard in Chromium: signing in, refining an image and following its
lineage, the gallery, API keys, invitations (a new person, an existing account, revoked links),
strangers, and the keyboard."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.dashboard.browser import OWNER, Tab, made_images

LAST_TURN = "#turns > li.turn >> nth=-1"


def _seed_image(tab: Tab, prompt: str) -> tuple[str, str]:
    """A thread with one image, made through the API with the project's key: (thread id, document id)."""
    with tab.studio.api() as api:
        thread_id, (document_id,) = made_images(api, prompt)
    return thread_id, document_id


def test_signing_in_and_out(tab):
    page = tab.page
    tab.go("/")
    expect(page).to_have_url(re.compile(r"/accounts/login\?next=/$"))
    tab.screenshot("login")
    page.get_by_label("Email or username").fill(OWNER)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password")
    expect(page.get_by_label("Email or username")).to_have_value(OWNER)
    tab.sign_in()
    expect(page.get_by_role("heading", name="Threads", exact=True)).to_be_visible()
    expect(page.locator("nav.tabs").get_by_role("link", name="Threads")).to_have_attribute("aria-current", "page")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login$"))


def test_repeated_wrong_passwords_end_on_a_page_that_says_when_to_try_again(tab):
    page = tab.page
    tab.allow_console(r"status of 429")
    try:
        for n in range(10):  # EASEL_LOGIN_FAILURE_LIMIT's default
            tab.go("/accounts/login")
            page.get_by_label("Email or username").fill("guesser@example.com")
            page.get_by_label("Password").fill(f"guess number {n}")
            page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("Try again in 15 minutes")
        tab.screenshot("locked-out")
    finally:
        # The address (127.0.0.1) is paused too: clear it for the tests that sign in after this one.
        tab.studio.live.manage("axes_reset")
    tab.sign_in()


def test_refine_shows_lineage_in_the_thread_the_image_page_and_the_gallery(tab):
    page = tab.page
    thread_id, parent_id = _seed_image(tab, "draw a red robot")
    tab.sign_in()
    tab.go(f"/projects/{tab.studio.project_id}/threads/{thread_id}")
    parent = page.locator(f'.image-card[data-document-id="{parent_id}"]')
    expect(parent.locator("img").first).to_be_visible()

    parent.get_by_text("Refine", exact=True).click()
    parent.get_by_label("Describe the change").fill("make it blue")
    parent.get_by_role("button", name="Refine image").click()
    turn = page.locator(LAST_TURN)
    expect(turn.locator(".bubble.user [data-slot=text]")).to_have_text("make it blue")
    expect(turn.locator(".refines a.chip")).to_have_attribute("href", re.compile(parent_id))
    expect(turn.locator("[data-placeholder]")).to_be_visible()
    child = turn.locator(".image-card[data-document-id]")
    expect(child).to_have_count(1, timeout=20_000)
    expect(turn).to_have_attribute("data-status", "completed")
    child_id = child.get_attribute("data-document-id")
    # Lineage both ways, live: the edit says where it came from, the original what it became.
    expect(child.locator("[data-slot=parent] a")).to_have_attribute("href", re.compile(parent_id))
    expect(parent.locator(f'[data-slot=children] a[data-child="{child_id}"]')).to_be_visible()
    page.reload()  # and the same from the server
    expect(page.locator(f'.image-card[data-document-id="{parent_id}"] [data-child="{child_id}"]')).to_be_visible()

    child.locator("a.image-link").click()
    expect(page.get_by_role("heading", name="make it blue")).to_be_visible()
    chain = page.locator(".lineage-chain")
    expect(chain.locator("a")).to_have_attribute("href", re.compile(parent_id))
    expect(chain).to_contain_text("This image")
    expect(page.locator(".facts")).to_contain_text("easel-local-painter")
    expect(page.locator(".facts")).to_contain_text("1024 × 1024 px")
    download = page.get_by_role("link", name="Download")
    expect(download).to_have_attribute("download", re.compile(r"\.png$"))
    fetched = page.request.get(download.get_attribute("href"))
    assert fetched.status == 200 and fetched.headers["content-type"] == "image/png"
    tab.screenshot("image")

    tab.nav("Gallery")
    page.get_by_label("Thread").select_option(thread_id)
    page.get_by_role("button", name="Apply").click()
    cards = page.locator(".grid-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_have_attribute("data-document-id", child_id)  # newest first
    page.get_by_label("Model").select_option("local/easel-local-painter")
    page.get_by_label("Kind").select_option("edit")
    page.get_by_role("button", name="Apply").click()
    expect(cards).to_have_count(1)
    tab.screenshot("gallery")
    cards.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/images/{child_id}$"))


def test_gallery_filters_report_field_errors(tab):
    tab.sign_in()
    page = tab.page
    tab.nav("Gallery")
    page.get_by_label("From").fill("2026-05-02")
    page.get_by_label("To").fill("2026-05-01")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".field-error")).to_have_text("The end date is before the start date.")
    expect(page.get_by_role("heading", name="Fix the filters above")).to_be_visible()


def test_api_keys_are_shown_once_and_revoking_one_locks_it_out(tab):
    page = tab.page
    tab.sign_in()
    tab.nav("API keys")
    page.get_by_label("Key name").fill("render farm")
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("[data-new-key]").input_value()
    assert secret.startswith("esk_")
    api = f"{tab.studio.live.api_url}/threads"
    assert httpx.get(api, headers={"X-API-Key": secret}).status_code == 200
    row = page.locator("tr", has_text="render farm")
    expect(row).to_contain_text(secret[:12])
    expect(row).to_contain_text("Active")
    tab.screenshot("keys")
    page.reload()
    expect(page.locator("[data-new-key]")).to_have_count(0)
    assert secret not in page.content()
    row.get_by_role("button", name=re.compile("Revoke")).click()  # the confirm dialog is accepted
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.locator("tr", has_text="render farm")).to_contain_text("Revoked")
    assert httpx.get(api, headers={"X-API-Key": secret}).status_code == 401


def _invite(tab: Tab, email: str, role: str) -> str:
    """Invite `email` from the Members page (the tab is signed in as an owner); the link shown once."""
    page = tab.page
    tab.go(f"/projects/{tab.studio.project_id}/members")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Role", exact=True).select_option(role)
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.get_by_role("heading", name=f"Invitation for {email} as {role}")).to_be_visible()
    return page.get_by_role("textbox", name="Invitation link").input_value()


def test_a_new_person_chooses_a_password_through_the_invitation_and_lands_in_the_project(tab, second_tab):
    page = tab.page
    tab.sign_in()
    tab.nav("Members")
    page.get_by_label("Email address").fill("not an email")
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.locator("#email-errors")).to_have_text("Enter a valid email address.")
    link = _invite(tab, "painter@example.com", "member")
    assert re.fullmatch(rf"{tab.studio.base_url}/accounts/invitations/[A-Za-z0-9_-]{{43}}", link)
    pending = page.locator('tr[data-invitation="painter@example.com"]')
    expect(pending).to_contain_text("Member")
    expect(pending).to_contain_text(OWNER)
    expect(pending).to_contain_text(re.compile(r"in 6\sdays"))
    tab.screenshot("members")

    invited = second_tab.page
    invited.goto(link)
    expect(invited.get_by_role("heading", name="Join alpha")).to_be_visible()
    second_tab.screenshot("invitation-password")
    invited.get_by_label("New password", exact=True).fill("painter's own password")
    invited.get_by_label("New password confirmation").fill("painter's own password")
    invited.get_by_role("button", name="Set password and join").click()
    expect(invited).to_have_url(re.compile(f"/projects/{tab.studio.project_id}/threads$"))
    expect(invited.get_by_role("status")).to_contain_text("You joined alpha as member")
    expect(invited.locator(".who")).to_contain_text("painter@example.com")
    expect(invited.locator(".who")).to_contain_text("Member")
    invited.locator("nav.tabs").get_by_role("link", name="API keys").click()
    expect(invited.get_by_text("Only owners and admins can create or revoke keys.")).to_be_visible()
    expect(invited.get_by_role("button", name="Create key")).to_have_count(0)

    page.reload()
    expect(page.locator('tr[data-member="painter@example.com"]')).to_be_visible()
    expect(page.locator('tr[data-invitation="painter@example.com"]')).to_have_count(0)
    second_tab.allow_console("status of 410")
    response = invited.goto(link)  # used once
    assert response.status == 410
    expect(invited.get_by_role("heading", name="This invitation link does not work")).to_be_visible()
    second_tab.screenshot("invitation-unusable")


def test_someone_with_an_account_signs_in_to_accept_and_a_revoked_link_stops(tab, second_tab):
    tab.studio.add_user("guest@example.com", "Guests", "the guest's own password")
    page = tab.page
    tab.sign_in()
    link = _invite(tab, "guest@example.com", "reviewer")
    page.goto(link)  # the owner, signed in as themself, cannot use it
    expect(page.get_by_role("alert")).to_contain_text(f"You are signed in as {OWNER}, not as guest@example.com")
    tab.screenshot("invitation-other-account")

    guest = second_tab.page
    guest.goto(link)
    expect(guest.get_by_label("New password", exact=True)).to_have_count(0)
    second_tab.screenshot("invitation-sign-in")
    guest.get_by_role("link", name="Sign in to accept").click()
    guest.get_by_label("Email or username").fill("guest@example.com")
    guest.get_by_label("Password").fill("the guest's own password")
    guest.get_by_role("button", name="Sign in").click()
    expect(guest).to_have_url(link)
    second_tab.screenshot("invitation-join")
    guest.get_by_role("button", name="Join alpha as reviewer").click()
    expect(guest).to_have_url(re.compile(f"/projects/{tab.studio.project_id}/threads$"))
    expect(guest.locator(".who")).to_contain_text("Reviewer")

    revoked = _invite(tab, "gone@example.com", "member")
    row = page.locator('tr[data-invitation="gone@example.com"]')
    row.get_by_role("button", name=re.compile("New link")).click()
    renewed = page.get_by_role("textbox", name="Invitation link").input_value()
    assert renewed != revoked
    page.locator('tr[data-invitation="gone@example.com"]').get_by_role("button", name=re.compile("Revoke")).click()
    expect(page.get_by_role("status")).to_contain_text("The invitation for gone@example.com is revoked")
    expect(page.locator('tr[data-invitation="gone@example.com"]')).to_have_count(0)
    second_tab.allow_console("status of 410")
    for dead in (revoked, renewed):
        assert guest.goto(dead).status == 410


def test_a_stranger_gets_404_pages_and_no_feed(tab, second_tab):
    thread_id, document_id = _seed_image(tab, "draw a secret robot")
    tab.studio.add_user("stranger@example.com", "Elsewhere", "the stranger's password")
    stranger = second_tab
    stranger.sign_in("stranger@example.com", "the stranger's password")
    stranger.allow_console("status of 404")
    project = tab.studio.project_id
    for path in (
        f"/projects/{project}/threads/{thread_id}",
        f"/projects/{project}/images/{document_id}",
        f"/projects/{project}/gallery",
        f"/projects/{project}/keys",
    ):
        response = stranger.go(path)
        assert response.status == 404, path
        expect(stranger.page.get_by_role("heading", name="Not found")).to_be_visible()
    stranger.screenshot("not-found")
    stranger.allow_console("Unexpected response code: 403")
    opened = stranger.page.evaluate(
        """(thread) => new Promise((resolve) => {
        const ws = new WebSocket(`ws://${location.host}/ws/threads/${thread}`);
        ws.onopen = () => resolve(true);
        ws.onclose = () => resolve(false);
    })""",
        thread_id,
    )
    assert opened is False  # the feed refuses the handshake


def test_the_thread_page_works_from_the_keyboard(tab):
    page = tab.page
    tab.sign_in()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.get_by_role("button", name="New thread").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/threads/[0-9a-f-]{36}$"))
    expect(page.locator("#feed-status")).to_have_text("Live")
    for _ in range(40):  # Tab through the page until the message box has focus
        if page.evaluate("document.activeElement.id") == "id_content":
            break
        page.keyboard.press("Tab")
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
    page.keyboard.type("hello there")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Attach images")).to_be_focused()
    for _ in range(3):  # past "Pick from gallery" (shown once the project has images) to the toggle
        if page.evaluate("document.activeElement.id") == "id_image_generation":
            break
        page.keyboard.press("Tab")
    expect(page.get_by_label("Generate images")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_label("Generate images")).not_to_be_checked()
    expect(page.get_by_label("Image model")).to_be_disabled()
    expect(page.get_by_label("Variants")).to_be_disabled()
    page.get_by_label("Message", exact=True).focus()
    page.keyboard.press("Control+Enter")
    turn = page.locator(LAST_TURN)
    expect(turn).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(turn.locator(".reply-text")).to_contain_text("local development agent")
    expect(turn.locator(".image-card")).to_have_count(0)


def test_an_empty_message_is_a_field_error_not_a_failure(tab):
    page = tab.page
    tab.sign_in()
    page.get_by_role("button", name="New thread").click()
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#content-errors")).to_have_text("Write a message first.")
    expect(page.get_by_label("Message", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#turns > li")).to_have_count(0)
    tab.nav("Threads")
    tab.screenshot("threads")


def test_stop_ends_a_generation_and_frees_the_composer(tab):
    page = tab.page
    tab.sign_in()
    page.get_by_role("button", name="New thread").click()
    expect(page.locator("#feed-status")).to_have_text("Live")
    page.get_by_label("Message", exact=True).fill("draw a green robot")
    page.get_by_role("button", name="Send").click()
    turn = page.locator(LAST_TURN)
    expect(turn.locator("[data-placeholder]")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    page.get_by_role("button", name="Stop").click()
    expect(turn).to_have_attribute("data-status", "cancelled")
    expect(turn.locator(".run-state")).to_have_text("Stopped.")
    expect(turn.locator("[data-placeholder]")).to_have_count(0)
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
