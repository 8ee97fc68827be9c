"""The whole errand of issue 19 in Chromium: on a server with no provider keys and no local
engines, an owner sees the composer mark the models "(no key)", follows the link to Settings,
adds the project's OpenAI key, comes back and generates an image with it, without leaving the
dashboard. The fake OpenAI server shows that the chat and the image were sent with that key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.dashboard.browser import OWNER, OWNER_PASSWORD, Studio, _start, _tab, screenshots
from tests.e2e_providers.stack import logged
from tests.fakes.openai import FakeOpenAI

KEY = "sk-proj-typed-in-the-dashboard-9c1e"
NO_KEYS = {
    "EASEL_LOCAL_FALLBACK": "0",
    "OPENAI_API_KEY": "",
    "OPENROUTER_API_KEY": "",
    "ANTHROPIC_API_KEY": "",
    "GOOGLE_API_KEY": "",
    "GEMINI_API_KEY": "",
}


@pytest.fixture(scope="module")
def openai_fake() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def keyless_studio(tmp_path_factory, openai_fake: FakeOpenAI) -> Iterator[Studio]:
    yield from _start(tmp_path_factory, "keyless", OPENAI_BASE_URL=openai_fake.origin + "/v1", **NO_KEYS)


@pytest.fixture
def keyless_tab(chromium, keyless_studio):
    yield from _tab(chromium, keyless_studio)


def test_an_owner_adds_a_key_in_settings_and_generates_with_it(keyless_tab, openai_fake):
    page = keyless_tab.page
    keyless_tab.sign_in(OWNER, OWNER_PASSWORD)
    page.get_by_role("button", name="New thread").click()
    expect(page.locator("#id_image_model option", has_text="gpt-image-1 (no key)").first).to_be_attached()

    page.locator("[data-keys-hint]").get_by_role("link", name="Settings → Provider keys").click()
    openai = page.locator("#provider-openai")
    openai.get_by_label("Add a key for OpenAI").fill(KEY)
    openai.get_by_role("button", name="Save key for OpenAI").click()
    expect(page.get_by_role("status")).to_contain_text(f"ending …{KEY[-4:]}")

    keyless_tab.nav("Threads")
    page.get_by_role("button", name="New thread").click()
    page.locator("#id_llm").select_option("openai/gpt-4.1")
    page.locator("#id_image_model").select_option("openai/gpt-image-1")
    page.get_by_label("Message", exact=True).fill("draw a lighthouse at dusk")
    page.get_by_role("button", name="Send").click()

    image = page.locator("figure.image-card[data-document-id] img[data-slot='img']").first
    expect(image).to_be_visible(timeout=30_000)
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", image.element_handle())
    screenshots(keyless_tab, "settings-key-then-generate")
    chats = logged(openai_fake, "/chat/completions")
    images = logged(openai_fake, "/images/generations")
    assert chats and images
    assert {r["headers"]["authorization"] for r in chats + images} == {f"Bearer {KEY}"}
