"""AnthropicChat against the fake Messages API over real HTTP: the stream contract and every fault."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.anthropic import FakeAnthropic
from tests.providers.kit import (
    API_KEY,
    DOCUMENT_ID,
    IMAGE_TOOL,
    assert_ends_with_usage_and_one_finished,
    calls_of,
    fast_settings,
    png,
    running,
    text_of,
    timed,
)
from workers.providers.anthropic import AnthropicChat
from workers.providers.base import (
    ChatMessage,
    ChatRequest,
    Finished,
    LLMEvent,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolCallStarted,
)

MODEL = "claude-opus-4-6"


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    yield from running(FakeAnthropic())


@pytest.fixture
def chat(fake: FakeAnthropic) -> AnthropicChat:
    return AnthropicChat(fast_settings(fake.origin))


def ask(text: str, *, tools: tuple[dict[str, Any], ...] = (IMAGE_TOOL,)) -> ChatRequest:
    return ChatRequest(model=MODEL, messages=(ChatMessage("user", text),), tools=tools)


def run(chat: AnthropicChat, request: ChatRequest) -> list[LLMEvent]:
    return list(chat.stream(request))


def failure(chat: AnthropicChat, request: ChatRequest) -> tuple[ProviderError, float, list[LLMEvent]]:
    """The ProviderError a stream ends with, the seconds it took, and the events before it."""
    events: list[LLMEvent] = []
    error, seconds = timed(lambda: events.extend(chat.stream(request)))
    assert isinstance(error, ProviderError), f"expected a ProviderError, got {error!r}"
    return error, seconds, events


# --- the stream contract -----------------------------------------------------------------------


def test_text_streams_as_several_deltas_then_usage_then_one_finished(chat: AnthropicChat) -> None:
    events = run(chat, ask("hello there", tools=()))

    assert sum(isinstance(e, TextDelta) for e in events) > 1
    assert text_of(events) == "You said: hello there. How can I help with images today?"
    assert_ends_with_usage_and_one_finished(events, "stop")


def test_a_tool_call_is_started_then_ready_with_the_assembled_arguments(chat: AnthropicChat) -> None:
    request_text = f"Draw a fox like {DOCUMENT_ID}"

    events = run(chat, ask(request_text))

    started, ready = events[0], events[1]
    assert isinstance(started, ToolCallStarted) and isinstance(ready, ToolCallReady)
    assert started.id == ready.call.id and started.id.startswith("toolu_01")
    assert ready.call.name == "generate_image"
    assert json.loads(ready.call.arguments) == {"prompt": request_text, "input_image_document_id": DOCUMENT_ID}
    assert_ends_with_usage_and_one_finished(events, "tool_calls")


def test_a_tool_call_without_arguments_reports_an_empty_json_object(fake: FakeAnthropic, chat: AnthropicChat) -> None:
    fake.script([{"tool_calls": [{"name": "generate_image", "arguments": {}}]}])

    (call,) = calls_of(run(chat, ask("draw")))

    assert call.arguments == "{}"


def test_usage_reports_the_tokens_the_api_counted(fake: FakeAnthropic, chat: AnthropicChat) -> None:
    events = run(chat, ask("hello", tools=()))

    usage = events[-2]
    sent = fake.json_bodies()[0]
    assert usage.output_tokens > 1  # from message_delta, not the 1 of message_start
    assert (
        usage.input_tokens
        == len(json.dumps([sent.get("system"), sent["messages"], sent.get("tools")], separators=(",", ":"))) // 4
    )


@pytest.mark.parametrize(
    ("stop", "reason"), [("max_tokens", "length"), ("stop_sequence", "stop"), ("refusal", "content_filter")]
)
def test_stop_reasons_map_to_neutral_finish_reasons(
    fake: FakeAnthropic, chat: AnthropicChat, stop: str, reason: str
) -> None:
    fake.script([{"text": "partial", "stop": stop}])

    assert run(chat, ask("hello"))[-1] == Finished(reason)


def test_the_safety_switch_ends_the_step_as_content_filter(fake: FakeAnthropic, chat: AnthropicChat) -> None:
    fake.faults.update(safety=True)

    events = run(chat, ask("hello"))

    assert events[-1] == Finished("content_filter") and text_of(events) == ""


# --- the request on the wire -------------------------------------------------------------------


def test_history_is_sent_in_the_messages_api_shape(fake: FakeAnthropic, chat: AnthropicChat) -> None:
    picture = png()
    first = ToolCall("toolu_a", "generate_image", '{"prompt": "a fox"}')
    second = ToolCall("toolu_b", "generate_image", "")
    history = (
        ChatMessage("system", "You draw."),
        ChatMessage("system", "Images so far: none."),
        ChatMessage("user", "Here is a photo", images=(("image/png", picture),)),
        ChatMessage("user", "draw two foxes"),
        ChatMessage("assistant", "Drawing both.", tool_calls=(first, second)),
        ChatMessage("tool", '{"status": "ok"}', tool_call_id="toolu_a", name="generate_image"),
        ChatMessage("tool", '{"status": "failed"}', tool_call_id="toolu_b", name="generate_image"),
        ChatMessage("user", "thanks"),
    )

    # As the pipeline does: request.system is the first system turn only.
    events = run(chat, ChatRequest(model=MODEL, messages=history, tools=(IMAGE_TOOL,), system="You draw."))

    assert events[-1] == Finished("stop")  # the fake accepted the history (it rejects bad pairing)
    (record,) = fake.requests
    assert record["path"] == "/v1/messages"
    assert record["headers"]["x-api-key"] == API_KEY and record["headers"]["anthropic-version"] == "2023-06-01"
    body = record["json"]
    assert body["system"] == "You draw.\n\nImages so far: none." and body["max_tokens"] > 0 and body["stream"] is True
    assert body["tools"] == [
        {
            "name": "generate_image",
            "description": "Create or edit an image",
            "input_schema": IMAGE_TOOL["function"]["parameters"],
        }
    ]
    image_source = {"type": "base64", "media_type": "image/png", "data": base64.b64encode(picture).decode()}
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "image", "source": image_source},
                {"type": "text", "text": "Here is a photo"},
                {"type": "text", "text": "draw two foxes"},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Drawing both."},
                {"type": "tool_use", "id": "toolu_a", "name": "generate_image", "input": {"prompt": "a fox"}},
                {"type": "tool_use", "id": "toolu_b", "name": "generate_image", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_a", "content": '{"status": "ok"}'},
                {"type": "tool_result", "tool_use_id": "toolu_b", "content": '{"status": "failed"}'},
                {"type": "text", "text": "thanks"},
            ],
        },
    ]


def test_a_tool_result_turn_gets_the_closing_text(chat: AnthropicChat) -> None:
    call = ToolCall("toolu_x", "generate_image", '{"prompt": "fox"}')
    history = (
        ChatMessage("user", "draw a fox"),
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", '{"status": "ok"}', tool_call_id="toolu_x", name="generate_image"),
    )

    events = run(chat, ChatRequest(model=MODEL, messages=history, tools=(IMAGE_TOOL,)))

    assert text_of(events) == "Here is your image."


# --- faults ------------------------------------------------------------------------------------


def test_a_rate_limit_is_retried_after_the_advertised_delay_then_succeeds(fake: FakeAnthropic) -> None:
    fake.faults.update(status=429, retry_after=0.3, fail_first=1)
    # http.py caps retry-after at 4 x backoff_max, so give it room above 0.3 s.
    chat = AnthropicChat(fast_settings(fake.origin, backoff_max=1.0))

    events, seconds = timed(lambda: run(chat, ask("hello")))

    assert isinstance(events, list) and events[-1] == Finished("stop")
    assert len(fake.requests) == 2
    assert 0.3 <= seconds < 1.5  # waited for retry-after, not the 0.01 s backoff


@pytest.mark.parametrize("status", [500, 529])
def test_server_errors_are_retried_then_fail_as_transient(
    fake: FakeAnthropic, chat: AnthropicChat, status: int
) -> None:
    fake.faults.update(status=status)

    error, _, _ = failure(chat, ask("hello"))

    assert (error.kind, error.permanent, error.status_code) == ("server_error", False, status)
    assert len(fake.requests) == 3  # the first try and max_retries=2
    if status == 529:
        assert "overloaded_error" in error.message


@pytest.mark.parametrize(("status", "kind"), [(400, "bad_request"), (401, "auth"), (403, "auth")])
def test_client_errors_are_permanent_and_not_retried(
    fake: FakeAnthropic, chat: AnthropicChat, status: int, kind: str
) -> None:
    fake.faults.update(status=status)

    error, _, _ = failure(chat, ask("hello"))

    assert (error.kind, error.permanent) == (kind, True)
    assert len(fake.requests) == 1
    assert API_KEY not in str(error)


def test_a_request_the_api_rejects_surfaces_its_message(chat: AnthropicChat) -> None:
    history = (ChatMessage("tool", '{"status": "ok"}', tool_call_id="toolu_orphan", name="generate_image"),)

    error, _, _ = failure(chat, ChatRequest(model=MODEL, messages=history))

    assert error.kind == "bad_request" and "unexpected `tool_use_id`" in error.message


def test_no_headers_before_the_read_timeout_ends_with_kind_timeout_in_bounded_time(fake: FakeAnthropic) -> None:
    fake.faults.update(delay=3)
    chat = AnthropicChat(fast_settings(fake.origin, read_timeout=0.2, max_retries=1))

    error, seconds, _ = failure(chat, ask("hello"))

    assert error.kind == "timeout"
    assert seconds < 1.0  # two tries of 0.2 s plus backoff, far below the 3 s delay
    assert len(fake.requests) == 2


def test_a_stall_mid_stream_ends_with_kind_timeout_after_the_first_events(
    fake: FakeAnthropic, chat: AnthropicChat
) -> None:
    fake.faults.update(stall=3, after=4)

    error, seconds, events = failure(chat, ask("hello there", tools=()))

    assert error.kind == "timeout" and seconds < 1.0
    assert text_of(events).startswith("You said") and not any(isinstance(e, Finished) for e in events)


def test_a_dropped_connection_mid_stream_is_a_connection_error(fake: FakeAnthropic, chat: AnthropicChat) -> None:
    fake.faults.update(drop=True, after=4)

    error, _, events = failure(chat, ask("hello there", tools=()))

    assert error.kind == "connection" and not error.permanent
    assert fake.wait_for_outcome() == "dropped"
    assert not any(isinstance(e, Finished) for e in events)


def test_a_malformed_event_is_a_permanent_malformed_response(fake: FakeAnthropic, chat: AnthropicChat) -> None:
    fake.faults.update(malformed=True, after=3)

    error, _, _ = failure(chat, ask("hello there", tools=()))

    assert (error.kind, error.permanent) == ("malformed_response", True)


@pytest.mark.parametrize(
    ("error_type", "kind", "permanent"),
    [
        ("overloaded_error", "server_error", False),
        ("rate_limit_error", "rate_limited", False),
        ("invalid_request_error", "bad_request", True),
    ],
)
def test_a_mid_stream_error_event_becomes_a_provider_error(
    fake: FakeAnthropic, chat: AnthropicChat, error_type: str, kind: str, permanent: bool
) -> None:
    fake.faults.update(stream_error=error_type, after=3)

    error, _, events = failure(chat, ask("hello there", tools=()))

    assert (error.kind, error.permanent) == (kind, permanent) and error_type in error.message
    assert len(fake.requests) == 1  # the stream had started: not retried here
    assert not any(isinstance(e, Finished) for e in events)


def test_cancellation_stops_reading_and_closes_the_stream(fake: FakeAnthropic, chat: AnthropicChat) -> None:
    fake.script([{"text": "word " * 200}])
    fake.faults.update(pace=0.02)
    seen: list[LLMEvent] = []

    for event in chat.stream(ask("hello"), cancelled=lambda: len(seen) >= 2):
        seen.append(event)

    assert len(seen) == 2 and all(isinstance(e, TextDelta) for e in seen)
    assert fake.wait_for_outcome() == "client_closed"  # the server saw us hang up


def test_cancelled_before_the_call_sends_nothing(fake: FakeAnthropic, chat: AnthropicChat) -> None:
    assert list(chat.stream(ask("hello"), cancelled=lambda: True)) == []
    assert fake.requests == []
