"""OpenAIChat and OpenAIImages against the fake OpenAI over real loopback HTTP."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from PIL import Image

from tests.fakes.openai import FakeOpenAI
from tests.providers.conftest import read_until_cancelled
from tests.providers.kit import (
    API_KEY,
    DOCUMENT_ID,
    IMAGE_TOOL,
    assert_ends_with_usage_and_one_finished,
    calls_of,
    image_size,
    png,
    text_of,
    timed,
)
from workers.providers.base import (
    ChatMessage,
    ChatRequest,
    ContentPolicyError,
    Finished,
    ImagePreview,
    ImageRequest,
    InputImage,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolCallStarted,
)
from workers.providers.http import ProviderSettings
from workers.providers.openai import OpenAIChat, OpenAIImages


def ask(text: str, **fields: object) -> ChatRequest:
    return ChatRequest(model="gpt-4o", messages=(ChatMessage("user", text),), tools=(IMAGE_TOOL,), **fields)  # type: ignore[arg-type]


def sent(fake: FakeOpenAI, suffix: str = "/chat/completions") -> dict:
    """The JSON body of the last request the fake got on that path."""
    return fake.requests_to(suffix)[-1]["json"]


# --- chat: the happy paths ---------------------------------------------------------------------


def test_text_streams_as_deltas_then_usage_then_one_finished(openai_chat: OpenAIChat) -> None:
    events = list(openai_chat.stream(ask("hello there")))
    assert text_of(events) == "You said: hello there. How can I help with images today?"
    assert sum(isinstance(e, TextDelta) for e in events) > 3  # it really streamed
    assert_ends_with_usage_and_one_finished(events, "stop")


def test_a_fragmented_tool_call_is_announced_then_assembled(openai_chat: OpenAIChat) -> None:
    text = f"Edit {DOCUMENT_ID} and make it snowy"
    events = list(openai_chat.stream(ask(text)))
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    (call,) = calls_of(events)
    assert started == [ToolCallStarted(id=call.id, name="generate_image")]
    assert events.index(started[0]) < events.index(ToolCallReady(call))
    assert json.loads(call.arguments) == {"prompt": text, "input_image_document_id": DOCUMENT_ID}
    assert_ends_with_usage_and_one_finished(events, "tool_calls")


def test_parallel_tool_calls_are_ready_in_index_order(openai_fake: FakeOpenAI, openai_chat: OpenAIChat) -> None:
    openai_fake.script_chat(
        [
            {
                "text": "Both:",
                "tool_calls": [
                    {"name": "a", "arguments": {"n": 1}, "id": "call_a"},
                    {"name": "b", "arguments": {"n": 2}, "id": "call_b"},
                ],
            }
        ]
    )
    events = list(openai_chat.stream(ask("two things")))
    assert calls_of(events) == [ToolCall("call_a", "a", '{"n":1}'), ToolCall("call_b", "b", '{"n":2}')]
    assert text_of(events) == "Both:"


def test_the_request_streams_with_usage_bearer_auth_and_the_tools(
    openai_fake: FakeOpenAI, openai_chat: OpenAIChat
) -> None:
    list(openai_chat.stream(ask("hi")))
    record = openai_fake.requests_to("/chat/completions")[-1]
    assert record["headers"]["authorization"] == f"Bearer {API_KEY}"
    body = record["json"]
    assert (body["stream"], body["stream_options"], body["tools"], body["tool_choice"]) == (
        True,
        {"include_usage": True},
        [IMAGE_TOOL],
        "auto",
    )


def test_history_with_tool_results_goes_out_in_the_openai_wire_shape(
    openai_fake: FakeOpenAI, openai_chat: OpenAIChat
) -> None:
    call = ToolCall("call_1", "generate_image", '{"prompt":"fox"}')
    history = (
        ChatMessage("user", "draw a fox"),
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", '{"status":"ok"}', tool_call_id="call_1", name="generate_image"),
    )
    events = list(
        openai_chat.stream(ChatRequest(model="gpt-4o", messages=history, tools=(IMAGE_TOOL,), system="Be brief."))
    )
    assert sent(openai_fake)["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "draw a fox"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "generate_image", "arguments": '{"prompt":"fox"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"status":"ok"}'},
    ]
    assert text_of(events) == "Here is your image."


def test_a_system_message_in_history_is_not_doubled_by_request_system(
    openai_fake: FakeOpenAI, openai_chat: OpenAIChat
) -> None:
    history = (ChatMessage("system", "From history."), ChatMessage("user", "hi"))
    list(openai_chat.stream(ChatRequest(model="gpt-4o", messages=history, system="From request.")))
    assert [m for m in sent(openai_fake)["messages"] if m["role"] == "system"] == [
        {"role": "system", "content": "From history."}
    ]


def test_user_images_go_out_as_data_url_parts_with_the_exact_bytes(
    openai_fake: FakeOpenAI, openai_chat: OpenAIChat
) -> None:
    photo = png(colour=(1, 2, 3))
    list(
        openai_chat.stream(
            ChatRequest(
                model="gpt-4o", messages=(ChatMessage("user", "what is this?", images=(("image/png", photo),)),)
            )
        )
    )
    content = sent(openai_fake)["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "what is this?"}
    assert content[1]["image_url"]["detail"] == "auto"
    assert FakeOpenAI.chat_images(openai_fake.requests[-1]) == [("image/png", photo)]


@pytest.mark.parametrize(
    ("script", "reason"),
    [({"text": "cut", "stop": "length"}, "length"), ({"text": "", "stop": "content_filter"}, "content_filter")],
)
def test_finish_reasons_pass_through(
    openai_fake: FakeOpenAI, openai_chat: OpenAIChat, script: dict, reason: str
) -> None:
    openai_fake.script_chat([script])
    assert list(openai_chat.stream(ask("x")))[-1] == Finished(reason)


def test_a_compatible_server_reuses_the_adapter_under_its_own_name(
    openai_fake: FakeOpenAI, openai_settings: ProviderSettings
) -> None:
    chat = OpenAIChat(openai_settings, name="vllm")
    openai_fake.faults.update(status=400, message="bad model")
    with pytest.raises(ProviderError, match=r"^vllm returned HTTP 400: bad model$"):
        list(chat.stream(ask("x")))
    assert chat.name == "vllm" and OpenAIChat.name == "openai"


# --- chat: faults ------------------------------------------------------------------------------


def test_a_429_honours_retry_after_then_succeeds(openai_fake: FakeOpenAI, openai_chat: OpenAIChat) -> None:
    openai_fake.faults.update(status=429, retry_after=0.15, fail_first=1)
    events, elapsed = timed(lambda: list(openai_chat.stream(ask("hi"))))
    assert events[-1] == Finished("stop")
    assert len(openai_fake.requests) == 2
    assert elapsed >= 0.15  # the backoff alone would be ~0.01 s


def test_a_5xx_is_retried_then_fails_with_server_error_after_max_retries(
    openai_fake: FakeOpenAI, openai_chat: OpenAIChat, openai_settings: ProviderSettings
) -> None:
    openai_fake.faults.update(status=503)
    with pytest.raises(ProviderError) as caught:
        list(openai_chat.stream(ask("hi")))
    assert (caught.value.kind, caught.value.status_code, caught.value.permanent) == ("server_error", 503, False)
    assert "overloaded" in caught.value.message
    assert len(openai_fake.requests) == openai_settings.max_retries + 1


def test_a_400_fails_at_once_as_a_permanent_bad_request(openai_fake: FakeOpenAI, openai_chat: OpenAIChat) -> None:
    openai_fake.faults.update(status=400)
    with pytest.raises(ProviderError) as caught:
        list(openai_chat.stream(ask("hi")))
    assert (caught.value.kind, caught.value.permanent) == ("bad_request", True)
    assert len(openai_fake.requests) == 1


def test_a_401_is_a_permanent_auth_error_that_never_shows_the_key(
    openai_fake: FakeOpenAI, openai_chat: OpenAIChat
) -> None:
    openai_fake.faults.update(status=401)
    with pytest.raises(ProviderError) as caught:
        list(openai_chat.stream(ask("hi")))
    assert (caught.value.kind, caught.value.permanent) == ("auth", True)
    assert API_KEY not in str(caught.value)


def test_a_read_timeout_before_headers_ends_with_kind_timeout_within_bound(
    openai_fake: FakeOpenAI, openai_settings: ProviderSettings
) -> None:
    openai_fake.faults.update(delay=3.0)
    chat = OpenAIChat(dataclasses.replace(openai_settings, read_timeout=0.3, max_retries=1))
    error, elapsed = timed(lambda: list(chat.stream(ask("hi"))))
    assert isinstance(error, ProviderError) and error.kind == "timeout"
    assert 0.6 <= elapsed < 1.5  # two attempts of 0.3 s, then give up
    assert len(openai_fake.requests) == 2


def test_a_stall_mid_stream_ends_with_kind_timeout(openai_fake: FakeOpenAI, openai_settings: ProviderSettings) -> None:
    openai_fake.faults.update(stall=3.0)
    chat = OpenAIChat(dataclasses.replace(openai_settings, read_timeout=0.3))
    error, elapsed = timed(lambda: list(chat.stream(ask("hi"))))
    assert isinstance(error, ProviderError) and error.kind == "timeout"
    assert elapsed < 1.0


def test_a_dropped_connection_mid_stream_is_a_transient_connection_error(
    openai_fake: FakeOpenAI, openai_chat: OpenAIChat
) -> None:
    openai_fake.faults.update(drop=True)
    with pytest.raises(ProviderError) as caught:
        list(openai_chat.stream(ask("hi")))
    assert (caught.value.kind, caught.value.permanent) == ("connection", False)


def test_a_malformed_chunk_is_a_permanent_malformed_response(openai_fake: FakeOpenAI, openai_chat: OpenAIChat) -> None:
    openai_fake.faults.update(malformed=True)
    with pytest.raises(ProviderError) as caught:
        list(openai_chat.stream(ask("hi")))
    assert (caught.value.kind, caught.value.permanent) == ("malformed_response", True)


def test_a_mid_stream_error_event_is_a_server_error_with_its_message(
    openai_fake: FakeOpenAI, openai_chat: OpenAIChat
) -> None:
    openai_fake.faults.update(stream_error="server_error")
    with pytest.raises(ProviderError, match="The server had an error") as caught:
        list(openai_chat.stream(ask("hi")))
    assert caught.value.kind == "server_error"


def test_cancellation_stops_reading_and_closes_the_stream(openai_fake: FakeOpenAI, openai_chat: OpenAIChat) -> None:
    openai_fake.script_chat([{"text": "word " * 60}])
    openai_fake.faults.update(pace=0.05)  # 30+ frames: about two seconds if read to the end
    events, elapsed = read_until_cancelled(openai_chat, ask("hi"))
    assert len(events) == 1 and isinstance(events[0], TextDelta)
    assert elapsed < 0.5
    assert openai_fake.wait_for_outcome(timeout=3.0) == "client_closed"


# --- images ------------------------------------------------------------------------------------


def draw(model: str = "gpt-image-1", prompt: str = "a red fox", **fields: object) -> ImageRequest:
    return ImageRequest(model=model, prompt=prompt, **fields)  # type: ignore[arg-type]


def test_gpt_image_generation_streams_previews_before_the_final_png(
    openai_fake: FakeOpenAI, openai_images: OpenAIImages
) -> None:
    seen: list[object] = []
    results = openai_images.generate(draw(), on_preview=seen.append)
    assert [(p.index, p.mime_type) for p in seen] == [(0, "image/png"), (1, "image/png")]  # type: ignore[attr-defined]
    assert len(results) == 1 and results[0].mime_type == "image/png"
    assert image_size(results[0].data) == (1024, 1024)
    assert seen[-1].data != results[0].data  # type: ignore[attr-defined]
    body = sent(openai_fake, "/images/generations")
    assert (body["stream"], body["partial_images"], body["n"]) == (True, 2, 1)
    assert "response_format" not in body  # GPT image models reject it


def test_gpt_image_config_is_mapped_to_images_api_fields(openai_fake: FakeOpenAI, openai_images: OpenAIImages) -> None:
    config = {
        "size": "1536x1024",
        "quality": "hd",
        "background": "opaque",
        "output_format": "jpeg",
        "output_compression": 80,
        "moderation": "low",
        "seed": 5,
        "partial_images": 0,
    }
    (result,) = openai_images.generate(draw(config=config))
    body = sent(openai_fake, "/images/generations")
    expected = {
        "size": "1536x1024",
        "quality": "high",
        "background": "opaque",
        "output_format": "jpeg",
        "output_compression": 80,
        "moderation": "low",
    }
    assert {k: body[k] for k in expected} == expected
    assert "seed" not in body and "stream" not in body  # no seed on OpenAI; partial_images=0 turns streaming off
    assert result.mime_type == "image/jpeg" and image_size(result.data) == (1536, 1024)


@pytest.mark.parametrize(
    ("config", "size_hint", "ratio_hint", "expected"),
    [
        ({}, None, "9:16", "1024x1536"),
        ({}, "1792x1024", None, "1536x1024"),  # a DALL·E size on a GPT image model: same orientation
        ({"aspect_ratio": "1:1"}, "1536x1024", None, "1024x1024"),  # caller config beats the LLM's hint
        ({"size": "auto"}, "1024x1536", None, "auto"),
    ],
)
def test_sizes_come_from_config_first_then_the_llms_hints(
    openai_fake: FakeOpenAI,
    openai_images: OpenAIImages,
    config: dict,
    size_hint: str | None,
    ratio_hint: str | None,
    expected: str,
) -> None:
    openai_images.generate(
        draw(config={**config, "partial_images": 0}, size_hint=size_hint, aspect_ratio_hint=ratio_hint)
    )
    assert sent(openai_fake, "/images/generations")["size"] == expected


def test_dall_e_3_asks_for_b64_json_maps_quality_and_keeps_the_revised_prompt(
    openai_fake: FakeOpenAI, openai_images: OpenAIImages
) -> None:
    (result,) = openai_images.generate(
        draw("dall-e-3", aspect_ratio_hint="16:9", config={"quality": "high", "style": "natural"})
    )
    body = sent(openai_fake, "/images/generations")
    assert {k: body[k] for k in ("response_format", "quality", "size", "style")} == {
        "response_format": "b64_json",
        "quality": "hd",
        "size": "1792x1024",
        "style": "natural",
    }
    assert "stream" not in body
    assert result.revised_prompt == "A detailed rendering of: a red fox"
    assert image_size(result.data) == (1792, 1024)


def test_dall_e_3_with_n_two_makes_two_single_image_calls(openai_fake: FakeOpenAI, openai_images: OpenAIImages) -> None:
    results = openai_images.generate(draw("dall-e-3", config={"n": 2}))
    assert len(results) == 2
    assert [r["json"]["n"] for r in openai_fake.requests] == [1, 1]


def test_n_above_one_is_one_request_returning_n_images_without_previews(
    openai_fake: FakeOpenAI, openai_images: OpenAIImages
) -> None:
    previews: list[ImagePreview] = []
    results = openai_images.generate(draw(config={"n": 3}), on_preview=previews.append)
    assert len(results) == 3 and previews == []
    assert len(openai_fake.requests) == 1 and sent(openai_fake, "/images/generations")["n"] == 3


def test_an_edit_uploads_the_exact_source_bytes_as_the_image_field(
    openai_fake: FakeOpenAI, openai_images: OpenAIImages
) -> None:
    source = png(64, 32, (5, 6, 7))
    results = openai_images.generate(
        draw(prompt="make it snowy", input_images=(InputImage(source, "image/png"),), config={"partial_images": 0})
    )
    parts = FakeOpenAI.form(openai_fake.requests_to("/images/edits")[-1])
    assert [(p.name, p.filename, p.content_type, p.data) for p in parts if p.filename] == [
        ("image", "image-0.png", "image/png", source)
    ]
    assert {p.name: p.data.decode() for p in parts if not p.filename} == {
        "model": "gpt-image-1",
        "prompt": "make it snowy",
        "n": "1",
    }
    assert image_size(results[0].data) == (1536, 1024)  # "auto" follows the landscape input


def encoded(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format)
    return out.getvalue()


def test_an_edit_with_several_images_and_a_mask_uses_image_brackets_and_mask(
    openai_fake: FakeOpenAI, openai_images: OpenAIImages
) -> None:
    first, second, mask = (
        png(colour=(1, 1, 1)),
        InputImage(encoded(Image.new("RGB", (8, 8), (9, 9, 9)), "JPEG"), "image/jpeg"),
        encoded(Image.new("RGBA", (8, 8), (0, 0, 0, 0)), "PNG"),  # the mask: as large as the first image
    )
    openai_images.generate(
        draw(
            input_images=(InputImage(first, "image/png"), second),
            mask=InputImage(mask, "image/png"),
            config={"input_fidelity": "high"},
        )
    )
    parts = FakeOpenAI.form(openai_fake.requests_to("/images/edits")[-1])
    files = [(p.name, p.filename, p.data) for p in parts if p.filename]
    assert files == [
        ("image[]", "image-0.png", first),
        ("image[]", "image-1.jpg", second.data),
        ("mask", "mask.png", mask),
    ]
    fields = {p.name: p.data.decode() for p in parts if not p.filename}
    assert (fields["input_fidelity"], fields["stream"], fields["partial_images"]) == ("high", "true", "2")


def test_an_edit_streams_image_edit_previews(openai_images: OpenAIImages) -> None:
    previews: list[ImagePreview] = []
    results = openai_images.generate(
        draw(input_images=(InputImage(png(), "image/png"),), config={"partial_images": 1}), on_preview=previews.append
    )
    assert [p.index for p in previews] == [0] and len(results) == 1


@pytest.mark.parametrize(
    ("model", "code"), [("gpt-image-1", "moderation_blocked"), ("dall-e-3", "content_policy_violation")]
)
def test_a_safety_refusal_is_a_content_policy_error(
    openai_fake: FakeOpenAI, openai_images: OpenAIImages, model: str, code: str
) -> None:
    openai_fake.faults.update(safety=True)
    with pytest.raises(ContentPolicyError) as caught:
        openai_images.generate(draw(model))
    assert (caught.value.kind, caught.value.permanent, caught.value.status_code) == ("content_policy", True, 400)
    assert "safety system" in caught.value.message
    assert len(openai_fake.requests) == 1


def test_an_image_5xx_is_not_retried_because_it_could_bill_twice(
    openai_fake: FakeOpenAI, openai_images: OpenAIImages
) -> None:
    openai_fake.faults.update(status=500)
    with pytest.raises(ProviderError) as caught:
        openai_images.generate(draw())
    assert (caught.value.kind, caught.value.status_code) == ("server_error", 500)
    assert len(openai_fake.requests) == 1


def test_an_image_429_is_retried_because_nothing_was_drawn(
    openai_fake: FakeOpenAI, openai_images: OpenAIImages
) -> None:
    openai_fake.faults.update(status=429, retry_after=0.01, fail_first=1)
    assert len(openai_images.generate(draw())) == 1
    assert len(openai_fake.requests) == 2


def test_an_image_read_timeout_is_not_retried_and_ends_within_bound(
    openai_fake: FakeOpenAI, openai_settings: ProviderSettings
) -> None:
    openai_fake.faults.update(delay=3.0)
    images = OpenAIImages(dataclasses.replace(openai_settings, read_timeout=0.3))
    error, elapsed = timed(lambda: images.generate(draw()))
    assert isinstance(error, ProviderError) and error.kind == "timeout"
    assert elapsed < 0.8 and len(openai_fake.requests) == 1


def test_malformed_image_json_is_a_permanent_malformed_response(
    openai_fake: FakeOpenAI, openai_images: OpenAIImages
) -> None:
    openai_fake.faults.update(malformed=True)
    with pytest.raises(ProviderError) as caught:
        openai_images.generate(draw(config={"n": 2}))
    assert (caught.value.kind, caught.value.permanent) == ("malformed_response", True)


@pytest.mark.parametrize("config", [{"partial_images": 0}, {}], ids=["whole", "streamed"])
def test_undecodable_base64_is_a_permanent_malformed_response(
    openai_fake: FakeOpenAI, openai_images: OpenAIImages, config: dict
) -> None:
    openai_fake.faults.update(corrupt=True)
    with pytest.raises(ProviderError, match="base64") as caught:
        openai_images.generate(draw(config=config))
    assert (caught.value.kind, caught.value.permanent) == ("malformed_response", True)


def test_a_dropped_image_stream_is_a_connection_error(openai_fake: FakeOpenAI, openai_images: OpenAIImages) -> None:
    openai_fake.faults.update(drop=True)
    with pytest.raises(ProviderError) as caught:
        openai_images.generate(draw())
    assert caught.value.kind == "connection"


def test_multi_megabyte_base64_lines_decode(openai_fake: FakeOpenAI, openai_images: OpenAIImages) -> None:
    openai_fake.faults.update(noise=True)
    (result,) = openai_images.generate(draw(config={"partial_images": 1}))
    assert len(result.data) > 3_000_000 and image_size(result.data) == (1024, 1024)


def test_a_cancel_during_an_image_stream_stops_reading(openai_fake: FakeOpenAI, openai_images: OpenAIImages) -> None:
    openai_fake.faults.update(pace=0.3)
    previews: list[ImagePreview] = []
    results, elapsed = timed(
        lambda: openai_images.generate(
            draw(config={"partial_images": 3}), on_preview=previews.append, cancelled=lambda: bool(previews)
        )
    )
    assert results == [] and len(previews) == 1
    assert elapsed < 0.6  # the whole stream takes over a second
    assert openai_fake.wait_for_outcome(timeout=3.0) == "client_closed"
