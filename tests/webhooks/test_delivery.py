"""How Easel delivers, against receivers that misbehave on purpose, in both topologies: retries
with the same webhook-id and a log of each attempt, redelivery, 410 Gone, giving up on an endpoint
that keeps failing, redirects not followed, a hanging receiver that slows nobody, pings and a
rotated secret."""

from __future__ import annotations

import os
import time
from datetime import datetime

import pytest
from standardwebhooks import WebhookVerificationError

from tests.support.processes import is_postgres
from tests.webhooks.hooks import Hooks, api, document_of, eventually, generate
from tests.webhooks.receiver import hang, redirect, reset, status

KB = 1024


def test_a_receiver_answering_500_twice_gets_the_event_on_the_third_attempt(hooks: Hooks):
    bodies = ["first failure " + "x" * 1500, "second failure " + "y" * 1500, "third time lucky"]
    receiver = hooks.receiver(status(500, bodies[0]), status(500, bodies[1]), status(200, bodies[2]))
    endpoint = hooks.subscribe(receiver, "run.completed")

    answer = generate(hooks.easel)

    got = receiver.wait_for(3)
    assert [r.verified(endpoint["secret"])["data"]["run_id"] for r in got] == [answer["run_id"]] * 3
    assert len({r.webhook_id for r in got}) == 1 and got[0].webhook_id.startswith("msg_")
    assert len({r.body for r in got}) == 1
    (delivery,) = hooks.deliveries(endpoint)
    delivery = hooks.finished(endpoint, delivery["delivery_id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 3
    assert delivery["event_id"] == got[0].webhook_id and delivery["event_type"] == "run.completed"
    log = delivery["attempt_log"]
    assert [a["number"] for a in log] == [1, 2, 3]
    assert [a["status_code"] for a in log] == [500, 500, 200]
    assert [a["response_body"] for a in log] == [body[:KB] for body in bodies]
    assert len(log[0]["response_body"]) == KB
    assert got[1].at - got[0].at >= 0.2, "the first retry waits its backoff (0.3 s, +-20 %)"


def test_a_connection_reset_is_an_attempt_that_fails_and_is_retried(hooks: Hooks):
    receiver = hooks.receiver(reset())
    endpoint = hooks.subscribe(receiver, "run.completed")

    delivery = hooks.finished(endpoint, hooks.ping(endpoint)["delivery_id"])

    assert len(receiver.wait_for(2)) == 2
    assert [e["type"] for e in receiver.verified(endpoint["secret"])] == ["webhook.ping"] * 2
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 2
    first, second = delivery["attempt_log"]
    assert first["status_code"] is None and first["error"]
    assert second["status_code"] == 200 and second["error"] is None


def test_a_redelivery_sends_the_same_body_and_webhook_id_as_a_new_delivery(hooks: Hooks):
    receiver = hooks.receiver()
    endpoint = hooks.subscribe(receiver, "run.completed")
    generate(hooks.easel)
    (original,) = receiver.wait_for(1)
    (first,) = hooks.deliveries(endpoint)
    hooks.finished(endpoint, first["delivery_id"])

    response = api(
        hooks.easel, "POST", f"/webhooks/{endpoint['webhook_id']}/deliveries/{first['delivery_id']}/redeliver"
    )

    assert response.status_code == 202, response.text
    again = receiver.wait_for(2)[1]
    assert again.body == original.body and again.webhook_id == original.webhook_id
    assert again.verified(endpoint["secret"]) == original.verified(endpoint["secret"])
    redelivery = hooks.finished(endpoint, response.json()["delivery_id"])
    assert redelivery["delivery_id"] != first["delivery_id"]
    assert redelivery["event_id"] == first["event_id"] == original.webhook_id
    assert redelivery["status"] == "succeeded" and redelivery["attempts"] == 1
    assert len(hooks.deliveries(endpoint)) == 2


def test_a_410_disables_the_endpoint_until_it_is_enabled_again(hooks: Hooks):
    gone = hooks.receiver(status(410, "no such hook"), then=status(200))
    endpoint = hooks.subscribe(gone, "image.generated")
    witness = hooks.receiver()
    watching = hooks.subscribe(witness, "image.generated")

    ping = hooks.finished(endpoint, hooks.ping(endpoint)["delivery_id"])

    assert ping["status"] == "failed" and ping["attempts"] == 1 and ping["last_status_code"] == 410
    disabled = hooks.get(endpoint)
    assert disabled["enabled"] is False and disabled["disabled_at"]
    assert "410" in disabled["disabled_reason"]
    document_id = document_of(generate(hooks.easel))
    assert witness.wait_for(1)[0].verified(watching["secret"])["data"]["document_id"] == document_id
    assert [e["type"] for e in gone.verified(endpoint["secret"])] == ["webhook.ping"], "a disabled endpoint got one"
    assert [d["event_type"] for d in hooks.deliveries(endpoint)] == ["webhook.ping"]

    enabled = api(hooks.easel, "PATCH", f"/webhooks/{endpoint['webhook_id']}", json={"enabled": True})

    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["enabled"] is True and enabled.json()["disabled_reason"] is None
    document_id = document_of(generate(hooks.easel))
    assert gone.wait_for(2)[1].verified(endpoint["secret"])["data"]["document_id"] == document_id


def test_an_endpoint_failing_longer_than_the_disable_after_setting_is_disabled(hooks: Hooks):
    receiver = hooks.receiver(then=status(500, "still broken"))
    endpoint = hooks.subscribe(receiver, "run.completed")

    # One ping's four attempts span about 1.9 s and the server gives up after 3 s of failures:
    # ping again until it has.
    def pinged_until_disabled() -> dict:
        if hooks.get(endpoint)["enabled"]:
            hooks.finished(endpoint, hooks.ping(endpoint)["delivery_id"])
        return hooks.get(endpoint)

    disabled = eventually(pinged_until_disabled, lambda e: not e["enabled"], 20, "endpoint disabled")

    assert "failed for 3 seconds" in disabled["disabled_reason"]
    failing_for = _seconds(disabled["disabled_at"]) - _seconds(disabled["failing_since"])
    assert failing_for >= 3, "disabled before it had failed for EASEL_WEBHOOK_DISABLE_AFTER seconds"
    deliveries = hooks.deliveries(endpoint)
    assert {d["status"] for d in deliveries} == {"failed"}
    assert all(a["status_code"] == 500 for d in deliveries for a in d["attempt_log"])
    assert len(receiver.verified(endpoint["secret"])) == sum(d["attempts"] for d in deliveries)
    assert api(hooks.easel, "POST", f"/webhooks/{endpoint['webhook_id']}/ping").status_code == 409


def test_a_redirect_is_not_followed_and_the_attempt_is_retried(hooks: Hooks):
    elsewhere = hooks.receiver()
    receiver = hooks.receiver(then=redirect(elsewhere.url))
    endpoint = hooks.subscribe(receiver, "run.completed")

    delivery = hooks.finished(endpoint, hooks.ping(endpoint)["delivery_id"])

    # Four attempts (three retries), or fewer if a slow machine stretched them past the 3 s after
    # which the server gives up on a failing endpoint.
    assert delivery["status"] == "failed" and delivery["attempts"] >= 2
    assert [a["status_code"] for a in delivery["attempt_log"]] == [302] * delivery["attempts"]
    assert len(receiver.verified(endpoint["secret"])) == delivery["attempts"]
    assert elsewhere.received == [], "the redirect was followed"


# The Celery topology's database is PostgreSQL in production; on the suite's SQLite file, three
# processes (web, worker, deliveries) share one write lock, and that lock, not the deliveries,
# is what a run would wait for. CI runs this on PostgreSQL.
CELERY_ON_POSTGRES = pytest.mark.skipif(
    not is_postgres(os.environ.get("DATABASE_URL", "")),
    reason="Celery with SQLite serializes every process's writes on one file lock; measured on PostgreSQL",
)


def timed_generation(easel) -> float:
    """Seconds for a direct generation of four images, answered once the run ended, then a GET."""
    started = time.monotonic()
    generate(easel, image_config='{"n": 4, "size": "256x256"}')
    assert api(easel, "GET", "/webhooks").status_code == 200
    return time.monotonic() - started


@pytest.mark.parametrize("easel", ["embedded", pytest.param("celery", marks=CELERY_ON_POSTGRES)], indirect=True)
def test_a_hanging_receiver_slows_neither_a_run_nor_an_api_request(hooks: Hooks):
    without = max(timed_generation(hooks.easel) for _ in range(2))
    hanging = [hooks.receiver(then=hang(30)) for _ in range(3)]
    endpoints = [hooks.subscribe(receiver, "image.generated", "run.completed") for receiver in hanging]

    # Each generation sends fifteen events that hang; each would cost a second if a run waited for it.
    timings = [timed_generation(hooks.easel) for _ in range(3)]

    assert max(timings) < without + 2, f"{timings} s with hanging receivers, {without:.2f} s without"
    attempts = eventually(
        lambda: [a for endpoint in endpoints for d in hooks.deliveries(endpoint) for a in d["attempt_log"]],
        lambda logged: len(logged) >= 2,
        what="attempts logged",
    )
    assert all(a["error"] == "No answer within 1 s" and a["status_code"] is None for a in attempts)
    assert all(900 <= a["duration_ms"] < 5000 for a in attempts)
    for receiver, endpoint in zip(hanging, endpoints, strict=True):
        assert receiver.verified(endpoint["secret"])


def test_a_ping_is_signed_with_the_secret_and_a_rotated_secret_replaces_it(hooks: Hooks):
    receiver = hooks.receiver()
    endpoint = hooks.subscribe(receiver, "run.completed")
    old = endpoint["secret"]

    hooks.ping(endpoint)
    ping = receiver.wait_for(1)[0].verified(old)
    rotated = api(hooks.easel, "POST", f"/webhooks/{endpoint['webhook_id']}/rotate-secret")
    hooks.ping(endpoint)
    after = receiver.wait_for(2)[1]

    assert ping["type"] == "webhook.ping" and ping["data"]["webhook_id"] == endpoint["webhook_id"]
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    assert after.verified(new)["type"] == "webhook.ping"
    with pytest.raises(WebhookVerificationError):
        after.verified(old)
    assert "secret" not in hooks.get(endpoint)


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
