"""The caller's own tools, in process: bad tool definitions and bad tool outputs get a clear 4xx
with {"detail": ...} and change nothing; a waiting run holds no slot, can be cancelled, and
expires through the sweep."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from designs import events
from designs.models import Assistant, Message, Run, Thread
from designs.services.limits import run_slots_check
from designs.services.messages import message_create
from designs.services.tool_outputs import run_pause
from tests.api.conftest import row_counts
from tests.api.test_bad_input import assert_refused
from workers.liveness import sweep_stale_runs


def tool(name: str = "get_weather", parameters: object = None) -> dict:
    function = {
        "name": name,
        "parameters": parameters or {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    return {"type": "function", "function": function}


def call(call_id: str, name: str = "get_weather") -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": '{"city": "Oslo"}'}}


def waiting_run(tenant, *call_ids: str) -> Run:
    """A run of `tenant` paused for the caller's calls `call_ids`, as the pipeline leaves it."""
    assistant = Assistant.objects.create(project=tenant.project, name="a")
    thread = Thread.objects.create(project=tenant.project, assistant=assistant)
    user = message_create(thread, role=Message.Role.USER, content="weather?")
    run = Run.objects.create(
        project=tenant.project,
        thread=thread,
        assistant=assistant,
        user_message=user,
        status=Run.Status.RUNNING,
        llm_provider="local",
        llm_model="easel-local-agent",
        attempts=1,
        input_tokens=40,
        output_tokens=5,
    )
    calls = [call(i) for i in call_ids]
    stub = message_create(
        thread, run=run, role=Message.Role.ASSISTANT, content="", metadata={"run_id": str(run.id), "tool_calls": calls}
    )
    assert run_pause(run, attempt=1, stub=stub, calls=calls, text="", documents=(), cost=0.001)
    return run


def submit_url(run: Run) -> str:
    return f"/api/threads/{run.thread_id}/runs/{run.id}/submit-tool-outputs?stream=false"


def post(tenant, url: str, body) -> object:
    return tenant.client.post(url, data=json.dumps(body), content_type="application/json")


def outputs(*pairs: tuple[str, object]) -> dict:
    return {"tool_outputs": [{"tool_call_id": i, "output": o} for i, o in pairs]}


BAD_OUTPUTS = [
    ({"tool_outputs": []}, 400, "tool_outputs"),
    ({"tool_outputs": "call_1"}, 400, "tool_outputs"),
    ({"tool_outputs": [["call_1", "x"]]}, 400, "tool_outputs[0]"),
    ({"tool_outputs": [{"output": "x"}]}, 400, "tool_call_id"),
    (outputs(("call_1", {"not": "a string"})), 400, "must be a string"),
    (outputs(("call_1", "x" * 1_000_001)), 400, "1000000 bytes"),
    (outputs(("call_9", "x")), 400, "unknown tool_call_id call_9"),
    (outputs(("call_1", "x"), ("call_1", "y")), 400, "more than one output for call_1"),
    ({**outputs(("call_1", "x")), "tools": [tool("generate_image")]}, 400, "built-in"),
    ({**outputs(("call_1", "x")), "thinking": "hard"}, 400, "thinking"),
    ([1, 2], 400, "object"),
]


@pytest.mark.parametrize(("body", "status", "mentions"), BAD_OUTPUTS)
def test_bad_tool_outputs_are_refused_and_change_nothing(alpha, body, status, mentions):
    run = waiting_run(alpha, "call_1")
    before = row_counts()

    assert_refused(post(alpha, submit_url(run), body), status, mentions=mentions)

    assert row_counts() == before
    run.refresh_from_db()
    assert run.status == Run.Status.REQUIRES_ACTION


def test_outputs_for_only_some_pending_calls_are_refused_naming_the_missing_ones(alpha):
    run = waiting_run(alpha, "call_1", "call_2", "call_3")
    before = row_counts()

    detail = assert_refused(post(alpha, submit_url(run), outputs(("call_2", "x"))), 400, mentions="missing")

    assert "call_1" in detail and "call_3" in detail and "call_2" not in detail.split("missing")[1]
    assert row_counts() == before


def test_a_run_that_is_not_waiting_is_a_conflict(alpha):
    run = waiting_run(alpha, "call_1")
    Run.objects.filter(id=run.id).update(status=Run.Status.COMPLETED)

    assert_refused(post(alpha, submit_url(run), outputs(("call_1", "x"))), 409, mentions="not waiting")


def test_another_projects_thread_and_run_are_not_found(alpha, bravo):
    theirs = waiting_run(bravo, "call_1")
    before = row_counts()

    assert_refused(post(alpha, submit_url(theirs), outputs(("call_1", "x"))), 404)
    simple = {"thread_id": str(theirs.thread_id), **outputs(("call_1", "x"))}
    assert_refused(post(alpha, "/api/threads/tool-outputs", simple), 404)
    unknown = f"/api/threads/{uuid.uuid4()}/runs/{theirs.id}/submit-tool-outputs"
    assert_refused(post(alpha, unknown, outputs(("call_1", "x"))), 404, mentions="Thread not found")

    assert row_counts() == before


def test_the_simple_route_needs_a_thread_with_a_waiting_run(alpha):
    run = waiting_run(alpha, "call_1")
    Run.objects.filter(id=run.id).update(status=Run.Status.COMPLETED)
    Message.objects.filter(run=run).update(status=Message.Status.COMPLETED)

    assert_refused(post(alpha, "/api/threads/tool-outputs", {"thread_id": "nope"}), 400, mentions="thread_id")
    body = {"thread_id": str(run.thread_id), **outputs(("call_1", "x"))}
    assert_refused(post(alpha, "/api/threads/tool-outputs", body), 409, mentions="no run waiting")
    bad_stream = {**body, "stream": "sometimes"}
    assert_refused(post(alpha, "/api/threads/tool-outputs", bad_stream), 400, mentions="stream")


def test_a_good_submit_stores_the_outputs_and_queues_the_same_run(alpha):
    run = waiting_run(alpha, "call_1", "call_2")
    stream = events.run_stream(run.id)
    events.get_log().append([stream], {"type": "tool_submit_required", "run_id": str(run.id)})
    tenant_url = f"/api/threads/{run.thread_id}/runs/{run.id}/submit-tool-outputs?stream=true"

    response = post(alpha, tenant_url, outputs(("call_2", "two"), ("call_1", "one")))

    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    # The body is never read: the run is queued and no worker runs in this test. (Closing the
    # response would send request_finished, and Django would close the test's connection.)
    run.refresh_from_db()
    assert run.status == Run.Status.QUEUED
    tools = Message.objects.filter(run=run, role=Message.Role.TOOL).order_by("seq")
    assert [(m.content, m.metadata["tool_call_id"], m.metadata["tool_name"]) for m in tools] == [
        ("one", "call_1", "get_weather"),
        ("two", "call_2", "get_weather"),
    ], "stored in the order of the calls"
    stub = Message.objects.get(run=run, role=Message.Role.ASSISTANT)
    assert all(m.metadata["parent_message_id"] == str(stub.id) for m in tools)
    assert stub.status == Message.Status.COMPLETED


TOOL_CASES = [
    ("not a list", "tools"),
    ({"name": "an object"}, "tools"),
    ([tool("bad name!")], "function.name"),
    ([tool("x" * 65)], "function.name"),
    ([tool("dup"), tool("dup")], "used twice"),
    ([tool("generate_image")], "built-in"),
    ([tool(f"t{i}") for i in range(129)], "at most 128"),
    ([tool("t", {"type": "object", "properties": {"a": {"type": "strin"}}})], "not a valid JSON Schema"),
    ([tool("t", {"type": 12})], "not a valid JSON Schema"),
    ([{"type": "retrieval"}], "only 'function'"),
    ([{"type": "function"}], "function"),
]


@pytest.mark.parametrize(("tools", "mentions"), TOOL_CASES)
def test_bad_tools_on_a_turn_are_refused_and_nothing_is_stored(alpha, tools, mentions):
    before = row_counts()

    response = post(alpha, "/api/threads/messages", {"content": "weather?", "tools": tools})

    assert_refused(response, 400, mentions=mentions)
    assert row_counts() == before


def test_bad_tools_as_a_form_field_are_refused_too(alpha):
    form = {"content": "weather?", "tools": json.dumps([tool("generate_image")])}

    assert_refused(alpha.client.post("/api/threads/messages", data=form), 400, mentions="built-in")


@pytest.mark.parametrize(("tools", "mentions"), TOOL_CASES[1:])
def test_bad_tools_on_an_assistant_are_refused_and_nothing_is_stored(alpha, tools, mentions):
    before = row_counts()
    assert_refused(post(alpha, "/api/assistants", {"name": "weather", "tools": tools}), 400, mentions=mentions)
    assert row_counts() == before

    assistant = Assistant.objects.create(project=alpha.project, name="kept", tools=[tool()])
    url = f"/api/assistants/{assistant.id}"
    response = alpha.client.put(url, data=json.dumps({"tools": tools}), content_type="application/json")
    assert_refused(response, 400, mentions=mentions)
    assistant.refresh_from_db()
    assert assistant.tools == [tool()]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [('{"tools": null}', "application/json"), ("tools=null", "application/x-www-form-urlencoded")],
)
def test_null_tools_on_an_assistant_mean_none(alpha, body, content_type):
    assistant = Assistant.objects.create(project=alpha.project, name="kept", tools=[tool()])

    response = alpha.client.put(f"/api/assistants/{assistant.id}", data=body, content_type=content_type)

    assert response.status_code == 200 and response.json()["tools"] == []
    assistant.refresh_from_db()
    assert assistant.tools == []


def test_a_new_turn_on_a_thread_whose_run_waits_is_a_conflict_naming_the_run(alpha):
    run = waiting_run(alpha, "call_1")
    before = row_counts()

    response = post(alpha, "/api/threads/messages", {"content": "again", "thread_id": str(run.thread_id)})

    assert_refused(response, 409, mentions=str(run.id))
    assert row_counts() == before


def test_a_waiting_run_holds_no_concurrency_slot(alpha, settings):
    settings.EASEL_MAX_RUNS_PER_PROJECT = 1
    waiting_run(alpha, "call_1")

    run_slots_check(project=alpha.project, api_key=None)  # does not raise


def test_a_waiting_run_keeps_what_it_spent(alpha):
    run = waiting_run(alpha, "call_1")

    run.refresh_from_db()
    assert (run.input_tokens, run.output_tokens, float(run.cost_usd)) == (40, 5, 0.001)


def test_cancelling_a_waiting_run_ends_it(alpha):
    run = waiting_run(alpha, "call_1")

    response = alpha.client.post(f"/api/threads/{run.thread_id}/runs/{run.id}/cancel")

    assert response.status_code == 200
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED
    assert events.get_log().entries(events.run_stream(run.id))[-1][1]["type"] == "run_cancelled"
    assert_refused(post(alpha, submit_url(run), outputs(("call_1", "x"))), 409)


def test_the_sweep_expires_a_run_left_waiting_past_the_timeout(alpha, settings):
    settings.EASEL_TOOL_OUTPUT_TIMEOUT = 60
    old = waiting_run(alpha, "call_1")
    fresh = waiting_run(alpha, "call_2")
    Run.objects.filter(id=old.id).update(heartbeat_at=timezone.now() - timedelta(seconds=61))

    assert sweep_stale_runs() == 1
    assert sweep_stale_runs() == 0

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == Run.Status.FAILED and "expired" in old.error
    assert (old.input_tokens, old.output_tokens) == (40, 5), "what it spent before the pause is kept"
    assert fresh.status == Run.Status.REQUIRES_ACTION
    ended = events.get_log().entries(events.run_stream(old.id))[-1][1]
    assert ended["type"] == "run_failed" and ended["error_kind"] == "run_expired"
    assert_refused(post(alpha, submit_url(old), outputs(("call_1", "x"))), 409)
