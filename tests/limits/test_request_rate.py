"""Requests a minute per API key, and per user for a signed-in dashboard calling the API: a 429
that names the limit and says when to retry, for that key or user only, on every API route
(DRF's views and the two async ones alike). In-process: the embedded meter, and the Redis one.
"""

from __future__ import annotations

import logging
import time
import uuid

import pytest
import redis
from django.contrib.auth import get_user_model
from django.test import Client

from designs import ratelimit
from designs.auth import PROJECT_HEADER
from designs.models import ApiKey, Membership
from designs.services.projects import api_key_create
from tests.support.processes import free_port


@pytest.fixture
def per_minute(settings):
    def set_limit(limit: int) -> None:
        settings.EASEL_RATE_LIMIT_PER_MINUTE = limit

    return set_limit


def threads(client: Client, **headers):
    return client.get("/api/threads", headers=headers)


def test_a_key_over_its_requests_a_minute_gets_429_naming_the_limit_and_when_to_retry(alpha, per_minute):
    per_minute(3)
    assert [threads(alpha.client).status_code for _ in range(3)] == [200, 200, 200]

    refused = threads(alpha.client)

    assert refused.status_code == 429
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 20  # three a minute: one more every 20 s
    assert refused.json() == {
        "detail": f"Rate limit reached: 3 requests a minute per API key; retry in {retry_after} s"
    }


def test_other_keys_and_other_projects_keep_their_own_allowance(alpha, bravo, per_minute):
    per_minute(2)
    for _ in range(3):
        threads(alpha.client)
    _key, second = api_key_create(project=alpha.project, name="second")

    assert threads(alpha.client).status_code == 429
    assert threads(Client(headers={"X-API-Key": second})).status_code == 200
    assert threads(bravo.client).status_code == 200


def test_the_async_turn_and_run_events_views_use_the_same_allowance(alpha, per_minute):
    per_minute(2)
    turn = alpha.client.post(
        "/api/threads/messages", {"content": "hi", "send_to_llm": False}, content_type="application/json"
    )
    assert turn.status_code == 200
    assert threads(alpha.client).status_code == 200

    posted = alpha.client.post(
        "/api/threads/messages", {"content": "hi", "send_to_llm": False}, content_type="application/json"
    )
    events = alpha.client.get(f"/api/threads/{turn.json()['thread_id']}/runs/{uuid.uuid4()}/events")

    for refused in (posted, events):
        assert refused.status_code == 429 and "per API key" in refused.json()["detail"]
        assert int(refused["Retry-After"]) >= 1


def test_a_signed_in_user_calling_the_api_is_metered_per_user(alpha, per_minute):
    per_minute(2)
    people = []
    for name in ("ann", "ben"):
        user = get_user_model().objects.create_user(username=name, email=f"{name}@example.com", password="x")
        Membership.objects.create(project=alpha.project, user=user, role=Membership.Role.MEMBER)
        browser = Client()
        browser.force_login(user)
        people.append(browser)
    ann, ben = people
    header = {PROJECT_HEADER: str(alpha.project.id)}
    assert [threads(ann, **header).status_code for _ in range(2)] == [200, 200]

    refused = threads(ann, **header)

    assert refused.status_code == 429 and "per user" in refused.json()["detail"]
    assert threads(ben, **header).status_code == 200
    assert threads(alpha.client).status_code == 200, "the project's key is not the user"


def test_a_refused_key_is_let_through_again_once_it_waited_as_told(alpha, per_minute):
    per_minute(30)  # one every 2 s after the burst
    while threads(alpha.client).status_code == 200:
        pass
    refused = threads(alpha.client)
    assert refused.status_code == 429

    time.sleep(int(refused["Retry-After"]) + 0.1)

    assert threads(alpha.client).status_code == 200
    assert threads(alpha.client).status_code == 429, "one request's worth came back, not a new minute"


def test_a_limit_of_zero_meters_nothing(alpha, per_minute):
    per_minute(0)
    assert {threads(alpha.client).status_code for _ in range(20)} == {200}


def test_with_redis_the_meter_lives_in_redis_and_expires_on_its_own(alpha, per_minute, settings, redis_server):
    settings.REDIS_URL = redis_server.url
    per_minute(2)
    assert [threads(alpha.client).status_code for _ in range(3)] == [200, 200, 429]

    key = ApiKey.objects.get(project=alpha.project)
    assert 0 < redis.Redis.from_url(redis_server.url).pttl(f"easel:rate:key:{key.pk}") <= 60_000


def test_redis_unreachable_lets_requests_through_with_one_warning(alpha, per_minute, settings, caplog, monkeypatch):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    per_minute(1)
    monkeypatch.setattr(ratelimit, "_last_warning", None)  # as in a process that has not warned yet

    with caplog.at_level(logging.WARNING, logger="designs.ratelimit"):
        answers = [threads(alpha.client).status_code for _ in range(5)]

    assert answers == [200] * 5
    warnings = [r.getMessage() for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1 and "requests per minute are not enforced" in warnings[0]
