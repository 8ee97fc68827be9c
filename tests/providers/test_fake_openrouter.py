"""The fake OpenRouter speaks its wire format: the official `openai` SDK, pointed at /api/v1, parses it."""

from __future__ import annotations

import base64
import io
import json

import httpx2
import openai
import pytest
from PIL import Image

from tests.fakes.imaging import changed_fraction
from tests.fakes.openrouter import FakeOpenRouter
from tests.providers.kit import DOCUMENT_ID, IMAGE_TOOL, image_size, png, serve_from_command_line

IMAGE_MODEL = "google/gemini-2.5-flash-image"


def data_url_bytes(url: str) -> bytes:
    header, _, payload = url.partition(",")
    assert header == "data:image/png;base64"
    return base64.b64decode(payload)


def test_streams_start_with_processing_comments_and_parse_in_the_sdk(openrouter_fake: FakeOpenRouter) -> None:
    body = {
        "model": "openai/gpt-4o",
        "stream": True,
        "messages": [{"role": "user", "content": f"draw a fox {DOCUMENT_ID}"}],
        "tools": [IMAGE_TOOL],
    }
    raw = httpx2.post(
        openrouter_fake.origin + "/api/v1/chat/completions", json=body, headers={"authorization": "Bearer k"}
    )
    assert raw.text.startswith(": OPENROUTER PROCESSING\n\ndata: {")
    assert raw.headers["x-generation-id"].startswith("gen-")
    assert raw.text.endswith("data: [DONE]\n\n")


def test_a_streamed_tool_call_parses_into_the_sdks_final_completion(openrouter_sdk: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": f"Edit {DOCUMENT_ID}: make it blue"}]
    with openrouter_sdk.chat.completions.stream(model="openai/gpt-4o", messages=messages, tools=[IMAGE_TOOL]) as stream:
        completion = stream.get_final_completion()
    call = completion.choices[0].message.tool_calls[0]
    assert json.loads(call.function.arguments) == {
        "prompt": messages[0]["content"],
        "input_image_document_id": DOCUMENT_ID,
    }
    assert completion.model_extra["provider"] == "OpenAI"


def test_usage_with_cost_rides_on_the_last_chunk_without_being_asked(openrouter_sdk: openai.OpenAI) -> None:
    chunks = list(
        openrouter_sdk.chat.completions.create(
            model="openai/gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].usage.total_tokens > 0 and chunks[-1].usage.model_extra["cost"] > 0
    assert all(c.usage is None for c in chunks[:-1])


def test_image_output_arrives_in_message_images_sized_by_image_config(openrouter_sdk: openai.OpenAI) -> None:
    completion = openrouter_sdk.chat.completions.create(
        model=IMAGE_MODEL,
        messages=[{"role": "user", "content": "a fox in the snow"}],
        extra_body={"modalities": ["image", "text"], "image_config": {"aspect_ratio": "16:9", "image_size": "2K"}},
    )
    message = completion.choices[0].message
    images = message.model_extra["images"]
    assert message.content == "Here is your image."
    assert [i["type"] for i in images] == ["image_url"]
    assert image_size(data_url_bytes(images[0]["image_url"]["url"])) == (2688, 1536)
    assert completion.choices[0].model_extra["native_finish_reason"] == "STOP"


def test_streamed_image_output_arrives_in_delta_images(openrouter_sdk: openai.OpenAI) -> None:
    chunks = list(
        openrouter_sdk.chat.completions.create(
            model=IMAGE_MODEL,
            messages=[{"role": "user", "content": "a fox"}],
            stream=True,
            extra_body={"modalities": ["image", "text"]},
        )
    )
    images = [i for c in chunks if c.choices for i in (c.choices[0].delta.model_extra or {}).get("images", [])]
    assert len(images) == 1 and image_size(data_url_bytes(images[0]["image_url"]["url"])) == (1024, 1024)


def test_input_images_sent_as_data_url_parts_are_recorded(
    openrouter_fake: FakeOpenRouter, openrouter_sdk: openai.OpenAI
) -> None:
    source = png(colour=(200, 10, 10))
    content = [
        {"type": "text", "text": "make the sky purple"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(source).decode()}},
    ]
    edit = openrouter_sdk.chat.completions.create(
        model=IMAGE_MODEL, messages=[{"role": "user", "content": content}], extra_body={"modalities": ["image"]}
    )
    plain = openrouter_sdk.chat.completions.create(
        model=IMAGE_MODEL,
        messages=[{"role": "user", "content": "make the sky purple"}],
        extra_body={"modalities": ["image"]},
    )
    assert FakeOpenRouter.chat_images(openrouter_fake.requests[0]) == [("image/png", source)]
    # The inputs colour the output, so an edit differs from a generation with the same words.
    assert edit.choices[0].message.model_extra["images"] != plain.choices[0].message.model_extra["images"]


def image_part(data: bytes) -> dict:
    return {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(data).decode()}}


def first_image(completion) -> bytes:
    return data_url_bytes(completion.choices[0].message.model_extra["images"][0]["image_url"]["url"])


def test_two_input_images_arrive_in_order_and_the_edit_is_drawn_from_the_first(
    openrouter_fake: FakeOpenRouter, openrouter_sdk: openai.OpenAI
) -> None:
    first, second = png(600, 400, (200, 20, 20)), png(600, 400, (20, 20, 200))
    content = [{"type": "text", "text": "put the second into the first"}, image_part(first), image_part(second)]

    completion = openrouter_sdk.chat.completions.create(
        model=IMAGE_MODEL, messages=[{"role": "user", "content": content}], extra_body={"modalities": ["image"]}
    )

    assert FakeOpenRouter.chat_images(openrouter_fake.requests[-1]) == [("image/png", first), ("image/png", second)]
    edited = Image.open(io.BytesIO(first_image(completion))).convert("RGB")
    assert edited.size == (1248, 832)  # no aspect_ratio: the (Gemini) model follows the input's shape
    assert changed_fraction(Image.new("RGB", edited.size, (200, 20, 20)), edited) == 1.0
    assert max(abs(a - b) for a, b in zip(edited.getpixel((3, 3)), (200, 20, 20), strict=True)) <= 11
    assert min(abs(a - b) for a, b in zip(edited.getpixel((624, 416)), (200, 20, 20), strict=True)) >= 64


def test_without_a_seed_each_request_draws_anew_and_a_seed_repeats(
    openrouter_fake: FakeOpenRouter, openrouter_sdk: openai.OpenAI
) -> None:
    def draw(**extra: int) -> bytes:
        completion = openrouter_sdk.chat.completions.create(
            model=IMAGE_MODEL,
            messages=[{"role": "user", "content": "a fox"}],
            extra_body={"modalities": ["image"], **extra},
        )
        return first_image(completion)

    assert draw() != draw()
    assert draw(seed=3) == draw(seed=3) != draw(seed=4)
    assert openrouter_fake.requests[-1]["json"]["seed"] == 4


def test_a_scripted_refusal_has_no_images_and_finish_reason_content_filter(
    openrouter_fake: FakeOpenRouter, openrouter_sdk: openai.OpenAI
) -> None:
    openrouter_fake.script_chat([{"text": "I can't draw that.", "images": 0, "stop": "content_filter"}])
    completion = openrouter_sdk.chat.completions.create(
        model=IMAGE_MODEL, messages=[{"role": "user", "content": "x"}], extra_body={"modalities": ["image"]}
    )
    assert completion.choices[0].finish_reason == "content_filter"
    assert "images" not in completion.choices[0].message.model_extra


def test_an_unknown_aspect_ratio_is_a_400(openrouter_sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        openrouter_sdk.chat.completions.create(
            model=IMAGE_MODEL,
            messages=[{"role": "user", "content": "x"}],
            extra_body={"modalities": ["image"], "image_config": {"aspect_ratio": "7:5"}},
        )
    assert caught.value.body == {"code": 400, "message": "Invalid image_config: {'aspect_ratio': '7:5'}"}


def test_a_mid_stream_error_chunk_raises_the_sdks_api_error(
    openrouter_fake: FakeOpenRouter, openrouter_sdk: openai.OpenAI
) -> None:
    openrouter_fake.faults.update(stream_error="rate_limit_exceeded")
    with pytest.raises(openai.APIError, match="Rate limit exceeded") as caught:
        list(
            openrouter_sdk.chat.completions.create(
                model="openai/gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )
    assert caught.value.body == {
        "code": 429,
        "message": "Rate limit exceeded",
        "metadata": {"error_type": "rate_limit_exceeded"},
    }
    assert openrouter_fake.wait_for_outcome() == "error_event"


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (402, openai.APIStatusError),
        (429, openai.RateLimitError),
        (502, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
def test_error_statuses_carry_openrouters_body_and_raise_the_sdks_exception(
    openrouter_fake: FakeOpenRouter, openrouter_sdk: openai.OpenAI, status: int, exception: type[openai.APIStatusError]
) -> None:
    openrouter_fake.faults.update(status=status)
    with pytest.raises(exception) as caught:
        openrouter_sdk.chat.completions.create(model="openai/gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == status
    assert caught.value.body["code"] == status and caught.value.body["message"]


def test_safety_is_the_moderation_403_with_flagged_input(
    openrouter_fake: FakeOpenRouter, openrouter_sdk: openai.OpenAI
) -> None:
    openrouter_fake.faults.update(safety=True)
    with pytest.raises(openai.PermissionDeniedError, match="requires moderation") as caught:
        openrouter_sdk.chat.completions.create(
            model="openai/gpt-4o", messages=[{"role": "user", "content": "bad words"}]
        )
    assert caught.value.body["metadata"]["flagged_input"] == "bad words"


def test_it_serves_from_the_command_line() -> None:
    process, origin = serve_from_command_line("tests.fakes.openrouter")
    try:
        client = openai.OpenAI(api_key="k", base_url=origin + "/api/v1", max_retries=0)
        reply = client.chat.completions.create(
            model=IMAGE_MODEL, messages=[{"role": "user", "content": "fox"}], extra_body={"modalities": ["image"]}
        )
        assert reply.choices[0].message.model_extra["images"]
    finally:
        process.kill()
        process.wait()


def test_a_callers_own_tool_named_by_the_user_is_called(openrouter_sdk: openai.OpenAI) -> None:
    weather = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    messages = [{"role": "user", "content": "draw Oslo and use get_weather there"}]
    with openrouter_sdk.chat.completions.stream(
        model="openai/gpt-4o", messages=messages, tools=[IMAGE_TOOL, weather]
    ) as stream:
        calls = stream.get_final_completion().choices[0].message.tool_calls

    assert [c.function.name for c in calls] == ["generate_image", "get_weather"]
    assert json.loads(calls[1].function.arguments) == {"city": messages[0]["content"]}
