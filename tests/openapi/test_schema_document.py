"""The OpenAPI document: valid OpenAPI 3.1, served as JSON and YAML, complete (every route,
every event type), and truthful (its examples and real answers match its schemas)."""

from __future__ import annotations

import httpx
import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import EndpointEnumerator
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from designs.events import EventType
from tests.openapi.schema_document import openapi_document
from tests.support.sse import read_all

DOCUMENTED_ELSEWHERE = {"/api/schema", "/api/docs", "/api/redoc"}  # the reference itself
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def validator_for(document: dict, component: str) -> Draft202012Validator:
    registry = Registry().with_resource("urn:easel", Resource.from_contents(document, DRAFT202012))
    return Draft202012Validator({"$ref": f"urn:easel#/components/schemas/{component}"}, registry=registry)


def api_routes() -> dict[str, object]:
    """Every routed path under /api (and /healthz), in OpenAPI's spelling, and its view."""
    to_path = EndpointEnumerator().get_path_from_regex
    routes: dict[str, object] = {}

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            regex = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, regex)
            elif isinstance(pattern, URLPattern):
                path = to_path(regex)
                if path.startswith("/api/") or path == "/healthz":
                    routes[path] = pattern.callback

    walk(get_resolver().url_patterns, "")
    return routes


def test_the_document_is_valid_openapi_3_1():
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_api_route_and_method_has_an_operation():
    paths = openapi_document()["paths"]
    missing = []
    for path, view in api_routes().items():
        if path in DOCUMENTED_ELSEWHERE:
            continue
        documented = set(paths.get(path, {})) & HTTP_METHODS
        view_class = getattr(view, "cls", None)  # a DRF view answers exactly its handlers' methods
        expected = {m.lower() for m in view_class().allowed_methods} & HTTP_METHODS if view_class else set()
        if not documented or expected - documented:
            missing.append(f"{path} {sorted(expected - documented) or 'any method'}")
    assert not missing, f"routes without an OpenAPI operation: {missing}"


def test_the_document_describes_no_route_that_does_not_exist():
    routed = set(api_routes())
    assert set(openapi_document()["paths"]) - routed == set()


def test_every_operation_but_the_public_ones_wants_the_api_key():
    document = openapi_document()
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": document["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    public = {"/healthz", "/api/media/{document_id}.{ext}", "/api/media/{document_id}.thumb.webp"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            wants_key = {"ApiKey": []} in operation.get("security", [])
            assert wants_key == (path not in public), f"{method.upper()} {path}"
            if wants_key:
                assert "401" in operation["responses"], f"{method.upper()} {path} does not declare 401"


def test_every_error_answer_has_the_detail_shape():
    """Error, or a shape that is an Error and more (a spent budget's 429: BudgetSpent)."""
    document = openapi_document()
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and path != "/healthz":
                    schema = response["content"]["application/json"]["schema"]
                    component = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
                    assert schema == error or error in component.get("allOf", []), f"{method.upper()} {path} {status}"


def test_a_spent_budget_is_documented_where_images_are_held():
    paths = openapi_document()["paths"]
    budgeted = [
        ("/api/threads/messages", "post"),
        ("/api/threads/{thread_id}/messages", "post"),
        ("/api/customizations", "post"),
        ("/api/customizations/{customization_id}/refine", "post"),
    ]
    for path, method in budgeted:
        refusal = paths[path][method]["responses"]["429"]
        assert refusal["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/BudgetSpent"}
        assert "Retry-After" in refusal["headers"]


def test_every_webhook_event_has_a_schema_and_a_webhook_operation():
    from designs.services.webhooks import EVENT_TYPES, PING

    document = openapi_document()
    schemas = document["components"]["schemas"]
    mapping = schemas["WebhookEvent"]["discriminator"]["mapping"]
    assert set(mapping) == {*EVENT_TYPES, PING}
    assert set(document["webhooks"]) == {*EVENT_TYPES, PING}
    for kind, target in mapping.items():
        assert schemas[target.rsplit("/", 1)[-1]]["properties"]["type"] == {"type": "string", "const": kind}
        body = document["webhooks"][kind]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": target}
    assert schemas["EventRunEnded"]["properties"]["billing"] == {"$ref": "#/components/schemas/Billing"}


def test_every_event_type_has_a_schema_in_the_stream_catalogue():
    schemas = openapi_document()["components"]["schemas"]
    mapping = schemas["StreamEvent"]["discriminator"]["mapping"]
    assert set(mapping) == {kind.value for kind in EventType}
    for kind, target in mapping.items():
        component = schemas[target.rsplit("/", 1)[-1]]
        assert component["properties"]["type"] == {"type": "string", "const": kind}
        if kind != EventType.ERROR:  # a reader's own error has no log position
            assert "event_id" in component["properties"], kind


def test_the_streaming_routes_answer_text_event_stream():
    paths = openapi_document()["paths"]
    streaming = [
        ("/api/threads/messages", "post"),
        ("/api/threads/{thread_id}/messages", "post"),
        ("/api/threads/tool-outputs", "post"),
        ("/api/threads/{thread_id}/runs/{run_id}/submit-tool-outputs", "post"),
        ("/api/threads/{thread_id}/runs/{run_id}/events", "get"),
    ]
    for path, method in streaming:
        body = paths[path][method]["responses"]["200"]["content"]["text/event-stream"]
        assert body["schema"] == {"$ref": "#/components/schemas/ServerSentEvent"}
        assert "data: {" in body["example"]
    data = openapi_document()["components"]["schemas"]["ServerSentEvent"]["properties"]["data"]
    assert data["contentSchema"] == {"$ref": "#/components/schemas/StreamEvent"}


def test_every_example_matches_its_schema():
    document = openapi_document()
    checked = 0
    for name, schema in document["components"]["schemas"].items():
        for example in schema.get("examples", []):
            errors = [e.message for e in validator_for(document, name).iter_errors(example)]
            assert not errors, f"{name}'s example: {errors}"
            checked += 1
    assert checked >= len(EventType) + 3


def test_the_server_serves_the_same_document_as_json_by_default(embedded_easel):
    response = httpx.get(f"{embedded_easel.api_url}/schema", timeout=30)  # no key: the reference is public
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/vnd.oai.openapi+json"
    assert response.json() == openapi_document()


@pytest.mark.parametrize(
    "how, media_type",
    [
        ({"params": {"format": "yaml"}}, "application/yaml"),
        ({"headers": {"Accept": "application/yaml"}}, "application/yaml"),
        ({"headers": {"Accept": "application/vnd.oai.openapi"}}, "application/vnd.oai.openapi"),
    ],
)
def test_the_server_serves_yaml_when_asked(embedded_easel, how, media_type):
    response = httpx.get(f"{embedded_easel.api_url}/schema", timeout=30, **how)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert yaml.safe_load(response.text) == openapi_document()


@pytest.mark.parametrize("stream", [False, True])
async def test_a_real_turn_matches_the_documented_shapes(embedded_easel, stream):
    """What schemathesis cannot check: a whole turn's answer, and each event of its stream."""
    document = openapi_document()
    body = {"content": "Draw a small red robot, please", "image_generation": "auto", "stream": stream}
    headers = {"X-API-Key": embedded_easel.api_key}
    async with httpx.AsyncClient(base_url=embedded_easel.api_url, headers=headers, timeout=60) as client:
        if not stream:
            response = await client.post("/threads/messages", json=body)
            assert response.status_code == 200
            assert not list(validator_for(document, "TurnResponse").iter_errors(response.json()))
            return
        frames = await read_all(client, "POST", "/threads/messages", json=body)
    kinds = [event["type"] for _event_id, event in frames]
    assert kinds[0] == EventType.USER_MESSAGE and kinds[-1] == EventType.RUN_ENDED
    for event_id, event in frames:
        assert event["event_id"] == event_id
        errors = [e.message for e in validator_for(document, "StreamEvent").iter_errors(event)]
        assert not errors, f"{event['type']}: {errors}"


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city today",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


async def test_a_paused_turn_and_its_tool_outputs_match_the_documented_shapes(embedded_easel):
    """The custom-tool round trip: the pause (JSON, then as the stream's last event) and the
    continuation the outputs start."""
    document = openapi_document()
    turn, event = validator_for(document, "TurnResponse"), validator_for(document, "StreamEvent")
    ask = {"content": "Use get_weather with city: Lisbon", "tools": [WEATHER_TOOL]}
    headers = {"X-API-Key": embedded_easel.api_key}
    async with httpx.AsyncClient(base_url=embedded_easel.api_url, headers=headers, timeout=60) as client:
        paused = (await client.post("/threads/messages", json=ask)).json()
        assert paused["status"] == "REQUIRES_ACTION" and not list(turn.iter_errors(paused))
        outputs = {"tool_outputs": [{"tool_call_id": paused["tool_calls"][0]["id"], "output": "Sunny, 24 C"}]}
        url = f"/threads/{paused['thread_id']}/runs/{paused['run_id']}/submit-tool-outputs"
        done = await client.post(url, params={"stream": "false"}, json=outputs)
        assert done.status_code == 200 and not list(turn.iter_errors(done.json()))

        frames = await read_all(client, "POST", "/threads/messages", json={**ask, "stream": True})
    assert frames[-1][1]["type"] == EventType.TOOL_SUBMIT_REQUIRED
    for _event_id, streamed in frames:
        assert not list(event.iter_errors(streamed)), streamed
