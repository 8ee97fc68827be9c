"""Refining in Chromium: a rectangle dragged on an image confines the edit to it (checked on the
stored pixels), variants arrive side by side, and the composer carries uploads and gallery picks
as removable chips. Screenshots at 1280 and 390 px go where the other dashboard tests put theirs."""

from __future__ import annotations

import io
import json
import re

import httpx
from PIL import Image, ImageChops, ImageDraw
from playwright.sync_api import expect

from tests.dashboard.browser import DESKTOP, SCREENSHOTS, Tab, drag, made_images

LAST_TURN = "#turns > li.turn >> nth=-1"
SOURCE_SIZE = (640, 480)
FEATHER = 6  # pixels just outside the area the edit may blend into (workers/masked_edit.py)
NARROW = {"width": 390, "height": 844}


def _seed_image(tab: Tab, prompt: str) -> tuple[str, str]:
    """A thread with one 640x480 image, made through the API: (thread id, document id)."""
    with tab.studio.api() as api:
        thread_id, (document_id,) = made_images(api, prompt, size="x".join(map(str, SOURCE_SIZE)))
    return thread_id, document_id


def _document(tab: Tab, document_id: str) -> dict:
    with tab.studio.api() as api:
        response = api.get(f"/documents/{document_id}")
    assert response.status_code == 200, response.text
    return response.json()["metadata_"]


def _pixels(url: str) -> Image.Image:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image.convert("RGB")


def _shots(tab: Tab, name: str, wait_for: str | None = None) -> None:
    """The whole page at 1280 and at 390 px; nothing may scroll sideways at 390."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = tab.page
    page.screenshot(path=str(SCREENSHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(150)
    if wait_for:
        page.locator(wait_for).scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(150)
    assert overflow <= 0, f"{name} scrolls sideways at 390 px by {overflow} px"


def test_a_rectangle_drawn_on_the_image_confines_the_refine_to_it(tab):
    page = tab.page
    thread_id, source_id = _seed_image(tab, "draw a red robot on a green lawn")
    tab.sign_in()
    tab.go(f"/projects/{tab.studio.project_id}/threads/{thread_id}")
    card = page.locator(f'.image-card[data-document-id="{source_id}"]')
    expect(card.locator("img").first).to_be_visible()
    card.get_by_text("Refine", exact=True).click()
    card.get_by_label("Describe the change").fill("add a yellow star")
    layer = card.locator(".area-layer")
    expect(layer).to_be_visible()
    expect(card.locator(".area-box")).to_be_hidden()

    drawn = drag(tab, layer, (0.25, 0.3), (0.6, 0.55), SOURCE_SIZE)
    expect(card.locator(".area-box")).to_be_visible()
    typed = {
        name: int(card.get_by_label(label, exact=True).input_value())
        for name, label in (("x", "X"), ("y", "Y"), ("width", "Width"), ("height", "Height"))
    }
    for key, value in drawn.items():
        assert abs(typed[key] - value) <= 2, (key, typed, drawn)
    assert json.loads(card.locator("input[name=regions]").input_value()) == [typed]
    expect(card.get_by_label("Aspect ratio")).to_be_disabled()  # an area edit keeps the image's shape
    expect(card.locator(".area-size")).to_have_text(f"{typed['width']}×{typed['height']}")
    _shots(tab, "refine-area", wait_for=f'.image-card[data-document-id="{source_id}"] .refine-form')
    expect(layer).to_be_visible()

    card.get_by_role("button", name="Refine image").click()
    turn = page.locator(LAST_TURN)
    expect(turn.locator(".bubble.user [data-slot=text]")).to_have_text("add a yellow star")
    expect(turn.locator(".refines")).to_contain_text(f"only inside a {typed['width']}×{typed['height']} area")
    child = turn.locator(".image-card[data-document-id]")
    expect(child).to_have_count(1, timeout=20_000)
    expect(turn).to_have_attribute("data-status", "completed")
    expect(child.locator("[data-slot=edit-note]")).to_have_text(
        f"Edited inside a {typed['width']}×{typed['height']} area"
    )
    expect(card.locator(".area-layer")).to_be_hidden()  # the panel closed with the send

    # What was stored: the drawn rectangle in the image's pixels, and every pixel outside it kept.
    edited = _document(tab, child.get_attribute("data-document-id"))
    mask = _document(tab, edited["edit_area"]["mask_document_id"])
    assert mask["operation"] == "mask" and edited["input_image_document_id"] == source_id
    # The turn's area is recorded on its mask; the edit's own `regions` list repeats it when set.
    for region in (mask["regions"][0], *edited["edit_area"]["regions"][:1]):
        for key, value in drawn.items():
            assert abs(region[key] - value) <= 2, (key, region, drawn)
    region = mask["regions"][0]
    source = _pixels(_document(tab, source_id)["url"])
    result = _pixels(edited["url"])
    assert result.size == source.size == SOURCE_SIZE
    difference = ImageChops.difference(source, result)
    inside = (region["x"], region["y"], region["x"] + region["width"] - 1, region["y"] + region["height"] - 1)
    assert difference.crop(tuple(int(v) for v in inside)).getbbox() is not None, "nothing changed inside the area"
    around = (inside[0] - FEATHER, inside[1] - FEATHER, inside[2] + FEATHER, inside[3] + FEATHER)
    ImageDraw.Draw(difference).rectangle(around, fill=(0, 0, 0))
    assert difference.getbbox() is None, f"pixels changed outside the area: {difference.getbbox()}"

    # "Clear area" empties it again, from the keyboard too.
    refine = child.get_by_text("Refine", exact=True)
    refine.click()
    drag(tab, child.locator(".area-layer"), (0.1, 0.1), (0.3, 0.3), SOURCE_SIZE)
    expect(child.locator(".area-box")).to_be_visible()
    child.get_by_role("button", name="Clear area").press("Enter")
    expect(child.locator(".area-box")).to_be_hidden()
    assert child.locator("input[name=regions]").input_value() == ""
    assert child.get_by_label("Width", exact=True).input_value() == ""


def test_a_bad_area_typed_by_keyboard_shows_its_error_beside_the_area(tab):
    page = tab.page
    thread_id, source_id = _seed_image(tab, "draw a blue kite")
    tab.sign_in()
    tab.go(f"/projects/{tab.studio.project_id}/threads/{thread_id}")
    card = page.locator(f'.image-card[data-document-id="{source_id}"]')
    card.get_by_text("Refine", exact=True).click()
    card.get_by_label("Describe the change").fill("a red tail")
    for label, value in (("X", "600"), ("Y", "10"), ("Width", "100"), ("Height", "50")):
        card.get_by_label(label, exact=True).fill(value)
    expect(card.locator(".area-box")).to_be_visible()
    card.get_by_role("button", name="Refine image").click()
    error = card.locator('[data-errors="regions"]')
    expect(error).to_have_text("regions[0] lies outside the 640x480 image")
    expect(card.get_by_label("X", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(LAST_TURN).locator(".bubble.user [data-slot=text]")).not_to_have_text("a red tail")


def test_variants_arrive_side_by_side(tab):
    page = tab.page
    tab.sign_in()
    page.get_by_role("button", name="New thread").click()
    page.wait_for_url(re.compile(r"/threads/[0-9a-f-]{36}$"))
    composer = page.locator("#composer")
    expect(composer.locator("#id_image_model option", has_text="easel-local-painter")).to_have_count(1)
    composer.get_by_label("Image model").select_option("local/easel-local-painter")
    composer.get_by_label("Variants").select_option("3")
    composer.get_by_label("Aspect ratio").select_option("3:4")
    composer.get_by_label("Message", exact=True).fill("draw a tiny red robot watering a sunflower")
    composer.get_by_role("button", name="Send").click()
    turn = page.locator(LAST_TURN)
    cards = turn.locator(".image-card[data-document-id]")
    expect(cards).to_have_count(3, timeout=30_000)
    expect(turn).to_have_attribute("data-status", "completed", timeout=20_000)
    for index in range(3):
        expect(cards.nth(index).locator("img").first).to_have_js_property("complete", True)
    boxes = [cards.nth(i).bounding_box() for i in range(3)]
    assert len({round(b["y"]) for b in boxes}) == 1, f"not in one row at 1280 px: {boxes}"
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
    for index in range(3):  # each variant has its own actions
        expect(cards.nth(index).get_by_role("link", name="Download")).to_be_visible()
        expect(cards.nth(index).get_by_text("Refine", exact=True)).to_be_visible()
    for text in cards.locator("[data-slot=meta]").all_inner_texts():
        size = re.search(r"(\d+)×(\d+)", text)
        assert size, text
        width, height = map(int, size.groups())
        assert width * 4 == height * 3, text  # the aspect ratio asked for
        assert "easel-local-agent" not in text, "the reply's model belongs under the reply, not on an image"
    expect(turn.locator(".bubble.assistant > [data-slot=meta]")).to_contain_text("local/easel-local-agent")
    _shots(tab, "variants", wait_for=LAST_TURN)
    page.set_viewport_size(NARROW)
    rows = {round(cards.nth(i).bounding_box()["y"]) for i in range(3)}
    page.set_viewport_size(DESKTOP)
    assert len(rows) > 1, "at 390 px the variants wrap"


def test_the_composer_attaches_uploads_and_gallery_picks_as_removable_chips(tab, tmp_path):
    page = tab.page
    _thread, picked_id = _seed_image(tab, "draw a yellow sun over green hills")
    tab.sign_in()
    page.get_by_role("button", name="New thread").click()
    page.wait_for_url(re.compile(r"/threads/[0-9a-f-]{36}$"))
    thread_id = page.url.rsplit("/", 1)[-1]
    files = []
    for name, colour in (("teal.png", (20, 160, 150)), ("plum.png", (120, 40, 110))):
        Image.new("RGB", (120, 90), colour).save(tmp_path / name)
        files.append(str(tmp_path / name))
    composer = page.locator("#composer")
    composer.get_by_label("Attach images").set_input_files(files)
    chips = page.locator("#attachment-chips > li")
    expect(chips).to_have_count(2)
    composer.get_by_text("Pick from gallery").click()
    composer.locator(f'.pick input[value="{picked_id}"]').check()
    expect(chips).to_have_count(3)
    page.get_by_role("button", name="Remove upload plum.png").click()
    expect(chips).to_have_count(2)
    expect(page.get_by_role("button", name=re.compile(r"^Remove gallery image"))).to_be_focused()
    assert page.evaluate("document.getElementById('id_files').files.length") == 1
    composer.get_by_label("Message", exact=True).fill("paint this teal square in the style of the sun picture")
    _shots(tab, "composer-attachments", wait_for="#composer")

    composer.get_by_role("button", name="Send").click()
    turn = page.locator(LAST_TURN)
    expect(turn.locator(".refines [data-slot=refines-label]")).to_have_text("Attached")
    expect(turn.locator(".refines a.chip")).to_have_count(2)
    expect(chips).to_have_count(0)
    expect(page.locator("#attachment-chips")).to_be_hidden()
    expect(turn).to_have_attribute("data-status", "completed", timeout=20_000)
    with tab.studio.api() as api:
        messages = api.get(f"/threads/{thread_id}").json()["messages"]
    attached = next(m for m in messages if m["role"] == "user")["attachments"]
    assert attached[0]["document_id"] == picked_id
    assert [a.get("role") for a in attached] == ["reference", "reference"]
    assert _document(tab, attached[1]["document_id"])["original_filename"] == "teal.png"


def test_the_image_page_names_the_edited_area_and_refines_inside_a_drawn_one(tab):
    page = tab.page
    thread_id, source_id = _seed_image(tab, "draw a green frog on a lily pad")
    with tab.studio.api() as api:
        response = api.post(
            "/threads/messages",
            json={
                "content": "give it a crown",
                "operation": "generate_image",
                "input_image_document_id": source_id,
                "regions": [{"x": 240, "y": 100, "width": 160, "height": 80}],
                "image_model_provider": "local",
                "image_model_name": "easel-local-painter",
            },
        )
    assert response.status_code == 200, response.text
    edited_id = response.json()["generated_media"][0]["document_id"]
    tab.sign_in()
    tab.go(f"/projects/{tab.studio.project_id}/images/{edited_id}")
    expect(page.locator(".facts .edit-note")).to_have_text(
        "Edited inside a 160×80 area; the rest of the image was kept as it was."
    )
    page.get_by_text("Refine this image").click()
    page.get_by_label("Describe the change").fill("make the crown silver")
    drawn = drag(tab, page.locator(".detail .area-layer"), (0.5, 0.2), (0.7, 0.4), SOURCE_SIZE)
    assert abs(int(page.get_by_label("Width", exact=True).input_value()) - drawn["width"]) <= 2
    _shots(tab, "image-refine-area", wait_for=".detail .refine-form")
    page.get_by_role("button", name="Refine in its thread").click()  # a plain post, then the thread
    page.wait_for_url(re.compile(f"/threads/{thread_id}$"))
    turn = page.locator(LAST_TURN)
    expect(turn.locator(".refines")).to_contain_text("only inside a")
    expect(turn.locator(".image-card[data-document-id] [data-slot=edit-note]")).to_contain_text(
        "Edited inside a", timeout=20_000
    )
