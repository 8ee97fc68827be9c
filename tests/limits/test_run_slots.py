"""Runs in progress per project and per API key: a 429 with Retry-After over the limit, for
that project or key only, and a slot back as soon as a run ends however it ends.

In-process with pytest-django's per-test transaction: a run's start waits for a commit that
never comes, so every accepted run stays queued, which is what an over-busy project looks like.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from designs.models import Membership, Run
from designs.services.projects import api_key_create
from tests.api.conftest import row_counts

URL = "/api/threads/messages"
TURN = {"content": "Tell me about yourself.", "llm_provider": "local", "stream": True}


def send(client: Client, **extra):
    # The stream of a run that is never started is not read (nor closed: closing it would end
    # the "request" and, on PostgreSQL, hand the test's connection back to the pool).
    return client.post(URL, {**TURN, **extra}, content_type="application/json")


@pytest.fixture
def limits(settings):
    def set_limits(*, project: int, key: int) -> None:
        settings.EASEL_MAX_RUNS_PER_PROJECT = project
        settings.EASEL_MAX_RUNS_PER_KEY = key

    return set_limits


def test_a_project_at_its_limit_is_answered_429_and_another_project_is_not(alpha, bravo, limits):
    limits(project=2, key=0)
    assert [send(alpha.client).status_code for _ in range(2)] == [200, 200]
    before = row_counts()

    refused = send(alpha.client)

    assert refused.status_code == 429
    assert refused.json() == {
        "detail": "Too many runs in progress: this project has 2 queued or running and may have 2 at once; "
        "retry when one ends"
    }
    assert int(refused["Retry-After"]) >= 1
    assert row_counts() == before, "a refused turn stores nothing"
    assert send(bravo.client).status_code == 200


def test_a_key_at_its_limit_is_refused_while_another_key_of_the_same_project_is_not(alpha, limits):
    limits(project=0, key=1)
    assert send(alpha.client).status_code == 200

    refused = send(alpha.client)
    key, other_secret = api_key_create(project=alpha.project, name="second")
    other = send(Client(headers={"X-API-Key": other_secret}))

    assert refused.status_code == 429 and "this API key has 1 queued or running" in refused.json()["detail"]
    assert other.status_code == 200
    assert Run.objects.filter(api_key=key).count() == 1


def test_the_project_limit_counts_the_runs_of_every_key(alpha, limits):
    limits(project=2, key=5)
    _key, other_secret = api_key_create(project=alpha.project, name="second")
    assert send(alpha.client).status_code == 200
    assert send(Client(headers={"X-API-Key": other_secret})).status_code == 200

    assert send(alpha.client).status_code == 429


@pytest.mark.parametrize("ending", [Run.Status.COMPLETED, Run.Status.FAILED, Run.Status.CANCELLED])
def test_a_run_that_ends_however_it_ends_frees_its_slot(alpha, limits, ending):
    limits(project=1, key=1)
    assert send(alpha.client).status_code == 200
    assert send(alpha.client).status_code == 429

    # What the worker, a cancel or the sweeper (a dead worker's run) writes when a run ends.
    Run.objects.filter(project=alpha.project).update(status=ending)

    assert send(alpha.client).status_code == 200


def test_a_turn_that_starts_no_run_is_never_refused(alpha, limits):
    limits(project=1, key=1)
    assert send(alpha.client).status_code == 200

    saved = send(alpha.client, send_to_llm=False)

    assert saved.status_code == 200


def test_a_limit_of_zero_is_no_limit(alpha, limits):
    limits(project=0, key=0)
    assert {send(alpha.client).status_code for _ in range(5)} == {200}


def test_a_dashboard_turn_over_the_limit_is_a_message_for_the_person_not_json(alpha, limits):
    limits(project=1, key=1)
    assert send(alpha.client).status_code == 200
    user = get_user_model().objects.create_user(username="m@example.com", email="m@example.com", password="x")
    Membership.objects.create(project=alpha.project, user=user, role=Membership.Role.MEMBER)
    browser = Client()
    browser.force_login(user)
    thread_id = Run.objects.get().thread_id
    page = f"/projects/{alpha.project.id}/threads/{thread_id}"
    Run.objects.update(status=Run.Status.COMPLETED)  # that thread is idle again; another run holds the slot
    assert send(alpha.client).status_code == 200

    scripted = browser.post(f"{page}/messages", {"content": "draw a cat"}, headers={"Accept": "application/json"})
    plain = browser.post(f"{page}/messages", {"content": "draw a cat"})

    crowded = "This project is generating as many replies at once as it may (1): try again when one finishes."
    assert scripted.status_code == 200 and scripted.json()["errors"]["__all__"][0]["message"] == crowded
    assert plain.status_code == 200 and crowded in plain.content.decode()
    assert Run.objects.filter(api_key=None).count() == 0
