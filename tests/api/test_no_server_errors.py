"""No request produces a 500: every API route, every method, with junk bodies and foreign ids."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from designs.models import Assistant, Document, Message, Run, Thread

JUNK_BODIES = [
    ("application/json", "{"),
    ("application/json", "null"),
    ("application/json", json.dumps({"content": ["not", "a", "string"], "thread_id": 7, "stream": {}})),
    ("application/json", json.dumps({"name": None, "tools": "x", "image_config": "[]", "metadata": 3})),
    ("application/x-www-form-urlencoded", "content=%FF%FE&stream=maybe&image_config=%7Bbad"),
    ("multipart/form-data; boundary=xyz", '--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\n'),
    ("text/plain", "\x00\x01\x02"),
]

JUNK_QUERY = "?skip=x&limit=-5&after=zz&created_after=notadate&from=31-31-2026&supports_vision=perhaps&thread_id=1"


def api_routes() -> list[str]:
    """Every route under /api, its converters filled with ids that exist in another project."""
    resolver = get_resolver()
    api = next(p for p in resolver.url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/")
    routes = []
    for pattern in api.url_patterns:
        assert isinstance(pattern, URLPattern)
        routes.append("/api/" + str(pattern.pattern).lstrip("^").rstrip("$"))
    return routes


@pytest.fixture
def foreign_ids(bravo) -> dict[str, str]:
    assistant = Assistant.objects.create(project=bravo.project, name="theirs")
    thread = Thread.objects.create(project=bravo.project, assistant=assistant)
    message = Message.objects.create(project=bravo.project, thread=thread, role="user", content="x", seq=1)
    run = Run.objects.create(project=bravo.project, thread=thread, assistant=assistant, user_message=message)
    return {
        "thread_id": str(thread.id),
        "assistant_id": str(assistant.id),
        "run_id": str(run.id),
        "document_id": str(uuid.uuid4()),
        "provider": "openai",
        "model_name": "x/y",
        "ext": "png",
    }


def fill(route: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        route = route.replace(f"<uuid:{name}>", value).replace(f"<str:{name}>", value).replace(f"<{name}>", value)
    return route.replace("(?P<model_name>.+)", ids["model_name"])


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_no_route_answers_500_to_junk_or_foreign_ids(alpha, foreign_ids, method):
    before = Document.objects.count(), Thread.objects.count(), Run.objects.count()
    for route in api_routes():
        url = fill(route, foreign_ids) + JUNK_QUERY
        for content_type, body in JUNK_BODIES:
            response = alpha.client.generic(method.upper(), url, data=body, content_type=content_type)
            assert response.status_code < 500, (method, url, content_type, response.content[:300])
            if response.status_code >= 400 and response.get("content-type", "").startswith("application/json"):
                assert "detail" in response.json(), (method, url)
    assert (Document.objects.count(), Thread.objects.count(), Run.objects.count()) == before
