"""Every LLM adapter offers the caller's own tools (OpenAI function format, converted for
Anthropic and Gemini) and returns the model's calls of them, against each vendor's fake."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.gemini import FakeGemini
from tests.fakes.openai import FakeOpenAI
from tests.fakes.openrouter import FakeOpenRouter
from tests.fakes.vendor_fake import VendorFakeServer
from tests.providers.kit import IMAGE_TOOL, calls_of, fast_settings, running, text_of
from workers.providers.anthropic import AnthropicChat, convert_messages
from workers.providers.base import ChatMessage, ChatRequest, ToolCall
from workers.providers.google import GeminiChat
from workers.providers.openai import OpenAIChat
from workers.providers.openrouter import OpenRouterChat

WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The city"}},
            "required": ["city"],
        },
    },
}


@dataclass
class Vendor:
    fake: VendorFakeServer
    chat: Any
    model: str
    offered: Callable[[dict[str, Any]], list[dict[str, Any]]]  # the tools a request body offered


VENDORS = {
    "openai": (FakeOpenAI, "/v1", OpenAIChat, "gpt-4o", lambda body: [t["function"] for t in body["tools"]]),
    "openrouter": (
        FakeOpenRouter,
        "/api/v1",
        OpenRouterChat,
        "openai/gpt-4o",
        lambda body: [t["function"] for t in body["tools"]],
    ),
    "anthropic": (FakeAnthropic, "", AnthropicChat, "claude-opus-4-6", lambda body: body["tools"]),
    "gemini": (
        FakeGemini,
        "",
        GeminiChat,
        "gemini-3-flash-preview",
        lambda body: body["tools"][0]["functionDeclarations"],
    ),
}


@pytest.fixture(params=sorted(VENDORS))
def vendor(request) -> Iterator[Vendor]:
    fake_class, path, chat_class, model, offered = VENDORS[request.param]
    for fake in running(fake_class()):
        yield Vendor(fake, chat_class(fast_settings(fake.origin + path)), model, offered)


def ask(vendor: Vendor, *messages: ChatMessage) -> ChatRequest:
    return ChatRequest(model=vendor.model, messages=messages, tools=(IMAGE_TOOL, WEATHER))


def test_the_callers_tool_is_offered_in_the_vendors_format(vendor: Vendor) -> None:
    list(vendor.chat.stream(ask(vendor, ChatMessage("user", "hello"))))

    offered = {tool["name"]: tool for tool in vendor.offered(vendor.fake.json_bodies()[-1])}
    assert set(offered) == {"generate_image", "get_weather"}
    weather = offered["get_weather"]
    assert weather["description"] == "The weather in a city"
    schema = weather.get("parameters") or weather.get("input_schema")
    assert schema["required"] == ["city"]
    assert str(schema["properties"]["city"]["type"]).lower() == "string"


def test_a_call_of_the_callers_tool_comes_back_beside_generate_image(vendor: Vendor) -> None:
    text = "draw a lighthouse, then use get_weather for Brest"

    calls = calls_of(list(vendor.chat.stream(ask(vendor, ChatMessage("user", text)))))

    assert [c.name for c in calls] == ["generate_image", "get_weather"]
    assert json.loads(calls[1].arguments) == {"city": text}
    assert calls[0].id != calls[1].id


def test_the_callers_output_goes_back_and_the_model_relays_it(vendor: Vendor) -> None:
    call = ToolCall("call_w1", "get_weather", '{"city": "Brest"}')
    history = (
        ChatMessage("user", "use get_weather for Brest"),
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", "Drizzle, 12 C", tool_call_id="call_w1", name="get_weather"),
    )

    events = list(vendor.chat.stream(ask(vendor, *history)))

    assert text_of(events) == "The tool said: Drizzle, 12 C"


def test_malformed_arguments_in_history_are_sent_without_crashing() -> None:
    call = ToolCall("toolu_1", "get_weather", '{"city": "Brest"')  # the model's own broken JSON

    turns = convert_messages((ChatMessage("assistant", "", tool_calls=(call,)),))

    assert turns[0]["content"][0]["input"] == {}
