"""Image budgets on a live server, with the image models played by their fakes: a project's images
per day and spend per month, and an API key's images per day, hold before any provider call, so
requests sent at once never take more than the budget; what fails is released; what is made is
charged at the catalog's price; a chat turn over budget ends with the LLM saying so.

Each test meters a project of its own (`key`: a key of a new project), so nothing else the
session generated counts against its budget.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from designs import catalog
from tests.e2e_providers.products import customize, make_template
from tests.e2e_providers.stack import Fakes, api_call, logged, of_type, set_faults, stream_turn, turn
from tests.support.processes import LiveEasel

DRAW = "Draw a tiny red robot watering a sunflower."
GPT_IMAGE = {"image_model_provider": "openai", "image_model_name": "gpt-image-1"}
GEMINI_IMAGE = {"image_model_provider": "google", "image_model_name": "gemini-2.5-flash-image"}
LOCAL_IMAGE = {"image_model_provider": "local", "image_model_name": "easel-local-painter"}


PROJECTS_PER_SERVER = 12  # one per test of this module and topology, and a few to spare
MAKE_PROJECTS = """
import secrets
from designs.services.projects import api_key_create, project_get_or_create
tag = secrets.token_hex(4)
for index in range({count}):
    project, _ = project_get_or_create(name=f"budget-{{tag}}-{{index}}")
    print(api_key_create(project=project)[1], api_key_create(project=project, name="second")[1])
"""


@dataclass
class Projects:
    """Fresh projects, two keys each, made in one `manage.py shell` per server (a manage.py
    command per test would cost seconds each)."""

    made: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    def take(self, easel: LiveEasel) -> tuple[str, str]:
        left = self.made.setdefault(id(easel), [])
        if not left:
            out = easel.manage("shell", "-c", MAKE_PROJECTS.format(count=PROJECTS_PER_SERVER))
            left.extend(tuple(line.split()) for line in out.strip().splitlines()[-PROJECTS_PER_SERVER:])
        return left.pop()


@pytest.fixture(scope="module")
def projects() -> Projects:
    return Projects()


@pytest.fixture
def key(easel: LiveEasel, projects: Projects) -> str:
    """A key of a project of its own: its budget counts only this test's images."""
    return projects.take(easel)[0]


def limits(easel: LiveEasel, key: str) -> dict:
    response = api_call(easel, "GET", "/limits", key=key)
    assert response.status_code == 200, response.text
    return response.json()


def set_limits(easel: LiveEasel, key: str, **body) -> dict:
    response = api_call(easel, "PUT", "/limits", key=key, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def key_id(easel: LiveEasel, key: str) -> str:
    (found,) = [k["key_id"] for k in limits(easel, key)["api_keys"] if key.startswith(k["prefix"])]
    return found


def direct(easel: LiveEasel, key: str, model: dict = GPT_IMAGE, **fields) -> httpx.Response:
    """One direct image request (no LLM), answered when the image is made."""
    return turn(easel, key=key, content=DRAW, operation="generate_image", **model, **fields)


def image_calls(fakes: Fakes) -> list[dict]:
    return [r for r in logged(fakes.openai) if "/images/" in r["path"]]


def next_utc_midnight() -> str:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    return f"{tomorrow.isoformat()}T00:00:00Z"


# --- images per day -------------------------------------------------------------------------------


def test_twenty_requests_at_once_against_five_images_a_day_make_exactly_five(easel, key, fakes: Fakes):
    set_limits(easel, key, images_per_day=5)
    start = threading.Barrier(20)

    def request(_: int) -> httpx.Response:
        start.wait()
        return direct(easel, key, n=1)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(request, range(20)))

    made = [a for a in answers if a.is_success]
    refused = [a for a in answers if a.status_code == 429]
    assert (len(made), len(refused)) == (5, 15), sorted(a.status_code for a in answers)
    assert len(image_calls(fakes)) == 5, "a refused request never reaches the provider"
    assert all(a.json()["images_generated"] == 1 for a in made)
    for answer in refused:
        body = answer.json()
        assert set(body) == {"detail", "limit", "used", "resets_at"}
        assert (body["limit"], body["used"]) == (5, 5)
        assert body["resets_at"] == next_utc_midnight()
        assert "image budget for today is spent" in body["detail"]
        assert 1 <= int(answer.headers["Retry-After"]) <= 86400
    assert limits(easel, key)["used"]["images_today"] == 5


def test_a_key_over_its_own_quota_is_refused_while_another_key_of_the_project_still_works(
    easel, projects: Projects, fakes: Fakes
):
    metered, other = projects.take(easel)
    set_limits(easel, metered, api_keys={key_id(easel, metered): {"images_per_day": 2}})
    assert [direct(easel, metered).status_code for _ in range(2)] == [200, 200]

    refused = direct(easel, metered)
    elsewhere = direct(easel, other)

    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("This API key's image quota for today is spent: 2 of 2")
    assert (refused.json()["limit"], refused.json()["used"]) == (2, 2)
    assert elsewhere.status_code == 200, elsewhere.text
    assert len(image_calls(fakes)) == 3
    quotas = {k["key_id"]: (k["images_per_day"], k["images_today"]) for k in limits(easel, other)["api_keys"]}
    assert quotas == {key_id(easel, metered): (2, 2), key_id(easel, other): (None, 1)}


# --- spend per month ------------------------------------------------------------------------------


def test_a_monthly_budget_smaller_than_one_image_refuses_it_and_says_the_month(easel, key, fakes: Fakes):
    set_limits(easel, key, cost_per_month_usd="0.01")

    refused = direct(easel, key)

    assert refused.status_code == 429
    body = refused.json()
    assert "image spend for this month is used up" in body["detail"] and "$0.00 of $0.01" in body["detail"]
    assert (body["limit"], body["used"]) == (0.01, 0)
    assert body["resets_at"].endswith("-01T00:00:00Z") and body["resets_at"] > datetime.now(UTC).isoformat()
    assert int(refused.headers["Retry-After"]) >= 1
    assert image_calls(fakes) == []
    assert api_call(easel, "GET", "/threads", key=key).json() == [], "a refused request stores nothing"


def test_a_customization_or_refine_asking_more_variants_than_are_left_is_refused_and_stores_nothing(
    providers_embedded, projects: Projects, fakes: Fakes
):
    easel = providers_embedded
    key, _ = projects.take(easel)
    template = make_template(easel, key=key, **GPT_IMAGE)
    set_limits(easel, key, images_per_day=2)
    threads = api_call(easel, "GET", "/threads", key=key).json()

    refused = customize(easel, template["template_id"], key=key, n=3)

    assert refused.status_code == 429
    assert (refused.json()["limit"], refused.json()["used"]) == (2, 0)
    assert api_call(easel, "GET", "/customizations", key=key).json() == []
    assert api_call(easel, "GET", "/threads", key=key).json() == threads
    assert image_calls(fakes) == []
    assert limits(easel, key)["used"]["images_today"] == 0

    made = customize(easel, template["template_id"], key=key, n=2)

    assert made.status_code == 201, made.text
    assert made.json()["status"] == "completed"
    assert limits(easel, key)["used"]["images_today"] == 2
    cid, variant = made.json()["customization_id"], made.json()["variants"][0]["document_id"]

    refine = api_call(
        easel,
        "POST",
        f"/customizations/{cid}/refine",
        key=key,
        json={"document_id": variant, "prompt": "greener", "n": 1},
    )

    assert refine.status_code == 429, refine.text
    assert (refine.json()["limit"], refine.json()["used"]) == (2, 2)
    after = api_call(easel, "GET", f"/customizations/{cid}", key=key).json()
    assert after["status"] == "completed" and len(after["variants"]) == 2
    assert len(image_calls(fakes)) == 1, "gpt-image-1 made both variants in one call, and nothing since"


# --- what fails is released -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fake, faults, model, kind",
    [
        ("openai", {"status": 500, "only": "/images/"}, GPT_IMAGE, "server_error"),
        ("google", {"safety": True}, GEMINI_IMAGE, "content_policy"),
    ],
    ids=["provider-error", "content-policy"],
)
def test_a_failed_generation_is_released_and_the_budget_still_serves_the_next(
    easel, key, fakes: Fakes, fake, faults, model, kind
):
    set_limits(easel, key, images_per_day=1, cost_per_month_usd=1)
    set_faults(getattr(fakes, fake), **faults)

    failures = [stream_turn(easel, key=key, content=DRAW, operation="generate_image", **model)[-1] for _ in range(2)]

    assert [(e["type"], e["error_kind"]) for e in failures] == [("run_failed", kind)] * 2
    used = limits(easel, key)["used"]
    assert (used["images_today"], used["cost_this_month_usd"]) == (0, 0)
    set_faults(getattr(fakes, fake), **{k: None for k in faults})

    later = direct(easel, key, model)

    assert later.status_code == 200, later.text
    assert later.json()["images_generated"] == 1
    assert limits(easel, key)["used"]["images_today"] == 1


# --- a chat turn over budget ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "models, says",
    [
        (
            {"llm_provider": "openai", "model_name": "gpt-4.1", **GPT_IMAGE},
            "Sorry, I could not make that image: The project's image budget for today is spent",
        ),
        (
            {"llm_provider": "local", "model_name": "easel-local-agent", **LOCAL_IMAGE},
            "I couldn't make that image: The project's image budget for today is spent",
        ),
    ],
    ids=["openai-llm", "local-agent"],
)
def test_a_chat_turn_over_budget_completes_with_the_llm_explaining_the_budget_is_spent(
    easel, key, fakes: Fakes, models, says
):
    set_limits(easel, key, images_per_day=0)

    events = stream_turn(easel, key=key, content=DRAW, image_generation="auto", **models)

    (failed,) = of_type(events, "media_failed")
    assert failed["reason_code"] == "budget_exceeded"
    assert "image budget for today is spent: 0 of 0 images used" in failed["error"]
    assert not of_type(events, "media_generated")
    ended = events[-1]
    assert ended["type"] == "run_ended" and ended["status"] == "completed"
    assert ended["content"].startswith(says), ended["content"]
    assert ended["images_generated"] == 0 and ended["billing"]["charged_usd"] == 0
    assert image_calls(fakes) == []
    assert limits(easel, key)["used"]["images_today"] == 0


# --- settlement -----------------------------------------------------------------------------------


def test_a_made_image_is_counted_and_charged_at_the_catalog_price_for_reconciliation(easel, key, fakes: Fakes):
    gpt_image = catalog.find_image_model("openai", "gpt-image-1")
    price = catalog.estimate_cost(llm=None, input_tokens=0, output_tokens=0, image_model=gpt_image, images=1)

    events = stream_turn(easel, key=key, content=DRAW, operation="generate_image", **GPT_IMAGE)

    ended = events[-1]
    assert ended["type"] == "run_ended" and ended["images_generated"] == 1
    billing = ended["billing"]
    assert billing["estimated_usd"] > 0
    assert billing["charged_usd"] == pytest.approx(price) and price > 0
    assert billing["reconciliation_required"] is True
    used = limits(easel, key)["used"]
    assert used["images_today"] == 1 and used["cost_this_month_usd"] == pytest.approx(price)


def test_a_local_image_is_counted_and_needs_no_reconciliation(easel, key):

    ended = stream_turn(easel, key=key, content=DRAW, operation="generate_image", **LOCAL_IMAGE)[-1]

    assert ended["type"] == "run_ended" and ended["images_generated"] == 1
    assert ended["billing"] == {"estimated_usd": 0, "charged_usd": 0, "reconciliation_required": False}
    assert limits(easel, key)["used"]["images_today"] == 1
