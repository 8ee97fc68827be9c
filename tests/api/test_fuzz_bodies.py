"""A fuzzer over the bodies of the JSON write routes: whatever a client sends, the answer is
below 500, and a 4xx carries a `detail` sentence and changes nothing.

Bodies follow each route's schema (every field optional, each value plausible, hostile or of
the wrong type), and some are then broken as text: truncated, nested past the limit, NaN, not
UTF-8. Deterministic for CI: derandomized, no example database, 100 examples per route.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designs.models import Assistant, Document, Thread
from designs.services.image_config import KNOWN_KEYS
from tests.api.test_hostile_inputs import all_rows

FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE_TEXT = st.sampled_from(
    ["", " ", "\x00", "a\x00b", "\ud800", "x\udfff", "²", "１２３", "9" * 400, "n" * 300, "null", "{}", "[[[[", "🎨"]
)
TEXT = st.text(max_size=40) | HOSTILE_TEXT
WORDS = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=20)
NUMBERS = st.integers() | st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**30]) | st.floats(allow_nan=False)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=10
)
OBJECTS = st.dictionaries(WORDS, st.none() | st.booleans() | st.integers(-1000, 1000) | WORDS, max_size=3)
# Ids are placeholders, filled per test with ids of our project, of another project, or none.
OURS = st.sampled_from(["@thread@", "@assistant@", "@document@"])
IDS = OURS | st.sampled_from(["@their_thread@", "@their_assistant@"]) | st.uuids().map(str) | JSON_VALUES


def body(schema: dict[str, tuple[st.SearchStrategy, st.SearchStrategy]], required: tuple[str, ...] = ()):
    """JSON texts of a schema (field: (plausible values, hostile ones)): plausible objects,
    objects with hostile values mixed in, and such objects broken as text."""

    def objects(hostile: bool) -> st.SearchStrategy:
        fields = {name: plausible | bad if hostile else plausible for name, (plausible, bad) in schema.items()}
        optional = {name: value for name, value in fields.items() if name not in required}
        return st.fixed_dictionaries({name: fields[name] for name in required}, optional=optional).map(json.dumps)

    broken = st.tuples(objects(True), st.sampled_from(BREAKAGES), st.integers(0, 10**6)).map(_broken)
    return objects(False) | objects(True) | broken


def _broken(drawn: tuple[str, str, int]) -> bytes:
    text, how, n = drawn
    if how == "truncated":
        return text[: n % len(text)].encode()
    if how == "deep":  # from just past the limit to far past Python's recursion limit
        depth = 65 + n % 100_000
        return ("[" * depth + text + "]" * depth).encode()
    if how in ("nan", "infinity"):  # as metadata, stored as sent when accepted
        value = "NaN" if how == "nan" else "-Infinity"
        return (text[:-1] + (", " if text != "{}" else "") + f'"metadata": {{"x": {value}}}}}').encode()
    if how == "latin-1":
        return text.encode() + b"\xff"
    return b"\xef\xbb\xbf" + text.encode()  # a byte-order mark


BREAKAGES = ["truncated", "deep", "nan", "infinity", "latin-1", "bom"]


def one_of(*values: Any) -> st.SearchStrategy:
    return st.sampled_from(values)


IMAGE_CONFIG = st.fixed_dictionaries(
    {}, optional={"n": st.integers(1, 4), "seed": st.integers(0, 2**31 - 1), "output_format": one_of("png", "webp")}
)
TURN = body(
    {
        # A turn that validated without stream=true would wait for a run nothing here finishes,
        # so stream is always sent, and never as false.
        "stream": (one_of(True, "true", "TRUE", "1"), one_of("maybe", None, 2, [], {})),
        "content": (WORDS, TEXT | JSON_VALUES),
        "thread_id": (one_of("@thread@"), IDS),
        "assistant_id": (one_of("@assistant@"), IDS),
        "input_image_document_id": (one_of("@document@"), IDS),
        "operation": (one_of("chat", "generate_image"), one_of("generate_video") | JSON_VALUES),
        "send_to_llm": (st.booleans(), one_of("false", "nope") | JSON_VALUES),
        "json_output": (st.booleans(), JSON_VALUES),
        "llm_provider": (one_of("local"), one_of("openai", "openrouter", "anthropic", "google", "", "nope") | TEXT),
        "model_name": (one_of("easel-local-agent"), one_of("gpt-4.1", "*", "") | TEXT),
        "system_prompt": (WORDS, TEXT | JSON_VALUES),
        "tools": (st.just([]), JSON_VALUES),
        "image_generation": (one_of("auto", "off"), JSON_VALUES),
        "image_model_provider": (one_of("local"), one_of("openai", "") | TEXT),
        "image_model_name": (one_of("easel-local-painter"), one_of("gpt-image-1", "") | TEXT),
        "image_config": (IMAGE_CONFIG, st.dictionaries(one_of(*KNOWN_KEYS) | TEXT, JSON_VALUES, max_size=4)),
        "metadata": (OBJECTS, JSON_VALUES),
        "thinking": (OBJECTS, JSON_VALUES),
        "openrouter": (OBJECTS, JSON_VALUES),
        "memory": (one_of("Auto", "off"), TEXT | JSON_VALUES),
        "web_search": (one_of("Auto", "off"), TEXT | JSON_VALUES),
    },
    required=("stream",),
)
ASSISTANT_FIELDS = {
    "name": (WORDS, TEXT | JSON_VALUES),
    "description": (WORDS, TEXT | JSON_VALUES),
    "system_prompt": (WORDS, TEXT | JSON_VALUES),
    "tools": (st.just([]), JSON_VALUES),
    "tok_k": (st.integers(1, 100), NUMBERS | JSON_VALUES),
    "embedding_provider": (one_of("openai", "local"), TEXT | JSON_VALUES),
    "embedding_model_name": (WORDS, TEXT | JSON_VALUES),
    "embedding_dims": (st.integers(1, 65_536), NUMBERS | JSON_VALUES),
    "custom_fact_extraction_prompt": (WORDS, TEXT | JSON_VALUES),
    "custom_update_memory_prompt": (WORDS, TEXT | JSON_VALUES),
}
ASSISTANT_CREATE = body(ASSISTANT_FIELDS, required=("name",))
ASSISTANT_UPDATE = body(ASSISTANT_FIELDS)
THREAD = body({"metadata": (OBJECTS, JSON_VALUES)})
CREDENTIAL = body(
    {
        "api_key": (
            st.text("abcdefXYZ0123456789-_", min_size=8, max_size=40),
            one_of("short", "has space 12345") | TEXT,
        ),
        "base_url": (one_of("https://proxy.example/v1", ""), one_of("http://[::1", "ftp://x", "https://u:p@x/") | TEXT),
    },
    required=("api_key",),
)


@pytest.fixture
def ids(alpha, bravo) -> dict[str, str]:
    ours = Assistant.objects.create(project=alpha.project, name="ours")
    theirs = Assistant.objects.create(project=bravo.project, name="theirs")
    thread = Thread.objects.create(project=alpha.project, assistant=ours)
    their_thread = Thread.objects.create(project=bravo.project, assistant=theirs)
    document = Document.objects.create(project=alpha.project, thread=thread, filename="x.png", file="x.png")
    return {
        "@thread@": str(thread.id),
        "@assistant@": str(ours.id),
        "@document@": str(document.id),
        "@their_thread@": str(their_thread.id),
        "@their_assistant@": str(theirs.id),
    }


def fuzz(strategy: st.SearchStrategy, client, method: str, path: str, ids: dict[str, str]) -> Counter:
    """Send every example; fail on a 5xx, or on a 4xx without a detail or that wrote anything.

    Each request runs in a savepoint that is rolled back, so examples do not see each other's rows.
    """
    statuses: Counter = Counter()

    @FUZZ
    @given(raw=strategy)
    def one(raw: bytes | str) -> None:
        if isinstance(raw, str):
            for placeholder, value in ids.items():
                raw = raw.replace(placeholder, value)
        with transaction.atomic():
            before = all_rows()
            response = client.generic(method, path, data=raw, content_type="application/json")
            assert response.status_code < 500, (raw[:300], response.content[:300])
            if response.status_code >= 400:
                detail = response.json().get("detail")
                assert isinstance(detail, str) and detail, (raw[:300], response.content[:300])
                assert all_rows() == before, (raw[:300], detail)
            transaction.set_rollback(True)
        statuses[response.status_code // 100 * 100] += 1

    one()
    print("STATUSES", path, dict(statuses))
    return statuses


def test_turn_bodies_never_answer_5xx(alpha, ids):
    statuses = fuzz(TURN, alpha.client, "POST", "/api/threads/messages", ids)
    # Both sides were reached: some turns were accepted, some refused.
    assert statuses[200] and statuses[400], statuses


def test_assistant_creation_bodies_never_answer_5xx(alpha, ids):
    statuses = fuzz(ASSISTANT_CREATE, alpha.client, "POST", "/api/assistants", ids)
    assert statuses[200] and statuses[400], statuses


def test_assistant_update_bodies_never_answer_5xx(alpha, ids):
    statuses = fuzz(ASSISTANT_UPDATE, alpha.client, "PUT", f"/api/assistants/{ids['@assistant@']}", ids)
    assert statuses[200] and statuses[400], statuses


def test_thread_creation_bodies_never_answer_5xx(alpha, ids):
    statuses = fuzz(THREAD, alpha.client, "POST", f"/api/assistants/{ids['@assistant@']}/threads", ids)
    assert statuses[200] and statuses[400], statuses


def test_credential_bodies_never_answer_5xx(alpha, ids, settings):
    settings.EASEL_ALLOW_PROJECT_BASE_URLS = True  # so base_url reaches the service's own checks
    statuses = fuzz(CREDENTIAL, alpha.client, "PUT", "/api/providers/openai/credentials", ids)
    assert statuses[200] and statuses[400], statuses
