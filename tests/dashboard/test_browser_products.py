"""Product customization in Chromium, end to end on the local engine: a template made through the
dashboard (upload the photo, drag the print area and a protect area on it), a preview
customization of two variants that arrive live, one selected, one refined (its new variant
arrives live too), a mockup downloaded. Screenshots at 1280 and 390 px of the templates list,
the new-template editor, a template and a customization go to artifacts/screenshots/products-*."""

from __future__ import annotations

import re

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.dashboard.browser import SCREENSHOTS, drag, screenshots

PHOTO = (640, 480)
PASSWORD = "a long product password"


def _tee(path) -> str:
    """A product photo: a white T-shirt on grey, a small printed label on its chest."""
    image = Image.new("RGB", PHOTO, (196, 200, 208))
    draw = ImageDraw.Draw(image)
    draw.polygon([(220, 60), (420, 60), (520, 140), (470, 190), (430, 160), (430, 440), (210, 440), (210, 160),
                  (170, 190), (120, 140)], fill=(248, 248, 246))  # fmt: skip
    draw.rectangle((300, 170, 340, 186), fill=(30, 60, 160))
    image.save(path)
    return str(path)


def _numbers(form) -> dict[str, int]:
    return {n: int(form.get_by_label(n.capitalize(), exact=True).input_value()) for n in ("x", "y", "width", "height")}


def test_a_template_made_in_the_browser_is_customized_live_selected_and_refined(tab, tmp_path):
    page = tab.page
    project_id = tab.studio.add_user("maker@products.example", "product room", PASSWORD)
    tab.sign_in("maker@products.example", PASSWORD)
    tab.go(f"/projects/{project_id}/threads")
    tab.nav("Products")
    expect(page.get_by_role("heading", name="No product templates yet")).to_be_visible()
    screenshots(tab, "products-empty")

    # Step 1: the photo. Step 2: the print area dragged on it, kept in the print file's 4:5 shape.
    page.get_by_role("link", name="New template").first.click()
    page.get_by_label("Product photo").set_input_files(_tee(tmp_path / "tee.png"))
    page.get_by_role("button", name="Upload and continue").click()
    page.wait_for_url(re.compile(r"/templates/new\?photo=[0-9a-f-]{36}$"))
    expect(page.locator(".editor-frame img")).to_have_js_property("complete", True)
    form = page.locator("#template-form")
    layer = page.locator(".editor-frame .area-layer").first
    drag(tab, layer, (0.36, 0.3), (0.64, 0.85), PHOTO)
    area = _numbers(form)
    assert abs(area["width"] / area["height"] - 0.8) < 0.01, area
    assert 210 <= area["x"] <= 250 and 130 <= area["y"] <= 160, area
    expect(form.locator("[data-shape-note]")).to_contain_text("The print area has the print file’s shape")
    expect(form.locator("[data-print-size]")).to_have_text("Prints at 4 × 5 in @ 300 dpi.")

    # A protect area over the label: drawn in its own panel, listed as a line the server reads.
    page.get_by_text("Add a protect area", exact=True).click()
    drawer = page.locator("form[data-protect-form]")
    drag(tab, page.locator(".editor-frame .area-layer").last, (0.465, 0.35), (0.535, 0.39), PHOTO)
    drawer.get_by_role("button", name="Add this protect area").click()
    expect(page.locator("[data-protect-boxes] rect")).to_have_count(1)
    protect = form.get_by_label("Protect areas")
    assert re.fullmatch(r"\d+, \d+, \d+, \d+", protect.input_value()), protect.input_value()
    form.get_by_label("Name").fill("White tee, front")
    form.get_by_label("Default prompt").fill("a bold retro illustration")
    screenshots(tab, "products-new")
    form.get_by_role("button", name="Create template").click()
    page.wait_for_url(re.compile(r"/templates/[0-9a-f-]{36}$"))
    expect(page.locator(".flash")).to_contain_text("is ready")
    expect(page.locator(".facts")).to_contain_text("4 × 5 in @ 300 dpi")
    expect(page.locator(".template-shapes .protect-area")).to_have_count(1)

    # A preview customization of two variants: placeholders first, filled in live.
    customize = page.locator(".customize-form")
    customize.get_by_label("Prompt").fill("a red dragon breathing fire")
    customize.get_by_label("Variants").select_option("2")
    customize.get_by_label("Customer reference").fill("order 1042")
    expect(customize.get_by_label(re.compile("Preview: quick"))).to_be_checked()
    customize.get_by_role("button", name="Start customizing").click()
    page.wait_for_url(re.compile(r"/customizations/[0-9a-f-]{36}$"))
    cards = page.locator(".round").first.locator(".variant-card")
    expect(cards).to_have_count(2)
    expect(page.locator("#status-line")).to_contain_text("Making 2 variants…")
    expect(page.locator('.variant-card[data-state="pending"]').first).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "products-making-1280.png"), full_page=True)  # while they are made
    expect(page.locator('.variant-card[data-state="completed"]')).to_have_count(2, timeout=30_000)
    expect(page.locator("#status-line")).to_have_text("2 of 2 made")
    expect(cards.first.locator("[data-status-badge]")).to_be_visible()

    # Select the first; refine the second: a new round, its variant arriving live.
    cards.nth(0).get_by_role("button", name="Select").click()
    expect(cards.nth(0).locator(".tag.ok")).to_have_text("Selected")
    expect(page.locator("[data-selected-summary]")).to_contain_text("Selected: variant 1")
    second = cards.nth(1)
    second.get_by_text("Refine", exact=True).click()
    second.get_by_label("What to change").fill("make the dragon green")
    second.get_by_label("Variants").select_option("1")
    second.get_by_role("button", name="Make variants").click()
    refined = page.locator(".round").nth(1)
    expect(refined.get_by_role("heading")).to_have_text("Refinement of variant 2")
    expect(refined.locator('.variant-card[data-state="completed"]')).to_have_count(1, timeout=30_000)
    expect(page.locator("#status-line")).to_have_text("3 of 3 made")

    with page.expect_download() as download:
        cards.nth(0).get_by_role("link", name="Download mockup").click()
    assert download.value.suggested_filename.endswith("-mockup.jpg")
    screenshots(tab, "products-customization")

    page.get_by_role("link", name="White tee, front").click()
    expect(page.locator(".customization-table")).to_contain_text("order 1042")
    screenshots(tab, "products-template")
    tab.nav("Products")
    expect(page.locator(".template-card")).to_have_count(1)
    screenshots(tab, "products-templates")
