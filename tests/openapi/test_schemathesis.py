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
(conftest.seeded_easel) give the product routes' lists real answers to check.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.openapi.schema_document import openapi_document

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
    case.call_and_validate(
        base_url=seeded_easel.base_url, headers={"X-API-Key": seeded_easel.api_key}, checks=CHECKS, timeout=60
    )
