"""OpenRouterChat and OpenRouterImages against the fake OpenRouter over real loopback HTTP."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.fakes.openrouter import FakeOpenRouter
from tests.providers.conftest import read_until_cancelled
from tests.providers.kit import (
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
    ImageRequest,
    InputImage,
    ProviderError,
    TextDelta,
)
from workers.providers.http import ProviderSettings
from workers.providers.openrouter import OpenRouterChat, OpenRouterImages

IMAGE_MODEL = "google/gemini-3-pro-image-preview"


def ask(text: str, **fields: object) -> ChatRequest:
    return ChatRequest(model="openai/gpt-4o", messages=(ChatMessage("user", text),), tools=(IMAGE_TOOL,), **fields)  # type: ignore[arg-type]


def draw(prompt: str = "a fox in the snow", model: str = IMAGE_MODEL, **fields: object) -> ImageRequest:
    return ImageRequest(model=model, prompt=prompt, **fields)  # type: ignore[arg-type]


def sent(fake: FakeOpenRouter) -> dict:
    return fake.requests[-1]["json"]


# --- chat --------------------------------------------------------------------------------------


def test_text_streams_through_processing_comments_with_usage_on_the_finish_chunk(
    openrouter_fake: FakeOpenRouter, openrouter_chat: OpenRouterChat
) -> None:
    openrouter_fake.faults.update(processing=3)
    events = list(openrouter_chat.stream(ask("hello")))
    assert text_of(events) == "You said: hello. How can I help with images today?"
    assert_ends_with_usage_and_one_finished(events, "stop")


def test_a_fragmented_tool_call_is_assembled(openrouter_chat: OpenRouterChat) -> None:
    text = f"Edit {DOCUMENT_ID}, make it night"
    events = list(openrouter_chat.stream(ask(text)))
    (call,) = calls_of(events)
    assert (call.name, json.loads(call.arguments)) == (
        "generate_image",
        {"prompt": text, "input_image_document_id": DOCUMENT_ID},
    )
    assert_ends_with_usage_and_one_finished(events, "tool_calls")


def test_routing_preferences_go_under_provider_and_routing_fields_stay_top_level(
    openrouter_fake: FakeOpenRouter, openrouter_chat: OpenRouterChat
) -> None:
    routing = {
        "order": ["anthropic", "openai"],
        "allow_fallbacks": False,
        "models": ["openai/gpt-4o", "openai/gpt-4.1"],
        "route": "fallback",
    }
    list(openrouter_chat.stream(ask("hi", extra={"openrouter": routing})))
    body = sent(openrouter_fake)
    assert body["provider"] == {"order": ["anthropic", "openai"], "allow_fallbacks": False}
    assert (body["models"], body["route"]) == (["openai/gpt-4o", "openai/gpt-4.1"], "fallback")
    assert openrouter_fake.requests[-1]["headers"]["x-title"] == "Easel"


def test_an_explicit_provider_object_is_merged_with_loose_preferences(
    openrouter_fake: FakeOpenRouter, openrouter_chat: OpenRouterChat
) -> None:
    list(openrouter_chat.stream(ask("hi", extra={"openrouter": {"provider": {"sort": "price"}, "only": ["google"]}})))
    assert sent(openrouter_fake)["provider"] == {"sort": "price", "only": ["google"]}


def test_a_mid_stream_rate_limit_chunk_is_a_transient_rate_limited_error(
    openrouter_fake: FakeOpenRouter, openrouter_chat: OpenRouterChat
) -> None:
    openrouter_fake.faults.update(stream_error="rate_limit_exceeded")
    with pytest.raises(ProviderError, match="Rate limit exceeded") as caught:
        list(openrouter_chat.stream(ask("hi")))
    assert (caught.value.kind, caught.value.permanent, caught.value.status_code) == ("rate_limited", False, 429)


def test_a_mid_stream_content_policy_chunk_is_a_content_policy_error(
    openrouter_fake: FakeOpenRouter, openrouter_chat: OpenRouterChat
) -> None:
    openrouter_fake.faults.update(stream_error="content_policy_violation")
    with pytest.raises(ContentPolicyError):
        list(openrouter_chat.stream(ask("hi")))


def test_a_moderation_403_is_a_content_policy_error(
    openrouter_fake: FakeOpenRouter, openrouter_chat: OpenRouterChat
) -> None:
    openrouter_fake.faults.update(safety=True)
    with pytest.raises(ContentPolicyError, match="flagged") as caught:
        list(openrouter_chat.stream(ask("hi")))
    assert caught.value.status_code == 403 and len(openrouter_fake.requests) == 1


def test_a_plain_403_stays_a_permanent_auth_error(
    openrouter_fake: FakeOpenRouter, openrouter_chat: OpenRouterChat
) -> None:
    openrouter_fake.faults.update(status=403)
    with pytest.raises(ProviderError) as caught:
        list(openrouter_chat.stream(ask("hi")))
    assert not isinstance(caught.value, ContentPolicyError)
    assert (caught.value.kind, caught.value.permanent) == ("auth", True)


def test_a_429_honours_retry_after_then_succeeds(
    openrouter_fake: FakeOpenRouter, openrouter_chat: OpenRouterChat
) -> None:
    openrouter_fake.faults.update(status=429, retry_after=0.15, fail_first=1)
    events, elapsed = timed(lambda: list(openrouter_chat.stream(ask("hi"))))
    assert text_of(events) and len(openrouter_fake.requests) == 2 and elapsed >= 0.15


@pytest.mark.parametrize(
    ("switch", "kind", "permanent"),
    [
        ({"malformed": True}, "malformed_response", True),
        ({"drop": True}, "connection", False),
        ({"stall": 3.0}, "timeout", False),
    ],
)
def test_mid_stream_faults_become_provider_errors(
    openrouter_fake: FakeOpenRouter, openrouter_settings: ProviderSettings, switch: dict, kind: str, permanent: bool
) -> None:
    openrouter_fake.faults.update(switch)
    chat = OpenRouterChat(dataclasses.replace(openrouter_settings, read_timeout=0.3))
    error, elapsed = timed(lambda: list(chat.stream(ask("hi"))))
    assert isinstance(error, ProviderError) and (error.kind, error.permanent) == (kind, permanent)
    assert elapsed < 1.0


def test_cancellation_stops_reading(openrouter_fake: FakeOpenRouter, openrouter_chat: OpenRouterChat) -> None:
    openrouter_fake.script_chat([{"text": "word " * 60}])
    openrouter_fake.faults.update(pace=0.05)  # about two seconds if read to the end
    events, elapsed = read_until_cancelled(openrouter_chat, ask("hi"))
    assert len(events) == 1 and isinstance(events[0], TextDelta)
    assert elapsed < 0.5
    assert openrouter_fake.wait_for_outcome(timeout=3.0) == "client_closed"


# --- images ------------------------------------------------------------------------------------


def test_a_generation_reads_message_images_at_the_configured_size(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages
) -> None:
    (result,) = openrouter_images.generate(draw(config={"aspect_ratio": "16:9", "resolution": "2K"}))
    assert result.mime_type == "image/png" and image_size(result.data) == (2688, 1536)
    body = sent(openrouter_fake)
    assert (body["modalities"], body["image_config"], body["stream"]) == (
        ["image", "text"],
        {"aspect_ratio": "16:9", "image_size": "2K"},
        False,
    )
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "a fox in the snow"}]}]


def test_an_image_only_model_asks_for_the_image_modality_alone(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages
) -> None:
    openrouter_images.generate(draw(model="black-forest-labs/flux.2-pro"))
    assert sent(openrouter_fake)["modalities"] == ["image"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"size_hint": "4096x2304"}, {"aspect_ratio": "16:9", "image_size": "4K"}),
        ({"aspect_ratio_hint": "16:10"}, {"aspect_ratio": "3:2"}),  # the nearest supported ratio
        ({"config": {"size": "1024x1536"}, "aspect_ratio_hint": "16:9"}, {"aspect_ratio": "2:3", "image_size": "1K"}),
        (
            {"config": {"aspect_ratio": "1:4", "resolution": "0.5K"}, "aspect_ratio_hint": "16:9"},
            {"aspect_ratio": "1:4", "image_size": "0.5K"},
        ),
    ],
)
def test_image_config_comes_from_config_first_then_the_llms_hints(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages, fields: dict, expected: dict
) -> None:
    openrouter_images.generate(draw(**fields))
    assert sent(openrouter_fake)["image_config"] == expected


def test_provider_routing_and_seed_from_config_pass_through(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages
) -> None:
    openrouter_images.generate(draw(config={"provider": {"order": ["google-vertex"]}, "seed": 42}))
    body = sent(openrouter_fake)
    assert (body["provider"], body["seed"]) == ({"order": ["google-vertex"]}, 42)


def test_an_edit_sends_the_exact_input_images_as_data_url_parts_after_the_prompt(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages
) -> None:
    first, second, mask = png(colour=(9, 8, 7)), png(colour=(1, 2, 3)), png(colour=(0, 0, 0))
    request = draw(
        "make the sky purple",
        input_images=(InputImage(first, "image/png"), InputImage(second, "image/png")),
        mask=InputImage(mask, "image/png"),
    )
    (edited,) = openrouter_images.generate(request)
    (generated,) = openrouter_images.generate(draw("make the sky purple"))
    assert FakeOpenRouter.chat_images(openrouter_fake.requests[0]) == [
        ("image/png", first),
        ("image/png", second),
        ("image/png", mask),
    ]
    content = openrouter_fake.requests[0]["json"]["messages"][0]["content"]
    assert [p["type"] for p in content] == ["text", "image_url", "image_url", "text", "image_url"]
    assert "mask" in content[3]["text"]
    assert edited.data != generated.data  # the fake draws edits from their inputs too


def test_n_above_one_makes_one_call_per_image(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages
) -> None:
    results = openrouter_images.generate(draw(config={"n": 3}))
    assert len(results) == 3 and len(openrouter_fake.requests) == 3


def test_a_cancel_skips_the_calls_not_yet_started(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages
) -> None:
    results = openrouter_images.generate(draw(config={"n": 8}), cancelled=lambda: len(openrouter_fake.requests) >= 1)
    assert 1 <= len(results) <= 4 and len(openrouter_fake.requests) == len(results)


def test_each_variant_is_its_own_call_with_its_own_seed(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages
) -> None:
    results = openrouter_images.generate(draw(config={"n": 3, "seed": 5}))

    assert sorted(r["json"]["seed"] for r in openrouter_fake.requests) == [5, 6, 7]
    assert sorted(r.seed for r in results) == [5, 6, 7] and len({r.data for r in results}) == 3


def test_a_refusal_without_images_is_a_content_policy_error(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages
) -> None:
    openrouter_fake.script_chat([{"text": "I can't draw that.", "images": 0, "stop": "content_filter"}])
    with pytest.raises(ContentPolicyError, match="I can't draw that."):
        openrouter_images.generate(draw())


def test_an_answer_without_images_or_refusal_is_malformed(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages
) -> None:
    openrouter_fake.script_chat([{"text": "Here you go!", "images": 0}])
    with pytest.raises(ProviderError) as caught:
        openrouter_images.generate(draw())
    assert (caught.value.kind, caught.value.permanent) == ("malformed_response", True)


def test_undecodable_image_data_is_malformed(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages
) -> None:
    openrouter_fake.faults.update(corrupt=True)
    with pytest.raises(ProviderError, match="base64") as caught:
        openrouter_images.generate(draw())
    assert caught.value.kind == "malformed_response"


def test_a_moderation_403_on_an_image_is_a_content_policy_error(
    openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages
) -> None:
    openrouter_fake.faults.update(safety=True)
    with pytest.raises(ContentPolicyError):
        openrouter_images.generate(draw())


def test_an_image_5xx_is_not_retried(openrouter_fake: FakeOpenRouter, openrouter_images: OpenRouterImages) -> None:
    openrouter_fake.faults.update(status=502)
    with pytest.raises(ProviderError) as caught:
        openrouter_images.generate(draw())
    assert (caught.value.kind, caught.value.status_code) == ("server_error", 502)
    assert len(openrouter_fake.requests) == 1


def test_an_image_read_timeout_is_not_retried_and_ends_within_bound(
    openrouter_fake: FakeOpenRouter, openrouter_settings: ProviderSettings
) -> None:
    openrouter_fake.faults.update(delay=3.0)
    images = OpenRouterImages(dataclasses.replace(openrouter_settings, read_timeout=0.3))
    error, elapsed = timed(lambda: images.generate(draw()))
    assert isinstance(error, ProviderError) and error.kind == "timeout"
    assert elapsed < 0.8 and len(openrouter_fake.requests) == 1
