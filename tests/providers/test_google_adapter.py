"""GeminiChat and GeminiImages against the fake Gemini API over real HTTP, faults included."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.gemini import FakeGemini
from tests.providers.kit import (
    API_KEY,
    DOCUMENT_ID,
    IMAGE_TOOL,
    assert_ends_with_usage_and_one_finished,
    calls_of,
    fast_settings,
    image_size,
    png,
    running,
    text_of,
    timed,
)
from workers.providers.base import (
    ChatMessage,
    ChatRequest,
    ContentPolicyError,
    Finished,
    ImageRequest,
    InputImage,
    LLMEvent,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolCallStarted,
)
from workers.providers.google import SKIP_SIGNATURE, SYNTHETIC_ID_PREFIX, GeminiChat, GeminiImages

CHAT_MODEL = "gemini-3-flash-preview"  # a Gemini 3 model: the fake then demands thought signatures
IMAGE_MODEL = "gemini-2.5-flash-image"


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    yield from running(FakeGemini())


@pytest.fixture
def chat(fake: FakeGemini) -> GeminiChat:
    return GeminiChat(fast_settings(fake.origin))


@pytest.fixture
def images(fake: FakeGemini) -> GeminiImages:
    return GeminiImages(fast_settings(fake.origin))


def ask(text: str, *, tools: tuple[dict[str, Any], ...] = (IMAGE_TOOL,)) -> ChatRequest:
    return ChatRequest(model=CHAT_MODEL, messages=(ChatMessage("user", text),), tools=tools)


def draw(prompt: str = "a red fox in the snow", **fields: Any) -> ImageRequest:
    return ImageRequest(model=IMAGE_MODEL, prompt=prompt, **fields)


def failure(action: Any) -> tuple[ProviderError, float]:
    """The ProviderError an action raises and the seconds it took."""
    error, seconds = timed(action)
    assert isinstance(error, ProviderError), f"expected a ProviderError, got {error!r}"
    return error, seconds


def chat_failure(chat: GeminiChat, request: ChatRequest) -> tuple[ProviderError, float, list[LLMEvent]]:
    events: list[LLMEvent] = []
    error, seconds = failure(lambda: events.extend(chat.stream(request)))
    return error, seconds, events


def generation_config(fake: FakeGemini, index: int = -1) -> dict[str, Any]:
    return fake.json_bodies()[index]["generationConfig"]


# --- chat: the stream contract -----------------------------------------------------------------


def test_text_streams_as_several_deltas_then_usage_then_one_finished(chat: GeminiChat) -> None:
    events = list(chat.stream(ask("hello there", tools=())))

    assert sum(isinstance(e, TextDelta) for e in events) > 1
    assert text_of(events) == "You said: hello there. How can I help with images today?"
    assert_ends_with_usage_and_one_finished(events, "stop")
    assert events[-2].output_tokens > 0


def test_a_function_call_gets_a_synthesized_id_and_json_arguments(chat: GeminiChat) -> None:
    request_text = f"edit {DOCUMENT_ID} and make it blue"

    events = list(chat.stream(ask(request_text)))

    started, ready = events[0], events[1]
    assert isinstance(started, ToolCallStarted) and isinstance(ready, ToolCallReady)
    assert started.id == ready.call.id and started.id.startswith(SYNTHETIC_ID_PREFIX)
    assert json.loads(ready.call.arguments) == {"prompt": request_text, "input_image_document_id": DOCUMENT_ID}
    assert_ends_with_usage_and_one_finished(events, "tool_calls")


def test_parallel_calls_get_distinct_ids_and_ids_differ_between_responses(fake: FakeGemini, chat: GeminiChat) -> None:
    two_calls = [{"name": "generate_image", "arguments": {"prompt": p}} for p in ("a fox", "a cat")]
    fake.script([{"tool_calls": two_calls}, {"tool_calls": two_calls[:1]}])

    first = calls_of(chat.stream(ask("draw")))
    second = calls_of(chat.stream(ask("draw")))

    ids = [call.id for call in first + second]
    assert len(set(ids)) == 3
    assert [json.loads(call.arguments)["prompt"] for call in first] == ["a fox", "a cat"]


def test_ids_that_gemini_supplies_are_kept_and_echoed_back(fake: FakeGemini, chat: GeminiChat) -> None:
    fake.script(
        [{"tool_calls": [{"name": "generate_image", "arguments": {"prompt": "fox"}, "id": "call-from-gemini"}]}]
    )
    (call,) = calls_of(chat.stream(ask("draw a fox")))
    history = (
        ChatMessage("user", "draw a fox"),
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", '{"status": "ok"}', tool_call_id=call.id, name=call.name),
    )

    list(chat.stream(ChatRequest(model=CHAT_MODEL, messages=history, tools=(IMAGE_TOOL,))))

    model_turn, tool_turn = fake.json_bodies()[-1]["contents"][1:]
    assert call.id == "call-from-gemini"
    assert model_turn["parts"][0]["functionCall"]["id"] == "call-from-gemini"
    assert tool_turn["parts"][0]["functionResponse"]["id"] == "call-from-gemini"


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ({"text": "cut", "stop": "MAX_TOKENS"}, "length"),
        ({"text": "", "stop": "SAFETY"}, "content_filter"),
        ({"text": "x", "stop": "RECITATION"}, "content_filter"),
    ],
)
def test_finish_reasons_map_to_neutral_ones(
    fake: FakeGemini, chat: GeminiChat, script: dict[str, Any], reason: str
) -> None:
    fake.script([script])

    assert list(chat.stream(ask("hello")))[-1] == Finished(reason)


def test_a_blocked_prompt_ends_the_step_as_content_filter(fake: FakeGemini, chat: GeminiChat) -> None:
    fake.faults.update(block_reason="PROHIBITED_CONTENT")

    events = list(chat.stream(ask("hello")))

    assert events[-1] == Finished("content_filter") and text_of(events) == ""


def test_a_malformed_function_call_finish_is_a_malformed_response(fake: FakeGemini, chat: GeminiChat) -> None:
    fake.script([{"text": "", "stop": "MALFORMED_FUNCTION_CALL"}])

    error, _, _ = chat_failure(chat, ask("draw"))

    assert (error.kind, error.permanent) == ("malformed_response", True) and "MALFORMED_FUNCTION_CALL" in error.message


# --- chat: the request on the wire -------------------------------------------------------------


def test_history_is_sent_with_function_call_and_function_response_parts(fake: FakeGemini, chat: GeminiChat) -> None:
    picture = png()
    fox = ToolCall(f"{SYNTHETIC_ID_PREFIX}r1-0", "generate_image", '{"prompt": "a fox"}')
    cat = ToolCall(f"{SYNTHETIC_ID_PREFIX}r1-1", "generate_image", '{"prompt": "a cat"}')
    history = (
        ChatMessage("system", "You draw."),
        ChatMessage("system", "Images so far: none."),
        ChatMessage("user", "like this photo", images=(("image/png", picture),)),
        ChatMessage("assistant", "Drawing.", tool_calls=(fox, cat)),
        # results arrive out of order: they must go back in call order
        ChatMessage("tool", '{"status": "failed"}', tool_call_id=cat.id, name="generate_image"),
        ChatMessage("tool", '{"status": "ok"}', tool_call_id=fox.id),
        ChatMessage("user", "thanks"),
    )

    # As the pipeline does: request.system is the first system turn only.
    request = ChatRequest(model=CHAT_MODEL, messages=history, tools=(IMAGE_TOOL,), system="You draw.")
    events = list(chat.stream(request))

    assert events[-1] == Finished("stop")  # the fake accepted it (it checks counts and signatures)
    (record,) = fake.requests
    assert record["path"] == f"/v1beta/models/{CHAT_MODEL}:streamGenerateContent" and record["query"] == {"alt": "sse"}
    assert record["headers"]["x-goog-api-key"] == API_KEY
    body = record["json"]
    assert body["systemInstruction"] == {"parts": [{"text": "You draw.\n\nImages so far: none."}]}
    assert body["contents"] == [
        {
            "role": "user",
            "parts": [
                {"text": "like this photo"},
                {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(picture).decode()}},
            ],
        },
        {
            "role": "model",
            "parts": [
                {"text": "Drawing."},
                {
                    "functionCall": {"name": "generate_image", "args": {"prompt": "a fox"}},
                    "thoughtSignature": SKIP_SIGNATURE,
                },
                {"functionCall": {"name": "generate_image", "args": {"prompt": "a cat"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "generate_image", "response": {"result": {"status": "ok"}}}},
                {"functionResponse": {"name": "generate_image", "response": {"result": {"status": "failed"}}}},
            ],
        },
        {"role": "user", "parts": [{"text": "thanks"}]},
    ]


def test_tool_schemas_are_reduced_to_the_gemini_subset(fake: FakeGemini, chat: GeminiChat) -> None:
    no_arguments = {
        "type": "function",
        "function": {"name": "list_images", "parameters": {"type": "object", "properties": {}}},
    }

    list(chat.stream(ask("hello", tools=(IMAGE_TOOL, no_arguments))))

    declarations = fake.json_bodies()[0]["tools"][0]["functionDeclarations"]
    assert declarations == [
        {
            "name": "generate_image",
            "description": "Create or edit an image",
            "parameters": {
                "type": "OBJECT",
                "properties": {
                    "prompt": {"type": "STRING", "description": "What to draw"},
                    "input_image_document_id": {"type": "STRING", "nullable": True},
                    "aspect_ratio": {"type": "STRING", "enum": ["1:1", "16:9", "9:16"]},
                },
                "required": ["prompt"],
            },
        },
        {"name": "list_images"},  # Gemini rejects an OBJECT without properties
    ]


def test_a_function_response_turn_gets_the_closing_text(chat: GeminiChat) -> None:
    call = ToolCall(f"{SYNTHETIC_ID_PREFIX}r2-0", "generate_image", '{"prompt": "fox"}')
    history = (
        ChatMessage("user", "draw a fox"),
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", '{"status": "ok"}', tool_call_id=call.id, name="generate_image"),
    )

    events = list(chat.stream(ChatRequest(model=CHAT_MODEL, messages=history, tools=(IMAGE_TOOL,))))

    assert text_of(events) == "Here is your image."


# --- chat: faults ------------------------------------------------------------------------------


def test_a_rate_limit_is_retried_after_the_retry_info_delay_then_succeeds(fake: FakeGemini) -> None:
    fake.faults.update(status=429, retry_after=0.3, fail_first=1)
    chat = GeminiChat(fast_settings(fake.origin, backoff_max=1.0))  # retry-after is capped at 4 x backoff_max

    events, seconds = timed(lambda: list(chat.stream(ask("hello"))))

    assert isinstance(events, list) and events[-1] == Finished("stop")
    assert len(fake.requests) == 2 and 0.3 <= seconds < 1.5


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_then_fail_as_transient(fake: FakeGemini, chat: GeminiChat, status: int) -> None:
    fake.faults.update(status=status)

    error, _, _ = chat_failure(chat, ask("hello"))

    assert (error.kind, error.permanent, error.status_code) == ("server_error", False, status)
    assert len(fake.requests) == 3


@pytest.mark.parametrize(("status", "kind"), [(400, "bad_request"), (403, "auth")])
def test_client_errors_are_permanent_and_not_retried(
    fake: FakeGemini, chat: GeminiChat, status: int, kind: str
) -> None:
    fake.faults.update(status=status)

    error, _, _ = chat_failure(chat, ask("hello"))

    assert (error.kind, error.permanent) == (kind, True) and len(fake.requests) == 1
    assert API_KEY not in str(error)


def test_no_headers_before_the_read_timeout_ends_with_kind_timeout_in_bounded_time(fake: FakeGemini) -> None:
    fake.faults.update(delay=3)
    chat = GeminiChat(fast_settings(fake.origin, read_timeout=0.2, max_retries=1))

    error, seconds, _ = chat_failure(chat, ask("hello"))

    assert error.kind == "timeout" and seconds < 1.0 and len(fake.requests) == 2


def test_a_stall_mid_stream_ends_with_kind_timeout(fake: FakeGemini, chat: GeminiChat) -> None:
    fake.faults.update(stall=3, after=1)

    error, seconds, events = chat_failure(chat, ask("hello there", tools=()))

    assert error.kind == "timeout" and seconds < 1.0
    assert text_of(events) == "You said: hello "


def test_a_dropped_connection_mid_stream_is_a_connection_error(fake: FakeGemini, chat: GeminiChat) -> None:
    fake.faults.update(drop=True, after=2)

    error, _, events = chat_failure(chat, ask("hello there", tools=()))

    assert error.kind == "connection" and fake.wait_for_outcome() == "dropped"
    assert not any(isinstance(e, Finished) for e in events)


def test_a_malformed_chunk_is_a_permanent_malformed_response(fake: FakeGemini, chat: GeminiChat) -> None:
    fake.faults.update(malformed=True, after=1)

    error, _, _ = chat_failure(chat, ask("hello there", tools=()))

    assert (error.kind, error.permanent) == ("malformed_response", True)


def test_an_error_chunk_mid_stream_becomes_a_transient_provider_error(fake: FakeGemini, chat: GeminiChat) -> None:
    fake.faults.update(stream_error="UNAVAILABLE", after=1)

    error, _, events = chat_failure(chat, ask("hello there", tools=()))

    assert (error.kind, error.permanent, error.status_code) == ("server_error", False, 503)
    assert "UNAVAILABLE" in error.message and text_of(events) == "You said: hello "


def test_cancellation_stops_reading_and_closes_the_stream(fake: FakeGemini, chat: GeminiChat) -> None:
    fake.script([{"text": "word " * 300}])
    fake.faults.update(pace=0.02)
    seen: list[LLMEvent] = []

    for event in chat.stream(ask("hello"), cancelled=lambda: len(seen) >= 2):
        seen.append(event)

    assert len(seen) == 2 and all(isinstance(e, TextDelta) for e in seen)
    assert fake.wait_for_outcome() == "client_closed"


# --- images ------------------------------------------------------------------------------------


def test_an_image_is_generated_at_the_configured_aspect_and_resolution(fake: FakeGemini, images: GeminiImages) -> None:
    (result,) = images.generate(draw(config={"aspect_ratio": "16:9", "resolution": "2k"}))

    assert result.mime_type == "image/png" and image_size(result.data) == (2688, 1536)
    record = fake.requests[0]
    assert record["path"] == f"/v1beta/models/{IMAGE_MODEL}:generateContent"
    assert record["json"]["contents"] == [{"role": "user", "parts": [{"text": "a red fox in the snow"}]}]
    config = generation_config(fake)
    assert isinstance(config.pop("seed"), int), "every image gets a seed, recorded on its result"
    assert config == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"},
    }
    assert result.seed is not None


@pytest.mark.parametrize(
    ("fields", "image_config"),
    [
        ({"aspect_ratio_hint": "9:16", "size_hint": "2048x2048"}, {"aspectRatio": "9:16", "imageSize": "2K"}),
        ({"config": {"aspect_ratio": "1:1"}, "aspect_ratio_hint": "9:16"}, {"aspectRatio": "1:1"}),
        ({"config": {"size": "1536x1024"}}, {"aspectRatio": "3:2", "imageSize": "1K"}),
        ({"aspect_ratio_hint": "2:1"}, {"aspectRatio": "16:9"}),  # the nearest supported ratio
        ({"config": {"aspect_ratio": "1:4", "resolution": "0.5k"}}, {"aspectRatio": "1:4", "imageSize": "0.5K"}),
        ({"config": {"aspect_ratio": "auto"}}, None),
    ],
)
def test_image_config_comes_from_config_first_then_hints(
    fake: FakeGemini, images: GeminiImages, fields: dict[str, Any], image_config: dict[str, str] | None
) -> None:
    images.generate(draw(**fields))

    assert generation_config(fake).get("imageConfig") == image_config


def test_an_edit_sends_the_exact_source_image_bytes(fake: FakeGemini, images: GeminiImages) -> None:
    source = png(31, 17, (200, 10, 10))

    (result,) = images.generate(draw("make the sky purple", input_images=(InputImage(source, "image/png"),)))

    assert fake.received_images() == [("image/png", source)]
    assert fake.json_bodies()[0]["contents"][0]["parts"][0] == {"text": "make the sky purple"}
    assert image_size(result.data) == (1344, 768), "an edit keeps the ratio nearest its input's (16:9)"


def test_n_images_take_one_call_each_with_successive_seeds(fake: FakeGemini, images: GeminiImages) -> None:
    results = images.generate(draw(config={"n": 3, "seed": 40}))

    assert len(results) == 3 and len({r.data for r in results}) == 3
    assert sorted(generation_config(fake, i)["seed"] for i in range(3)) == [40, 41, 42]
    assert [r.seed for r in results] == [40, 41, 42]


def test_interim_thought_images_are_skipped(fake: FakeGemini, images: GeminiImages) -> None:
    fake.script([{"text": "here", "thought_image": True}])

    (result,) = images.generate(draw(config={"resolution": "2K"}))

    assert image_size(result.data) == (2048, 2048)  # the thought image is 1K


@pytest.mark.parametrize(
    "faults", [{"safety": True}, {"safety": "IMAGE_PROHIBITED_CONTENT"}, {"block_reason": "SAFETY"}]
)
def test_safety_blocks_raise_content_policy_error_without_retrying(
    fake: FakeGemini, images: GeminiImages, faults: dict[str, Any]
) -> None:
    fake.faults.update(faults)

    error, _ = failure(lambda: images.generate(draw()))

    assert isinstance(error, ContentPolicyError) and error.permanent
    assert len(fake.requests) == 1
    if faults.get("safety") is True:
        assert "IMAGE_SAFETY" in error.message and "filtered out" in error.message


def test_a_text_only_answer_is_a_permanent_no_image_error(fake: FakeGemini, images: GeminiImages) -> None:
    fake.script([{"text": "I cannot draw that, sorry.", "images": 0}])

    error, _ = failure(lambda: images.generate(draw()))

    assert (error.kind, error.permanent) == ("malformed_response", True)
    assert error.message == "google: model returned no image: I cannot draw that, sorry."


def test_an_image_server_error_is_not_retried_because_it_could_bill_twice(
    fake: FakeGemini, images: GeminiImages
) -> None:
    fake.faults.update(status=503)

    error, _ = failure(lambda: images.generate(draw()))

    assert (error.kind, error.status_code) == ("server_error", 503)
    assert len(fake.requests) == 1


def test_an_image_rate_limit_is_retried_then_succeeds(fake: FakeGemini, images: GeminiImages) -> None:
    fake.faults.update(status=429, retry_after=0.01, fail_first=1)

    (result,) = images.generate(draw())

    assert image_size(result.data) == (1024, 1024) and len(fake.requests) == 2


def test_an_image_read_timeout_is_kind_timeout_and_not_retried(fake: FakeGemini) -> None:
    fake.faults.update(delay=3)
    images = GeminiImages(fast_settings(fake.origin, read_timeout=0.2))

    error, seconds = failure(lambda: images.generate(draw()))

    assert error.kind == "timeout" and seconds < 1.0 and len(fake.requests) == 1


@pytest.mark.parametrize(
    ("faults", "kind"),
    [({"malformed": True}, "malformed_response"), ({"drop": True}, "connection"), ({"stall": 3}, "timeout")],
)
def test_a_broken_image_body_becomes_a_provider_error(
    fake: FakeGemini, images: GeminiImages, faults: dict[str, Any], kind: str
) -> None:
    fake.faults.update(faults)

    error, seconds = failure(lambda: images.generate(draw()))

    assert error.kind == kind and seconds < 1.0


def test_a_cancel_skips_the_images_not_yet_started(fake: FakeGemini, images: GeminiImages) -> None:
    """Variants run four at a time; once cancelled, no further call starts."""
    results = images.generate(draw(config={"n": 8}), cancelled=lambda: len(fake.requests) >= 1)

    assert 1 <= len(results) <= 4 and len(fake.requests) == len(results)


def test_a_cancel_before_the_first_image_makes_no_call(fake: FakeGemini, images: GeminiImages) -> None:
    assert images.generate(draw(config={"n": 3}), cancelled=lambda: True) == [] and not fake.requests


def test_variants_run_at_once_not_one_after_another(fake: FakeGemini) -> None:
    images = GeminiImages(fast_settings(fake.origin, read_timeout=5))
    fake.faults.update(delay=0.4)
    started = time.monotonic()

    results = images.generate(draw(config={"n": 4}))

    assert len(results) == 4 and time.monotonic() - started < 1.2, "four 0.4 s calls took as long as in a row"
