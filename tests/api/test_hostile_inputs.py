"""Every input a hostile tester sent answers a 4xx with a readable `detail` and changes nothing.

Each row used to be a 500 (a RecursionError, an OverflowError, a database refusing what it was
given) or is its near neighbour. Rows run by API key, as a signed-in member, or unauthenticated
(signed media URLs need no key).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

from designs.models import Assistant, Membership, Thread

MESSAGES = "/api/threads/messages"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
DEEP = "[" * 100_000


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: str
    status: int
    mentions: str
    body: bytes | str | None = None
    content_type: str = JSON
    auth: str = "key"  # "key", "session" (a signed-in member) or "anonymous"
    headers: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def get(name: str, path: str, status: int, mentions: str, **options) -> Row:
    return Row(name, "GET", path, status, mentions, **options)


def post(name: str, path: str, body: bytes | str, status: int, mentions: str, **options) -> Row:
    return Row(name, "POST", path, status, mentions, body, **options)


def put(name: str, path: str, body: bytes | str, status: int, mentions: str, **options) -> Row:
    return Row(name, "PUT", path, status, mentions, body, **options)


WRITE_ROUTES = [
    ("POST", MESSAGES),
    ("POST", "/api/threads/{thread}/messages"),
    ("POST", "/api/assistants"),
    ("PUT", "/api/assistants/{assistant}"),
    ("POST", "/api/assistants/{assistant}/threads"),
    ("PUT", "/api/providers/openai/credentials"),
]


def everywhere(label: str, body: bytes | str, mentions: str) -> list[Row]:
    """The same body, refused with 400, on every JSON write route."""
    return [Row(f"{label} {method} {path}", method, path, 400, mentions, body) for method, path in WRITE_ROUTES]


def fields(**values: object) -> str:
    """A JSON object any write route could take, plus `values` (each given as JSON text).

    send_to_llm=false (and stream=true for image turns): a turn that got past validation would
    wait for a run nothing in-process finishes, so a regression fails at once instead of hanging.
    """
    pairs = {"name": '"n"', "content": '"hi"', "send_to_llm": "false", **values}
    return "{" + ", ".join(f'"{key}": {value}' for key, value in pairs.items()) + "}"


def media(expires: str, sig: str = "0" * 64, variant: str = "png") -> str:
    return f"/api/media/{{document}}.{variant}?expires={expires}&sig={sig}"


def image_config(**config: object) -> str:
    turn = {"content": "hi", "operation": "generate_image", "stream": True, "image_config": config}
    return json.dumps({**turn, "image_model_provider": "local", "image_model_name": "easel-local-painter"})


CREDENTIALS = "/api/providers/openai/credentials"
GARBAGE_PROJECT = {"auth": "session", "headers": {"X-Easel-Project": "garbage"}}
ROWS = [
    # Signed media URLs: strict ASCII integers and a hex signature, before int() or compare_digest.
    get("expires=²", media("²"), 403, "signature", auth="anonymous"),
    get("expires of 5,000 digits", media("9" * 5000), 403, "signature", auth="anonymous"),
    get("expires in fullwidth digits", media("１２３"), 403, "signature", auth="anonymous"),
    get("a non-ASCII signature", media("9999999999", sig="é"), 403, "signature", auth="anonymous"),
    get("a thumbnail with expires=²", media("²", variant="thumb.webp"), 403, "signature", auth="anonymous"),
    # JSON bodies: bounded depth, strict numbers, text every database can store.
    *everywhere("100,000 brackets", DEEP, "nested deeper than 64"),
    *everywhere("65 levels", fields(metadata='{"a": ' * 65 + "1" + "}" * 65), "nested deeper than 64"),
    *everywhere("NaN", fields(metadata='{"x": NaN}'), "NaN"),
    *everywhere("-Infinity", fields(tok_k="-Infinity"), "Infinity"),
    *everywhere("1e400", fields(metadata='{"x": 1e400}'), "out of range"),
    *everywhere("an escaped NUL", fields(metadata='{"x": "a\\u0000b"}'), "NUL"),
    *everywhere("a lone surrogate", fields(metadata='{"x\\ud800": 1}'), "surrogate"),
    *everywhere("an integer of 5,000 digits", fields(tok_k="9" * 5000), "digits"),
    *everywhere("bytes that are not UTF-8", fields(name='"\xff"').encode("latin-1"), "UTF-8"),
    post(
        "a UTF-16 body",
        "/api/assistants",
        fields().encode("utf-16"),
        400,
        "UTF-8",
        content_type=f"{JSON}; charset=utf-16",
    ),
    post("NUL in content", MESSAGES, fields(content='"hi\\u0000"'), 400, "NUL"),
    post(
        "NUL in a form field's JSON",
        MESSAGES,
        'content=hi&send_to_llm=false&metadata={"a":"\\u0000"}',
        400,
        "metadata",
        content_type=FORM,
    ),
    post(
        "a form field 100,000 deep",
        MESSAGES,
        "content=hi&send_to_llm=false&image_config=" + DEEP,
        400,
        "image_config",
        content_type=FORM,
    ),
    post("a 10 MB assistant name", "/api/assistants", json.dumps({"name": "n" * 10_000_000}), 413, "limit"),
    # Dates in range, so no window or "day after" falls off Python's calendar.
    get("usage to=0001-01-01", "/api/usage?to=0001-01-01", 400, "to must be a date between"),
    get("usage from=0001-01-01", "/api/usage?from=0001-01-01&to=1970-01-05", 400, "from must be a date between"),
    get("usage to=10000-01-01", "/api/usage?to=10000-01-01", 400, "to must be a date"),
    get("documents after year 1", "/api/documents?created_after=0001-01-01T00:00:00Z", 400, "created_after"),
    get("documents after year 0 UTC", "/api/documents?created_after=0001-01-01T00:00:00%2B14:00", 400, "created_after"),
    get(
        "documents before year 10000 UTC",
        "/api/documents?created_before=9999-12-31T23:59:59-14:00",
        400,
        "created_before",
    ),
    # A signed-in member naming a project that is not a UUID.
    get("X-Easel-Project: garbage, a read", "/api/threads", 404, "Project not found", **GARBAGE_PROJECT),
    post("X-Easel-Project: garbage, a write", "/api/assistants", fields(), 404, "Project not found", **GARBAGE_PROJECT),
    post("X-Easel-Project: garbage, a turn", MESSAGES, fields(), 404, "Project not found", **GARBAGE_PROJECT),
    # Numbers and strings bounded as their columns are (PostgreSQL's integer is 32-bit).
    *[
        post(f"embedding_dims {value}", "/api/assistants", fields(embedding_dims=value), 400, "embedding_dims")
        for value in ("1e30", str(10**30), str(2**31), str(2**63), "0", "-1", "true")
    ],
    put(
        "embedding_dims 2**31 on update",
        "/api/assistants/{assistant}",
        fields(embedding_dims=2**31),
        400,
        "embedding_dims",
    ),
    post("tok_k 10**30", "/api/assistants", fields(tok_k=10**30), 400, "tok_k"),
    put("tok_k -5", "/api/assistants/{assistant}", fields(tok_k=-5), 400, "tok_k"),
    post("a 201-character name", "/api/assistants", fields(name=f'"{"n" * 201}"'), 400, "name"),
    post(
        "a long embedding_provider",
        "/api/assistants",
        fields(embedding_provider=f'"{"p" * 101}"'),
        400,
        "embedding_provider",
    ),
    post(
        "a long embedding_model_name",
        "/api/assistants",
        fields(embedding_model_name=f'"{"m" * 201}"'),
        400,
        "embedding_model_name",
    ),
    put(
        "a 501-character base_url",
        CREDENTIALS,
        fields(api_key='"sk-test-12345678"', base_url=f'"https://x/{"a" * 491}"'),
        400,
        "base_url",
    ),
    put(
        "an unclosed IPv6 base_url",
        CREDENTIALS,
        fields(api_key='"sk-test-12345678"', base_url='"http://[::1"'),
        400,
        "base_url",
    ),
    get("a NUL in an assistant name filter", "/api/assistants?name=a%00b", 400, "name"),
    get("skip of 5,000 digits", "/api/threads?skip=" + "9" * 5000, 400, "skip"),
    get("limit 2**63", f"/api/assistants?limit={2**63}", 400, "limit"),
    post("a thread body that is a list", "/api/assistants/{assistant}/threads", "[1, 2]", 400, "dictionary"),
    post("image_config.seed 10**30", MESSAGES, image_config(seed=10**30), 400, "image_config.seed"),
    post("image_config.seed -1", MESSAGES, image_config(seed=-1), 400, "image_config.seed"),
    post("image_config.n 2**63", MESSAGES, image_config(n=2**63), 400, "image_config.n"),
    post(
        "image_config.size in fullwidth digits",
        MESSAGES,
        image_config(size="１０２４x１０２４"),
        400,
        "image_config.size",
    ),
    post("image_config.size with a newline", MESSAGES, image_config(size="64x64\n"), 400, "image_config.size"),
]


def all_rows() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in apps.get_app_config("designs").get_models()}
    return {**counts, "User": get_user_model().objects.count()}


@pytest.fixture
def member(alpha) -> Client:
    user = get_user_model().objects.create(username="mallory", email="mallory@example.com")  # no hashing: fast
    Membership.objects.create(user=user, project=alpha.project, role=Membership.Role.OWNER)
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def targets(alpha) -> dict[str, str]:
    assistant = Assistant.objects.create(project=alpha.project, name="ours")
    thread = Thread.objects.create(project=alpha.project, assistant=assistant)
    return {"assistant": str(assistant.id), "thread": str(thread.id), "document": str(uuid.uuid4())}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_hostile_input_is_refused_with_a_reason_and_changes_nothing(request, alpha, targets, row):
    client = {"key": alpha.client, "anonymous": Client()}.get(row.auth) or request.getfixturevalue("member")
    path = row.path.replace("{assistant}", targets["assistant"]).replace("{thread}", targets["thread"])
    path = path.replace("{document}", targets["document"])
    before = all_rows()

    response = client.generic(
        row.method, path, data=row.body or b"", content_type=row.content_type, headers=row.headers
    )

    assert response.status_code == row.status, response.content[:300]
    detail = response.json()["detail"]
    assert isinstance(detail, str) and row.mentions in detail, detail
    assert all_rows() == before


def test_a_body_at_the_size_limit_made_of_brackets_is_refused_quickly(alpha, settings):
    body = "[" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    started = time.monotonic()

    response = alpha.client.post("/api/assistants", data=body, content_type=JSON)

    assert response.status_code == 400 and "nested deeper" in response.json()["detail"]
    assert time.monotonic() - started < 5


def test_the_depth_limit_is_a_setting(alpha, settings):
    settings.EASEL_MAX_JSON_DEPTH = 5
    # object, list, tool, function, parameters: 5 levels; a property's schema goes 2 deeper.
    shallow = {"name": "n", "tools": [{"function": {"name": "f", "parameters": {"type": "object"}}}]}
    deeper_parameters = {"type": "object", "properties": {"a": {"type": "string"}}}
    deeper = {"name": "n", "tools": [{"function": {"name": "f", "parameters": deeper_parameters}}]}

    assert alpha.client.post("/api/assistants", data=shallow, content_type=JSON).status_code == 200
    refused = alpha.client.post("/api/assistants", data=deeper, content_type=JSON)
    assert refused.status_code == 400 and "nested deeper than 5 levels" in refused.json()["detail"]


def test_text_that_only_looks_like_forbidden_escapes_is_kept(alpha):
    # An escaped backslash before "u0000" is text, and a surrogate pair is one character.
    body = '{"name": "n", "description": "C:\\\\u0000 and \\ud83c\\udfa8 and [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}'

    response = alpha.client.post("/api/assistants", data=body, content_type=JSON)

    assert response.status_code == 200, response.content
    assert Assistant.objects.get(id=response.json()["assistant_id"]).description == json.loads(body)["description"]


def test_a_thread_still_takes_metadata_as_json_or_as_a_form_field(alpha, targets):
    path = f"/api/assistants/{targets['assistant']}/threads"

    as_json = alpha.client.post(path, data={"metadata": {"k": 1}}, content_type=JSON)
    as_form = alpha.client.post(path, data={"metadata": '{"k": 2}'})

    assert as_json.status_code == as_form.status_code == 200
    assert [Thread.objects.get(id=r.json()["thread_id"]).metadata for r in (as_json, as_form)] == [{"k": 1}, {"k": 2}]


def test_a_base_url_python_cannot_split_is_refused_where_projects_may_choose_urls(alpha, settings):
    settings.EASEL_ALLOW_PROJECT_BASE_URLS = True
    body = {"api_key": "sk-test-12345678", "base_url": "http://[::1/v1"}

    response = alpha.client.put(CREDENTIALS, data=body, content_type=JSON)

    assert response.status_code == 400 and "base_url" in response.json()["detail"]
    assert alpha.client.get(CREDENTIALS).status_code == 404


def test_the_gallery_shows_a_date_out_of_range_as_a_form_error(alpha, member):
    gallery = f"/projects/{alpha.project.id}/gallery"

    too_early = member.get(gallery, {"date_from": "0001-01-01"})
    last_day = member.get(gallery, {"date_to": "9999-12-31"})

    assert too_early.status_code == 200
    assert "Choose a date between 1970-01-01 and 9999-12-31." in too_early.content.decode()
    assert last_day.status_code == 200
    assert "field-error" not in last_day.content.decode()
