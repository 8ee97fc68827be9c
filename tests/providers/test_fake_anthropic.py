"""The Anthropic fake speaks the Messages API well enough for the official SDK to parse it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import pytest

from tests.fakes.anthropic import FakeAnthropic
from tests.providers.kit import (
    API_KEY,
    DOCUMENT_ID,
    png,
    running,
    serve_from_command_line,
)

MODEL = "claude-opus-4-6"
TOOLS: list[Any] = [
    {
        "name": "generate_image",
        "description": "Create or edit an image",
        "input_schema": {"type": "object", "properties": {"prompt": {"type": "string"}}, "required": ["prompt"]},
    }
]


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    yield from running(FakeAnthropic())


@pytest.fixture
def client(fake: FakeAnthropic) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=fake.origin, api_key=API_KEY, max_retries=0) as sdk:
        yield sdk


def ask(client: anthropic.Anthropic, text: str, **kwargs: Any) -> Any:
    return client.messages.create(model=MODEL, max_tokens=256, messages=[{"role": "user", "content": text}], **kwargs)


def stream_hello(client: anthropic.Anthropic) -> Any:
    """Stream a reply to "hello" to its end and return the SDK's final message."""
    with client.messages.stream(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hello"}]) as stream:
        list(stream)
        return stream.get_final_message()


def test_streaming_with_tools_yields_sdk_events_and_assembles_the_tool_input(client: anthropic.Anthropic) -> None:
    request = f"Draw a red fox in the snow, edit {DOCUMENT_ID}"
    with client.messages.stream(
        model=MODEL, max_tokens=256, tools=TOOLS, messages=[{"role": "user", "content": request}]
    ) as stream:
        event_types = [event.type for event in stream]
        message = stream.get_final_message()

    assert event_types[0] == "message_start" and event_types[-1] == "message_stop"
    assert event_types.count("input_json") >= 3  # the arguments arrived in pieces
    assert message.stop_reason == "tool_use"
    (tool_use,) = message.content
    assert tool_use.type == "tool_use" and tool_use.name == "generate_image"
    assert tool_use.id.startswith("toolu_01")
    assert tool_use.input == {"prompt": request, "input_image_document_id": DOCUMENT_ID}


def test_streamed_text_reaches_the_sdk_text_stream_with_usage(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "hello there"}]
    ) as stream:
        pieces = list(stream.text_stream)
        message = stream.get_final_message()

    assert len(pieces) > 1
    assert "".join(pieces) == message.content[0].text == "You said: hello there. How can I help with images today?"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 1


def test_a_tool_result_turn_is_answered_with_the_closing_text(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model=MODEL,
        max_tokens=256,
        tools=TOOLS,
        messages=[
            {"role": "user", "content": "Draw a fox"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "toolu_1", "name": "generate_image", "input": {"prompt": "fox"}}
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": '{"status":"ok"}'}],
            },
        ],
    )

    assert message.content[0].text == "Here is your image."
    assert message.stop_reason == "end_turn"


def test_non_streaming_responses_carry_request_id_and_rate_limit_headers(client: anthropic.Anthropic) -> None:
    raw = client.messages.with_raw_response.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    )

    assert raw.headers["request-id"].startswith("req_01")
    assert int(raw.headers["anthropic-ratelimit-requests-remaining"]) > 0
    assert raw.headers["anthropic-ratelimit-tokens-reset"].endswith("Z")
    assert raw.parse().content[0].text.startswith("You said: hi")


def test_scripted_replies_are_served_in_order_from_process_and_http(
    fake: FakeAnthropic, client: anthropic.Anthropic
) -> None:
    fake.script([{"text": "first, as scripted"}])
    scripted_call = {"tool_calls": [{"name": "generate_image", "arguments": {"prompt": "a cube"}}], "stop": "tool_use"}
    httpx2.post(f"{fake.origin}/__fake__/script", json=[scripted_call]).raise_for_status()

    first, second, third = (ask(client, "hello", tools=TOOLS) for _ in range(3))

    assert first.content[0].text == "first, as scripted"
    assert second.content[0].input == {"prompt": "a cube"}
    assert third.content[0].text.startswith("You said: hello")  # queue empty: agent mode again


@pytest.mark.parametrize(
    ("status", "exception", "error_type"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_each_error_status_raises_the_sdk_exception_for_it(
    fake: FakeAnthropic, client: anthropic.Anthropic, status: int, exception: type[Exception], error_type: str
) -> None:
    fake.faults.update(status=status, retry_after=7)

    with pytest.raises(exception) as caught:
        ask(client, "hello")

    error = caught.value
    assert isinstance(error, anthropic.APIStatusError) and error.status_code == status
    assert isinstance(error.body, dict) and error.body["error"]["type"] == error_type
    assert error.response.headers["request-id"] == error.body["request_id"]
    assert error.response.headers["x-should-retry"] == ("false" if status < 429 else "true")
    assert error.response.headers.get("retry-after") == ("7" if status == 429 else None)


def test_the_sdk_retry_succeeds_when_only_the_first_request_fails(fake: FakeAnthropic) -> None:
    fake.faults.update(status=429, retry_after=0.05, fail_first=1)
    with anthropic.Anthropic(base_url=fake.origin, api_key=API_KEY, max_retries=1) as sdk:
        message = ask(sdk, "hello")

    assert message.content[0].text.startswith("You said: hello")
    assert len(fake.requests) == 2


def test_a_mid_stream_error_event_raises_in_the_sdk(fake: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake.faults.update(stream_error="overloaded_error", after=3)

    with pytest.raises(anthropic.APIStatusError, match="overloaded_error"):
        stream_hello(client)
    assert fake.wait_for_outcome() == "error_event"


def test_a_malformed_event_breaks_the_sdk_stream(fake: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake.faults.update(malformed=True, after=2)

    with pytest.raises(ValueError):  # json.JSONDecodeError inside the SDK's event parsing
        stream_hello(client)


def test_a_dropped_connection_breaks_the_sdk_stream(fake: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake.faults.update(drop=True, after=2)

    with pytest.raises((anthropic.APIConnectionError, httpx2.TransportError)):
        stream_hello(client)
    assert fake.wait_for_outcome() == "dropped"


def test_a_delay_before_headers_times_the_sdk_out(fake: FakeAnthropic) -> None:
    fake.faults.update(delay=1.0)
    sdk = anthropic.Anthropic(base_url=fake.origin, api_key=API_KEY, max_retries=0, timeout=0.2)

    with pytest.raises(anthropic.APITimeoutError):
        ask(sdk, "hello")


def test_the_safety_switch_ends_the_message_with_a_refusal(fake: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake.faults.update(safety=True)

    message = stream_hello(client)

    assert message.stop_reason == "refusal" and message.content == []


def test_a_tool_use_without_a_following_tool_result_is_rejected(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="without `tool_result` blocks"):
        client.messages.create(
            model=MODEL,
            max_tokens=64,
            messages=[
                {"role": "user", "content": "Draw a fox"},
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "toolu_9", "name": "generate_image", "input": {}}],
                },
                {"role": "user", "content": "and now?"},
            ],
        )


def test_an_image_whose_bytes_do_not_match_its_media_type_is_rejected(client: anthropic.Anthropic) -> None:
    image = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/jpeg", "data": base64.b64encode(png()).decode()},
    }

    with pytest.raises(anthropic.BadRequestError, match="does not match the provided media type"):
        client.messages.create(
            model=MODEL,
            max_tokens=64,
            messages=[{"role": "user", "content": [image, {"type": "text", "text": "what is it?"}]}],
        )


def test_a_request_without_credentials_gets_an_authentication_error(fake: FakeAnthropic) -> None:
    response = httpx2.post(
        f"{fake.origin}/v1/messages",
        json={"model": MODEL, "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]},
    )

    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


def test_the_fake_serves_from_the_command_line() -> None:
    process, origin = serve_from_command_line("tests.fakes.anthropic")
    try:
        with anthropic.Anthropic(base_url=origin, api_key=API_KEY, max_retries=0) as sdk:
            message = ask(sdk, "hello from a subprocess")
        assert message.content[0].text.startswith("You said: hello from a subprocess")
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_a_callers_own_tool_named_by_the_user_is_called_and_its_output_relayed(client: anthropic.Anthropic) -> None:
    weather = {
        "name": "get_weather",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
    messages: list = [{"role": "user", "content": "use get_weather for Oslo"}]
    with client.messages.stream(model=MODEL, max_tokens=256, tools=[weather], messages=messages) as stream:
        message = stream.get_final_message()

    assert message.stop_reason == "tool_use"
    (use,) = [b for b in message.content if b.type == "tool_use"]
    assert use.name == "get_weather" and use.input == {"city": "use get_weather for Oslo"}
    messages += [
        {"role": "assistant", "content": [b.model_dump() for b in message.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "Snow, -3 C"}]},
    ]
    answer = client.messages.create(model=MODEL, max_tokens=256, tools=[weather], messages=messages)
    assert answer.content[0].text == "The tool said: Snow, -3 C"
