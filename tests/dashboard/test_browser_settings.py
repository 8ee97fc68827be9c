"""Settings in Chromium on a live Easel: an owner finds Provider keys from the nav, adds an OpenAI
key, sees it only as "…" and its last four, and removes it again; the composer then marks
OpenAI's models "(no key)" and links back to Provider keys. Screenshots at 1280 and 390 px
go to artifacts/screenshots/settings-providers-*."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.dashboard.browser import screenshots

EMAIL, PASSWORD = "settings-owner@example.com", "a long settings password"
KEY = "sk-proj-browser-typed-key-4f2a"


def test_an_owner_adds_an_openai_key_on_the_settings_page(tab):
    # A project of its own: a key in the shared "alpha" would change other tests' default models.
    project_id = tab.studio.add_user(EMAIL, "Settings studio", PASSWORD)
    page = tab.page
    tab.sign_in(EMAIL, PASSWORD)
    tab.nav("Settings")
    expect(page).to_have_url(re.compile(rf"/projects/{project_id}/settings$"))
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.locator("nav.tabs").get_by_role("link", name="Settings")).to_have_attribute("aria-current", "page")
    screenshots(tab, "settings")

    page.get_by_role("link", name="Provider keys").click()
    openai = page.locator("#provider-openai")
    openai.get_by_label("Add a key for OpenAI").fill(KEY)
    openai.get_by_role("button", name="Save key for OpenAI").click()

    expect(page.get_by_role("status")).to_contain_text(f"Saved the project’s OpenAI key ending …{KEY[-4:]}.")
    openai = page.locator("#provider-openai")
    expect(openai.locator("[data-project-key]")).to_contain_text(f"…{KEY[-4:]}")
    expect(openai.locator('[data-state="project"]')).to_have_text("Project key")
    expect(openai.get_by_label("Replace the key for OpenAI")).to_have_value("")
    assert KEY not in page.content()
    expect(page.locator("nav.tabs").get_by_role("link", name="Settings")).to_have_attribute("aria-current", "page")
    screenshots(tab, "settings-providers")

    openai.get_by_role("button", name="Remove the project’s OpenAI key").click()  # the confirm is accepted
    expect(page.get_by_role("status")).to_contain_text("Removed the project’s OpenAI key.")
    expect(page.locator("#provider-openai [data-project-key]")).to_have_text("None")

    # Without the key, the composer marks OpenAI's models and points the owner back here.
    tab.nav("Threads")
    page.get_by_role("button", name="New thread").click()
    expect(page.locator("#id_image_model option", has_text="gpt-image-1 (no key)").first).to_be_attached()
    hint = page.locator("[data-keys-hint]")
    expect(hint).to_contain_text("Models marked “(no key)” need a key")
    screenshots(tab, "settings-composer-hint")
    hint.get_by_role("link", name="Settings → Provider keys").click()
    expect(page.get_by_role("heading", name="Provider keys")).to_be_visible()
