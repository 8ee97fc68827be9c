"""GET /api/usage: runs, tokens, images and estimated cost of the caller's project, per UTC day."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client

from designs.models import Assistant, Message, Project, Run, Thread
from designs.services.projects import api_key_create

pytestmark = pytest.mark.django_db


def client_for(project: Project) -> Client:
    _key, secret = api_key_create(project=project)
    return Client(headers={"X-API-Key": secret})


def add_run(project: Project, day: str, *, status=Run.Status.COMPLETED, tokens=(0, 0), images=0, cost="0") -> Run:
    assistant = Assistant.objects.create(project=project, name="a")
    thread = Thread.objects.create(project=project, assistant=assistant)
    message = Message.objects.create(project=project, thread=thread, role=Message.Role.USER, content="hi")
    run = Run.objects.create(
        project=project,
        thread=thread,
        assistant=assistant,
        user_message=message,
        status=status,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        images_generated=images,
        cost_usd=Decimal(cost),
    )
    # created_at is auto_now_add: move it to the day under test afterwards.
    Run.objects.filter(id=run.id).update(created_at=datetime.fromisoformat(day + "T12:00:00").replace(tzinfo=UTC))
    return run


@pytest.fixture
def alpha() -> Project:
    return Project.objects.create(name="alpha")


def test_it_sums_per_day_and_lists_every_day_of_the_range(alpha):
    add_run(alpha, "2026-03-01", tokens=(100, 20), images=1, cost="0.080000")
    add_run(alpha, "2026-03-01", status=Run.Status.FAILED, tokens=(50, 0), cost="0.000100")
    add_run(alpha, "2026-03-03", tokens=(10, 5), images=2, cost="0.150000")

    body = client_for(alpha).get("/api/usage?from=2026-03-01&to=2026-03-03").json()

    assert [d["date"] for d in body["days"]] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    first, empty, third = body["days"]
    assert first == {
        "date": "2026-03-01",
        "runs": 2,
        "input_tokens": 150,
        "output_tokens": 20,
        "images_generated": 1,
        "cost_usd": 0.0801,
    }
    assert empty["runs"] == 0 and empty["cost_usd"] == 0
    assert third["images_generated"] == 2
    assert body["totals"] == {
        "runs": 3,
        "input_tokens": 160,
        "output_tokens": 25,
        "images_generated": 3,
        "cost_usd": 0.2301,
    }
    assert body["project_id"] == str(alpha.id) and (body["from"], body["to"]) == ("2026-03-01", "2026-03-03")


def test_it_counts_only_the_callers_project_and_finished_runs_inside_the_range(alpha):
    bravo = Project.objects.create(name="bravo")
    add_run(bravo, "2026-03-01", tokens=(999, 999), cost="9")
    add_run(alpha, "2026-03-01", status=Run.Status.RUNNING, tokens=(5, 5))
    add_run(alpha, "2026-02-28", tokens=(7, 7))

    body = client_for(alpha).get("/api/usage?from=2026-03-01&to=2026-03-01").json()

    assert body["totals"]["runs"] == 0 and body["totals"]["input_tokens"] == 0


def test_it_defaults_to_the_last_30_days(alpha):
    body = client_for(alpha).get("/api/usage").json()

    assert len(body["days"]) == 30 and body["to"] == datetime.now(UTC).date().isoformat()


@pytest.mark.parametrize("query", ["from=2026-03-02&to=2026-03-01", "from=yesterday", "from=2024-01-01&to=2026-01-01"])
def test_it_refuses_bad_ranges(alpha, query):
    response = client_for(alpha).get(f"/api/usage?{query}")

    assert response.status_code == 400 and response.json()["detail"]


def test_it_needs_a_key():
    assert Client().get("/api/usage").status_code == 401
