"""Usage, limits and webhooks in Chromium on a live Easel: a project with a month of runs (seeded
with costs through the ORM, plus one image made on the local engine), its chart and tables; a
webhook added through the form, pinged to a real receiver that fails once, its signature
checked with the secret the page showed once; a disabled endpoint's notice. Screenshots at 1280
and 390 px go to artifacts/screenshots/usage-* and webhooks-*."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.dashboard.browser import Studio, Tab, _start, _tab, made_images, screenshots
from tests.webhooks.receiver import Receiver, status

PASSWORD = "a long usage password"
# (days ago, images, cost in USD, provider, model, through the key, thread)
PLAN = [
    (0, 3, "0.12", "openai", "gpt-image-1", True, 0),
    (1, 1, "0.04", "openai", "gpt-image-1", True, 0),
    (3, 6, "0.96", "google", "gemini-2.5-flash-image", False, 1),
    (4, 2, "0.08", "openai", "gpt-image-1", True, 2),
    (7, 8, "0.32", "openai", "gpt-image-1-mini", True, 2),
    (8, 1, "0.19", "openai", "dall-e-3", False, 3),
    (12, 4, "0.64", "google", "gemini-2.5-flash-image", True, 1),
    (19, 2, "0.08", "openai", "gpt-image-1", False, 4),
    (26, 5, "0.20", "openai", "gpt-image-1", True, 0),
    (40, 9, "1.00", "openai", "gpt-image-1", True, 0),  # before the 30 days
]
TITLES = ["Autumn catalogue covers", "Shop banners", "Product shots, mugs", "Poster drafts", "Logo ideas"]
SEED = """
import json
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from designs.models import (ApiKey, Message, Project, ProjectLimits, KeyLimits, Reservation, Run, WebhookAttempt,
    WebhookDelivery, WebhookEndpoint, WebhookEvent)
from designs.services.threads import assistant_default, thread_create
project = Project.objects.get(id="{project}")
key = ApiKey.objects.filter(project=project).first()
plan, titles = json.loads('{plan}'), json.loads('{titles}')
assistant = assistant_default(project=project)
threads = [thread_create(project=project, assistant=assistant) for _ in titles]
for thread, title in zip(threads, titles):
    thread.title = title
    thread.save(update_fields=["title"])
now = timezone.now()
for n, (ago, images, cost, provider, model, keyed, index) in enumerate(plan):
    thread = threads[index]
    message = Message.objects.create(project=project, thread=thread, role="user", content=title, seq=n + 1)
    run = Run.objects.create(project=project, thread=thread, assistant=assistant, user_message=message,
        status="completed", image_generation=True, image_provider=provider, image_model=model,
        llm_provider="local", llm_model="easel-local-agent", images_generated=images, cost_usd=Decimal(cost),
        api_key=key if keyed else None)
    Run.objects.filter(pk=run.pk).update(created_at=now - timedelta(days=ago))
ProjectLimits.objects.create(project=project, images_per_day=12, cost_per_month_usd=Decimal("5.00"))
KeyLimits.objects.create(api_key=key, project=project, images_per_day=8)
Reservation.objects.create(project=project, api_key=key, images=3, estimated_usd=Decimal("0.12"),
    charged_usd=Decimal("3.40"), status="settled")
hook = WebhookEndpoint.objects.create(project=project, url="https://orders.example.com/hooks/easel",
    events=["run.completed", "image.generated", "review.decided"], description="Order system (staging)",
    secret="whsec_c2VlZGVkIHNlY3JldCBmb3IgdGhlIHNjcmVlbnNob3Q=", enabled=False,
    disabled_reason="Every delivery failed for 24 hours", disabled_at=now - timedelta(hours=3),
    failing_since=now - timedelta(hours=27))
for n in range(3):
    event = WebhookEvent.objects.create(project=project, type="image.generated", body="{{}}")
    delivery = WebhookDelivery.objects.create(project=project, endpoint=hook, event=event, status="failed",
        attempts=2, last_status_code=502, last_error="HTTP 502")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=now - timedelta(hours=n + 4))
    for number in (1, 2):
        WebhookAttempt.objects.create(delivery=delivery, number=number, started_at=now - timedelta(hours=n + 4),
            duration_ms=812, status_code=502, response_body="<html><body><h1>502 Bad Gateway</h1></body></html>",
            error="HTTP 502")
"""


@pytest.fixture(scope="module")
def hooked_studio(tmp_path_factory) -> Iterator[Studio]:
    """A live Easel that may send webhooks to a loopback receiver, retrying fast."""
    yield from _start(
        tmp_path_factory,
        "usage",
        EASEL_WEBHOOK_ALLOW_PRIVATE="1",
        EASEL_WEBHOOK_RETRY_SCHEDULE="0.3,0.6,1",
        EASEL_LOCAL_IMAGE_DELAY="0",
    )


@pytest.fixture
def page_tab(chromium, hooked_studio) -> Iterator[Tab]:
    yield from _tab(chromium, hooked_studio)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.stop()


def _seeded(studio: Studio, email: str, name: str) -> str:
    """A project owned by `email` with the month of PLAN, limits, and a disabled webhook."""
    project_id = studio.add_user(email, name, PASSWORD)
    secret = studio.live.manage("create_api_key", name, "--name", "shop backend").strip().splitlines()[-1]
    script = SEED.format(project=project_id, plan=json.dumps(PLAN), titles=json.dumps(TITLES))
    studio.live.manage("shell", "-c", script)
    with httpx.Client(base_url=studio.live.api_url, headers={"X-API-Key": secret}, timeout=60) as api:
        made_images(api, "a lighthouse at dusk, risograph print")  # a real run today, on the local engine
    return project_id


def test_the_usage_page_charts_a_month_of_runs_and_an_empty_project_says_so(page_tab):
    tab, page = page_tab, page_tab.page
    project_id = _seeded(tab.studio, "lead@usage.example", "usage room")
    empty_id = tab.studio.add_user("lead@usage.example", "brand new room", PASSWORD)
    tab.sign_in("lead@usage.example", PASSWORD)
    tab.go(f"/projects/{empty_id}/threads")
    tab.nav("Usage")
    expect(page.get_by_role("heading", name="Nothing generated yet")).to_be_visible()
    expect(page.get_by_role("link", name="Start a thread")).to_be_visible()
    expect(page.locator(".budget")).to_contain_text("No budget set")
    screenshots(tab, "usage-empty")

    tab.go(f"/projects/{project_id}/usage")
    bars = page.locator("svg.chart-images rect.bar")
    expect(bars).to_have_count(30)
    drawn = bars.evaluate_all("rs => rs.map(r => [r.dataset.day, r.getBBox().height])")
    today = timezone.now().date()
    with_images = {(today - timedelta(days=ago)).isoformat() for ago, *_ in PLAN if ago < 30}
    assert {day for day, height in drawn if height > 0} == with_images
    assert all(height == 0 for day, height in drawn if day not in with_images)
    assert len({day for day, _h in drawn}) == 30 and drawn[-1][0] == today.isoformat()
    expect(page.locator("svg.chart-images title").first).to_contain_text("Images made per day")
    expect(page.locator('[data-stat="images"]')).to_have_text("33")  # 32 seeded in 30 days + 1 made now
    expect(page.locator('[data-stat="cost"]')).to_have_text("$2.63")
    expect(page.locator('[data-table="models"] tbody tr').first).to_contain_text("gemini-2.5-flash-image")
    expect(page.locator('[data-table="keys"]')).to_contain_text("shop backend")
    expect(page.locator('[data-table="keys"]')).to_contain_text("Dashboard")
    expect(page.locator('[data-table="threads"] tbody tr').first).to_contain_text("Shop banners")
    expect(page.locator('[data-meter="cost"]')).to_contain_text("$3.40 of $5.00")
    expect(page.locator('[data-meter="images"]')).to_contain_text("of 12")
    screenshots(tab, "usage-month")

    page.locator(".segmented").get_by_role("link", name="7 days").click()
    expect(page.locator("svg.chart-images rect.bar")).to_have_count(7)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("easel-usage-")
    rows = open(download.value.path()).read().splitlines()  # noqa: SIM115 - the file is small
    assert rows[0] == "date,model,api_key,runs,images,cost_usd" and len(rows) > 4

    page.get_by_role("link", name="Change limits").click()
    page.get_by_label("Images per day", exact=True).fill("-3")
    page.get_by_role("button", name="Save limits").click()
    expect(page.locator(".field-error")).to_contain_text("Enter 0 or more")
    page.get_by_label("Images per day", exact=True).fill("40")
    page.get_by_role("button", name="Save limits").click()
    expect(page.locator(".flash")).to_contain_text("The limits are saved")
    screenshots(tab, "usage-limits")


def test_a_webhook_is_added_pinged_verified_and_a_disabled_one_is_announced(page_tab, receiver):
    tab, page = page_tab, page_tab.page
    project_id = _seeded(tab.studio, "hooks@usage.example", "hooks room")
    tab.sign_in("hooks@usage.example", PASSWORD)
    tab.go(f"/projects/{project_id}/threads")
    tab.nav("Webhooks")
    expect(page.locator("[data-disabled-banner]")).to_contain_text("1 webhook is disabled")
    expect(page.locator("[data-disabled-notice]")).to_contain_text(": every delivery failed for 24 hours.")

    form = page.locator(".hook-form")
    form.get_by_label("Endpoint URL").fill(receiver.url)
    form.get_by_label(re.compile(r"^run\.completed")).check()
    form.get_by_label(re.compile(r"^image\.generated")).check()
    form.get_by_label(re.compile("^Description")).fill("Print shop orders")
    form.get_by_role("button", name="Add webhook").click()
    page.wait_for_url(re.compile(r"/webhooks/[0-9a-f-]{36}$"))
    secret = page.get_by_label("The signing secret").input_value()
    assert secret.startswith("whsec_")
    expect(page.locator("[data-secret]")).to_contain_text("Standard Webhooks")
    screenshots(tab, "webhooks-created")

    receiver.answers(status(500, "not ready yet"), then=status(200, '{"received": true}'))
    page.get_by_role("button", name="Send test ping").click()
    expect(page.locator(".flash")).to_contain_text("A test ping is on its way")
    arrived = receiver.wait_for(2)
    assert arrived[1].verified(secret)["type"] == "webhook.ping"
    delivery = page.locator(".delivery").first
    for _ in range(50):
        if delivery.get_attribute("data-status") == "succeeded":
            break
        page.wait_for_timeout(200)
        page.reload()
    expect(delivery.locator(".tag")).to_have_text("Delivered")
    expect(delivery).to_contain_text("2 attempts")
    delivery.get_by_text("Attempt log").click()
    expect(delivery.locator(".response-body").last).to_have_text('{"received": true}')
    expect(page.get_by_label("The signing secret")).to_have_count(0)  # shown once: gone after a reload
    screenshots(tab, "webhooks-detail")

    tab.nav("Webhooks")
    expect(page.locator(".hooks-table tbody tr")).to_have_count(2)
    screenshots(tab, "webhooks-list")
    page.locator(".hooks-table").get_by_role("link", name="https://orders.example.com/hooks/easel").click()
    expect(page.locator(".hook-notice")).to_contain_text("every delivery failed for 24 hours")
    page.locator(".delivery").first.get_by_text("Attempt log").click()
    screenshots(tab, "webhooks-disabled")
    page.get_by_role("button", name="Enable it again").click()
    expect(page.locator(".flash")).to_contain_text("Enabled")
    expect(page.locator(".hook-notice")).to_have_count(0)
