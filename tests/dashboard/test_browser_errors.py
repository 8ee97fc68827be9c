"""Error pages in Chromium: a missing page is a dashboard page with a way home, styled by the
hashed, compressed stylesheet a live server serves after collectstatic."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.dashboard.browser import screenshots


def test_a_missing_page_looks_like_the_dashboard_and_leads_home(tab):
    page = tab.page
    tab.allow_console(r"status of 404")
    tab.sign_in()

    response = tab.go("/projects/nope")

    assert response.status == 404
    expect(page).to_have_title("Page not found · Easel")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    stylesheet = page.evaluate("document.styleSheets[0].href")
    assert re.search(r"/static/easel/app\.[0-9a-f]{12}\.css$", stylesheet)
    # Styled: the panel has the dashboard's border and background, not the browser's defaults.
    panel = page.locator("section.panel")
    assert panel.evaluate("node => getComputedStyle(node).borderTopStyle") == "solid"
    screenshots(tab, "error-404")

    page.get_by_role("link", name="Back to your projects").click()

    expect(page).to_have_url(re.compile(r"/projects/[0-9a-f-]+/threads$"))


def test_a_trailing_slash_on_the_sign_in_address_shows_the_sign_in_form(tab):
    tab.go("/accounts/login/")

    expect(tab.page).to_have_url(re.compile(r"/accounts/login$"))
    expect(tab.page.get_by_role("button", name="Sign in")).to_be_visible()
