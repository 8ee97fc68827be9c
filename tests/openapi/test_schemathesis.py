"""Schemathesis fuzzes every operation of the OpenAPI document against a live Easel.

Each operation gets a bounded, derandomized budget (the same cases every run: the document's
examples, then generated valid and invalid requests), sent with the live server's real API key.
Every answer must be: no server error, a status the operation documents, a documented content
type, and a body that matches the documented schema. Streaming answers are checked too:
schemathesis reads a `text/event-stream` body event by event and validates each event's JSON
`data` against the event catalogue (ServerSentEvent's contentSchema).

Nothing is excluded. The signed media URLs are fuzzed like the rest: without a valid signature
they answer their documented 403 (tests/documents/ covers the signed path), and random ids in
paths answer 404, which every operation declares. A seeded product template and customization
(conftest.seeded_easel) give the product routes' lists real answers to check; its webhook and
delivery are named in half the cases of the webhook routes (`with_seeded_ids`), so those reach
a real endpoint: its answers, its pings and redeliveries to the loopback receiver. Every body
the receiver got is then checked against the WebhookEvent schemas.
"""

from __future__ import annotations

import uuid

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.openapi.schema_document import openapi_document
from tests.openapi.test_schema_document import validator_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# ~30 cases per operation keeps the whole run under a minute on the 2-core machine.
MAX_EXAMPLES = 30

# Loaded in-process at collection (the live server starts later, as a fixture):
# schemathesis.pytest.from_fixture would load it from the server, but its lazy loader reads a
# pytest node attribute (`_nodeid`) that pytest 9 no longer has. test_schema_document.py checks
# that the server serves this same document.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,  # a turn waits for its run: time is the server's, not the case's
    derandomize=True,
    # Path ids are random UUIDs and most bodies are refused: filtering and slow data are expected.
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, seeded_easel):
    with_seeded_ids(case, seeded_easel.ids)
    live = seeded_easel.live
    case.call_and_validate(base_url=live.base_url, headers={"X-API-Key": live.api_key}, checks=CHECKS, timeout=60)
    if case.method.upper() == "PUT" and case.path == "/api/limits":
        # A budget of 0 would answer every later image turn 429: lift what a fuzzed limit set.
        body = {"images_per_day": None, "cost_per_month_usd": None}
        httpx.put(f"{live.api_url}/limits", json=body, headers={"X-API-Key": live.api_key}, timeout=30)


def with_seeded_ids(case, ids: dict[str, str]) -> None:
    """The seeded webhook and delivery instead of random ids, in about half the cases that name
    them (the same half every run: by the generated id). Never in a DELETE: the seeded endpoint
    stays for the routes after it."""
    params = case.path_parameters or {}
    drawn = params.get("webhook_id")
    if case.method.upper() == "DELETE" or not isinstance(drawn, str):
        return
    try:
        if uuid.UUID(drawn).int % 2:
            return
    except ValueError:
        return  # a malformed id: its 404 is the case
    for name, real in ids.items():
        if name in params:
            params[name] = real


def test_every_webhook_the_receiver_got_matches_its_schema(seeded_easel):
    """What schemathesis cannot send itself: the events Easel posted to the seeded webhook
    (the seeding's runs, image, variant, customization, decision and deletion, and the pings
    and redeliveries of the fuzzing): each a WebhookEvent, its id the webhook-id header's."""
    event = validator_for(openapi_document(), "WebhookEvent")
    seeded = ("run.completed", "image.generated", "variant.generated", "customization.completed", "review.decided")
    for kind in (*seeded, "document.deleted", "webhook.ping"):
        seeded_easel.receiver.wait_for(1, timeout=30, kind=kind)
    received = seeded_easel.receiver.received
    for request in received:
        errors = [e.message for e in event.iter_errors(request.event)]
        assert not errors, f"{request.event.get('type')}: {errors}"
        assert request.event["id"] == request.webhook_id


def test_the_seeded_answers_match_their_schemas(seeded_easel):
    """The answers the fuzzer rarely gets itself (a new endpoint with its secret: its URLs are
    random and do not resolve), as the seeding got them."""
    for component, answer in seeded_easel.answers:
        errors = [e.message for e in validator_for(openapi_document(), component).iter_errors(answer)]
        assert not errors, f"{component}: {errors}"
