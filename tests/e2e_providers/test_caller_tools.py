"""The caller's own tools with every thread LLM, each vendor played by its fake, in both
topologies, through the official SDK: one step that calls generate_image and the caller's tool
makes the image and pauses; the caller's output reaches the vendor in its own wire format and
the model's answer relays it."""

from __future__ import annotations

import json

import pytest
from backboard import BackboardClient

from tests.e2e_providers.stack import Fakes, logged, script

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city today",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ASK = "Draw a picture of a lighthouse at dusk, and call get_weather for Brest"
OUTPUT = "Fog and 11 C in Brest"
LLMS = {
    "openai": ("gpt-4.1", "/v1/chat/completions"),
    "openrouter": ("openai/gpt-4.1", "/chat/completions"),
    "anthropic": ("claude-sonnet-4-5", "/v1/messages"),
    "google": ("gemini-2.5-flash", ":streamGenerateContent"),
    "vllm": ("qwen3-8b", "/v1/chat/completions"),
}
IMAGE = {
    "image_generation": "auto",
    "image_model_provider": "openrouter",
    "image_model_name": "google/gemini-3.1-flash-image-preview",
}


def llm_calls(fakes: Fakes, provider: str) -> list[dict]:
    fake = {"google": fakes.google}.get(provider) or getattr(fakes, provider)
    records = logged(fake, LLMS[provider][1])
    if provider == "openrouter":  # the image model speaks chat completions on the same fake
        records = [r for r in records if "modalities" not in (r.get("json") or {})]
    return records


@pytest.mark.parametrize("provider", sorted(LLMS))
async def test_an_image_and_the_callers_tool_pause_then_the_output_reaches_the_vendor(easel, fakes, provider):
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)
    model = LLMS[provider][0]

    paused = await client.send_message(ASK, tools=[WEATHER], llm_provider=provider, model_name=model, **IMAGE)

    assert paused.status == "REQUIRES_ACTION", paused
    [call] = paused.tool_calls
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)
    assert len(paused.generated_media) == 1, "generate_image of the same step ran before the pause"
    [first] = llm_calls(fakes, provider)
    assert "get_weather" in json.dumps(first["json"]), "the caller's tool was offered in the vendor's format"

    done = await client.submit_tool_outputs(
        paused.thread_id, paused.run_id, [{"tool_call_id": call.id, "output": OUTPUT}]
    )

    assert done.status == "COMPLETED" and done.run_id == paused.run_id
    assert OUTPUT in done.content, "the model read the caller's output back"
    assert done.model_provider == provider
    _, second = llm_calls(fakes, provider)
    sent = json.dumps(second["json"])
    assert OUTPUT in sent and paused.generated_media[0]["document_id"] in sent, "both results went back"


async def test_arguments_the_model_got_wrong_reach_the_caller_as_written(easel, fakes):
    broken = '{"city": "Brest", "days": 3'  # cut short: not JSON
    script(fakes.openai, {"tool_calls": [{"name": "get_weather", "raw_arguments": broken}]}, {"text": "Noted."})
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)

    paused = await client.send_message(ASK, tools=[WEATHER], llm_provider="openai", model_name="gpt-4.1")

    assert paused.status == "REQUIRES_ACTION"
    [call] = paused.tool_calls
    assert call.function.arguments == broken, "the caller decides what to make of them"
    done = await client.submit_tool_outputs(
        paused.thread_id, paused.run_id, [{"tool_call_id": call.id, "output": "Bad arguments: say them again"}]
    )
    assert done.status == "COMPLETED" and done.content == "Noted."
    _, second = llm_calls(fakes, "openai")
    [echoed] = [m for m in second["json"]["messages"] if m.get("tool_calls")]
    assert echoed["tool_calls"][0]["function"]["arguments"] == broken, "history repeats what the model said"
