"""A thread shows each image from the copy its card needs (srcset: thumbnail, display size,
original), loaded lazily: at 1280 px and a pixel ratio of 1, a 416 px card never downloads the
1024 px PNG."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.dashboard.browser import made_images, screenshots


def test_a_threads_image_comes_from_a_sized_webp_copy_not_the_full_png(tab):
    page = tab.page
    with tab.studio.api() as api:
        thread_id, (document_id,) = made_images(api, "a red kite over green hills")
    tab.sign_in()
    assert page.evaluate("window.devicePixelRatio") == 1

    tab.go(f"/projects/{tab.studio.project_id}/threads/{thread_id}")

    img = page.locator(f'.image-card[data-document-id="{document_id}"] img[data-slot="img"]')
    expect(img).to_have_attribute("loading", "lazy")
    expect(img).to_have_attribute(
        "srcset", re.compile(r"\.thumb\.webp\?\S+ 256w, \S+\.display\.webp\?\S+ 832w, \S+\.png\?\S+ 1024w$")
    )
    expect(img).to_have_attribute("src", re.compile(rf"/api/media/{document_id}\.png\?"))
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    chosen = img.evaluate("img => img.currentSrc")
    assert re.search(rf"/api/media/{document_id}\.(display|thumb)\.webp\?", chosen), chosen
    fetched = page.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)")
    assert not [url for url in fetched if f"/api/media/{document_id}.png" in url], "the original was downloaded"
    # A copy chosen by a width descriptor reports its size over its density as its natural size,
    # so the image's own pixels (the refine area's unit) are read from width and height.
    assert img.evaluate("img => img.naturalWidth") < 1024
    expect(img).to_have_attribute("width", "1024")
    shown = img.bounding_box()
    assert 300 < shown["width"] <= 416, shown
    screenshots(tab, "thread-srcset")
