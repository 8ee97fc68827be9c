"""The caller's own tools, with the official SDK over real HTTP in both topologies: a turn that
calls one stops with REQUIRES_ACTION, and the caller's outputs finish the same run."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from backboard import BackboardClient

from tests.api.test_backboard_sdk import IMAGE_FIELDS, client_for, collect, fetch_image
from tests.support.processes import LiveEasel

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city today",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The city"}},
            "required": ["city"],
        },
    },
}
ASK = "What is the weather like? Use get_weather with city: Lisbon"
OUTPUT = "Sunny and 24 C in Lisbon"


def output_for(call) -> dict:
    call_id = call["id"] if isinstance(call, dict) else call.id
    return {"tool_call_id": call_id, "output": OUTPUT}


async def paused_turn(client: BackboardClient, **fields):
    response = await client.send_message(ASK, tools=[WEATHER], **fields)
    assert response.status == "REQUIRES_ACTION", response
    return response


async def test_a_turn_that_calls_the_callers_tool_stops_with_the_call_and_its_run(easel):
    response = await paused_turn(client_for(easel))

    assert response.run_id
    [call] = response.tool_calls
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Lisbon"}
    thread = httpx.get(f"{easel.api_url}/threads/{response.thread_id}", headers={"X-API-Key": easel.api_key}).json()
    stub = thread["messages"][-1]
    assert stub["role"] == "assistant" and stub["status"] == "REQUIRES_ACTION"
    assert [c["id"] for c in stub["metadata_"]["tool_calls"]] == [call.id]


async def test_submit_tool_outputs_finishes_the_same_run_with_the_output(easel):
    client = client_for(easel)
    paused = await paused_turn(client)

    done = await client.submit_tool_outputs(
        paused.thread_id, paused.run_id, [output_for(paused.tool_calls[0])], stream=False
    )

    assert done.status == "COMPLETED"
    assert done.run_id == paused.run_id
    assert f"get_weather said: {OUTPUT}" in done.content
    assert done.total_tokens and done.total_tokens > paused.messages[-1]["total_tokens"] > 0


async def test_streamed_turn_pauses_and_the_streamed_submit_shows_only_the_continuation(easel):
    client = client_for(easel)
    first = await collect(await client.send_message(ASK, tools=[WEATHER], stream=True))
    pause = first[-1]
    assert pause["type"] == "tool_submit_required"
    assert pause["run_id"] and pause["thread_id"] == first[0]["thread_id"]
    assert [c["function"]["name"] for c in pause["tool_calls"]] == ["get_weather"]
    assert pause["input_tokens"] > 0 and pause["total_tokens"] >= pause["input_tokens"]
    assert "run_ended" not in [c["type"] for c in first]

    second = await collect(
        await client.submit_tool_outputs(
            pause["thread_id"], pause["run_id"], [output_for(pause["tool_calls"][0])], stream=True
        )
    )

    types = [c["type"] for c in second]
    assert "user_message" not in types and "tool_submit_required" not in types
    assert types[-1] == "run_ended" and second[-1]["status"] == "completed"
    assert {c["run_id"] for c in second} == {pause["run_id"]}
    assert f"get_weather said: {OUTPUT}" in second[-1]["final_content"]


async def test_submit_tool_outputs_simple_finds_the_run_from_the_thread(easel):
    client = client_for(easel)
    paused = await paused_turn(client)

    done = await client.submit_tool_outputs_simple(paused.thread_id, [output_for(paused.tool_calls[0])])

    assert done.status == "COMPLETED"
    assert f"get_weather said: {OUTPUT}" in done.content


async def test_submit_tool_outputs_simple_streams_the_continuation(easel):
    client = client_for(easel)
    paused = await paused_turn(client)

    chunks = await collect(
        await client.submit_tool_outputs_simple(paused.thread_id, [output_for(paused.tool_calls[0])], stream=True)
    )

    assert chunks[-1]["type"] == "run_ended"
    streamed = "".join(c["content"] for c in chunks if c["type"] == "content_streaming")
    assert streamed == chunks[-1]["final_content"] and OUTPUT in streamed


async def test_an_image_and_the_callers_tool_in_one_step_give_one_image_and_one_pause(easel):
    client = client_for(easel)
    ask = "Draw a picture of a lighthouse at dusk, and use get_weather with city: Brest"
    paused = await client.send_message(ask, tools=[WEATHER], **IMAGE_FIELDS)

    assert paused.status == "REQUIRES_ACTION"
    assert [c.function.name for c in paused.tool_calls] == ["get_weather"], "never generate_image"
    [media] = paused.generated_media
    image = fetch_image(media["url"])
    assert image.size == (media["width"], media["height"]) and image.getbbox() is not None

    done = await client.submit_tool_outputs(paused.thread_id, paused.run_id, [output_for(paused.tool_calls[0])])

    assert done.status == "COMPLETED" and OUTPUT in done.content
    headers = {"X-API-Key": easel.api_key}
    thread = httpx.get(f"{easel.api_url}/threads/{paused.thread_id}", headers=headers).json()
    roles = [(m["role"], (m["metadata_"] or {}).get("tool_name")) for m in thread["messages"]]
    assert roles == [
        ("user", None),
        ("assistant", None),
        ("tool", "generate_image"),
        ("tool", "get_weather"),
        ("assistant", None),
    ]
    images = [media for m in thread["messages"] for media in m.get("generated_media") or []]
    assert [i["document_id"] for i in images] == [media["document_id"]], "one image, made once"


async def test_an_assistants_tools_are_offered_and_a_turns_tools_replace_them(easel):
    client = client_for(easel)
    assistant = await client.create_assistant(name=f"weather-{uuid.uuid4().hex[:6]}", tools=[WEATHER])

    paused = await client.send_message(ASK, assistant_id=assistant.assistant_id)
    assert paused.status == "REQUIRES_ACTION"
    assert paused.tool_calls[0].function.name == "get_weather"

    other = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
    answered = await client.send_message(ASK, assistant_id=assistant.assistant_id, tools=[other])
    assert answered.status == "COMPLETED", "the turn's tools replace the assistant's"


async def test_a_new_turn_on_a_thread_with_a_waiting_run_is_refused_naming_the_run(easel):
    paused = await paused_turn(client_for(easel))

    response = httpx.post(
        f"{easel.api_url}/threads/messages",
        json={"content": "hello again", "thread_id": str(paused.thread_id)},
        headers={"X-API-Key": easel.api_key},
    )

    assert response.status_code == 409
    assert paused.run_id in response.json()["detail"]


async def test_a_second_submit_is_refused_and_changes_nothing(easel):
    client = client_for(easel)
    paused = await paused_turn(client)
    await client.submit_tool_outputs(paused.thread_id, paused.run_id, [output_for(paused.tool_calls[0])])
    url = f"{easel.api_url}/threads/{paused.thread_id}/runs/{paused.run_id}/submit-tool-outputs"
    headers = {"X-API-Key": easel.api_key}
    before = len(httpx.get(f"{easel.api_url}/threads/{paused.thread_id}", headers=headers).json()["messages"])

    again = httpx.post(url, json={"tool_outputs": [output_for(paused.tool_calls[0])]}, headers=headers)

    assert again.status_code == 409 and "not waiting" in again.json()["detail"]
    after = len(httpx.get(f"{easel.api_url}/threads/{paused.thread_id}", headers=headers).json()["messages"])
    assert after == before


async def test_another_projects_run_is_not_found(easel):
    paused = await paused_turn(client_for(easel))
    url = f"{easel.api_url}/threads/{paused.thread_id}/runs/{paused.run_id}/submit-tool-outputs"

    response = httpx.post(
        url, json={"tool_outputs": [output_for(paused.tool_calls[0])]}, headers={"X-API-Key": easel.other_api_key}
    )

    assert response.status_code == 404


@pytest.fixture(scope="module")
def impatient_easel(tmp_path_factory):
    """Waiting runs expire after a second, and the embedded sweeper looks twice a second."""
    live = LiveEasel(
        tmp_path_factory.mktemp("impatient"),
        env_overrides={"EASEL_TOOL_OUTPUT_TIMEOUT": "1", "EASEL_SWEEP_INTERVAL": "0.3"},
    )
    yield live
    live.stop()


async def test_a_run_nobody_answers_expires_with_a_run_expired_event(impatient_easel):
    easel = impatient_easel
    client = client_for(easel)
    first = await collect(await client.send_message(ASK, tools=[WEATHER], stream=True))
    pause = first[-1]
    headers = {"X-API-Key": easel.api_key}
    events_url = f"{easel.api_url}/threads/{pause['thread_id']}/runs/{pause['run_id']}/events"

    with httpx.stream("GET", events_url, params={"after": pause["event_id"]}, headers=headers, timeout=30) as r:
        frames = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]

    assert frames[-1]["type"] == "run_failed" and frames[-1]["error_kind"] == "run_expired"
    late = httpx.post(
        f"{events_url.rsplit('/', 1)[0]}/submit-tool-outputs",
        json={"tool_outputs": [output_for(pause["tool_calls"][0])]},
        headers=headers,
    )
    assert late.status_code == 409
    again = await client.send_message("hello after the expiry", thread_id=pause["thread_id"])
    assert again.status == "COMPLETED", "an expired run frees its thread, and its unanswered call is left out"
