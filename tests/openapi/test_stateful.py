"""Schemathesis chains operations the way a client does, with the links it infers from the
document's response schemas and path parameters (assistant -> clone, threads, documents;
thread -> messages, documents, runs; document -> status, lineage, media): ids in paths come from
earlier answers, not at random. Besides the answer checks of test_schemathesis.py, each chain
checks that what a POST made can be read (ensure_resource_availability) and that what a DELETE
removed is gone (use_after_free)."""

from __future__ import annotations

import contextlib
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from tests.openapi.schema_document import openapi_document

# Chains are built from valid requests sent with the server's key (test_schemathesis.py sends
# the invalid ones, operation by operation).
schema = schemathesis.openapi.from_dict(openapi_document())
schema.config.generation.update(modes=[GenerationMode.POSITIVE], with_security_parameters=False)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ensure_resource_availability,
    use_after_free,
]
# Bounded: scenarios of at most STEPS calls, until CALLS calls were made (at most MAX_RUNS runs
# of SCENARIOS scenarios). Random, not derandomized: a derandomized run replays its first small
# scenarios against a server they changed, and hypothesis stops it as flaky almost at once.
SCENARIOS = 100
STEPS = 8
CALLS = 600
MAX_RUNS = 5
SETTINGS = settings(
    max_examples=SCENARIOS,
    stateful_step_count=STEPS,
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a replay meets a changed server
)


def test_chained_operations_answer_as_documented(fuzzed_easel):
    failures: list[str] = []
    answered: Counter[tuple[str, int]] = Counter()

    class Client(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": fuzzed_easel.base_url, "headers": {"X-API-Key": fuzzed_easel.api_key}, "timeout": 60}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            answered[case.operation.label, response.status_code] += 1
            try:
                case.validate_response(
                    response,
                    checks=CHECKS,
                    headers=kwargs.get("headers"),
                    transport_kwargs=kwargs,
                    recorder=self.recorder,  # the scenario so far: what the stateful checks look back on
                )
            except Exception as exc:
                failures.append(f"{case.operation.label} -> {response.status_code}: {exc}")
                raise

    # A run stops early when hypothesis replays a scenario against a server the first run changed
    # (schemathesis's own runner then starts the suite again): run again until the budget is spent.
    for _ in range(MAX_RUNS):
        with contextlib.suppress(Flaky):  # every failure a step met is already in `failures`
            Client.run(settings=SETTINGS)
        if failures or sum(answered.values()) >= CALLS:
            break

    assert failures == []
    # Ids in paths are random unless a link filled them from an earlier answer: 200s there are chains.
    chained = {label for (label, status) in answered if status == 200 and "{" in label}
    assert len(chained) >= 3, f"too few chains got through: {sorted(answered)}"
