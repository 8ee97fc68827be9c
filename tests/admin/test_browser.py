"""The admin's document list in Chromium, signed in as staff: the thumbnails load under the CSP."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.admin.conftest import STAFF, STAFF_PASSWORD

# Every CSP refusal, whatever the console says about it.
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def test_the_document_list_shows_thumbnails_that_load_without_csp_violations(tab):
    page = tab.page
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    tab.go("/admin/")
    page.get_by_label("Username").fill(STAFF)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    tab.go("/admin/designs/document/")
    thumbnails = page.locator("img.easel-thumbnail")
    expect(thumbnails).to_have_count(len(tab.studio.documents))
    page.wait_for_function("() => [...document.querySelectorAll('img.easel-thumbnail')].every((img) => img.complete)")
    widths = thumbnails.evaluate_all("(images) => images.map((img) => img.naturalWidth)")
    assert all(width > 0 for width in widths), widths
    tab.screenshot("admin-documents")

    page.get_by_role("link", name=tab.studio.documents[0] + ".png").click()
    preview = page.locator(".field-preview img.easel-thumbnail")
    expect(preview).to_be_visible()
    assert preview.evaluate("(img) => img.complete && img.naturalWidth") > 0
    tab.screenshot("admin-document")
    assert page.evaluate("window.cspViolations") == []
