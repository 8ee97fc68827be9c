"""The fake OpenAI speaks the real wire format: the official `openai` SDK parses everything it sends."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import httpx2
import openai
import pytest
from PIL import Image

from tests.fakes.imaging import changed_fraction
from tests.fakes.openai import FakeOpenAI
from tests.providers.kit import DOCUMENT_ID, IMAGE_TOOL, image_size, png, serve_from_command_line

USER_ASKS_FOR_A_PICTURE = [{"role": "user", "content": f"Draw a red fox in the snow, like {DOCUMENT_ID}"}]


def mask_png(width: int, height: int, hole: tuple[int, int, int, int]) -> bytes:
    """An RGBA mask, opaque except for a fully transparent `hole` (left, top, right, bottom)."""
    mask = Image.new("RGBA", (width, height), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), hole)
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()


def channel_gap(pixel: tuple[int, ...], colour: tuple[int, ...], smallest: bool = False) -> int:
    """The largest (or smallest) per-channel difference between two RGB colours."""
    gaps = [abs(a - b) for a, b in zip(pixel, colour, strict=True)]
    return min(gaps) if smallest else max(gaps)


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def test_a_streamed_tool_call_parses_into_the_sdks_final_completion(openai_sdk: openai.OpenAI) -> None:
    with openai_sdk.chat.completions.stream(
        model="gpt-4o", messages=USER_ASKS_FOR_A_PICTURE, tools=[IMAGE_TOOL]
    ) as stream:
        completion = stream.get_final_completion()
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "generate_image"
    assert json.loads(call.function.arguments) == {
        "prompt": USER_ASKS_FOR_A_PICTURE[0]["content"],
        "input_image_document_id": DOCUMENT_ID,
    }
    assert call.id.startswith("call_")


def test_raw_chunks_follow_the_recorded_shape(openai_sdk: openai.OpenAI) -> None:
    chunks = list(
        openai_sdk.chat.completions.create(
            model="gpt-4o",
            messages=USER_ASKS_FOR_A_PICTURE,
            tools=[IMAGE_TOOL],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({c.id for c in chunks}) == 1 and len({c.created for c in chunks}) == 1
    fragments = [c.choices[0].delta.tool_calls for c in chunks[1:-2]]
    assert fragments[0][0].id and fragments[0][0].function.name == "generate_image"
    assert len(fragments) > 3 and all(f[0].id is None and f[0].index == 0 for f in fragments[1:])
    assert chunks[-2].choices[0].finish_reason == "tool_calls" and chunks[-2].usage is None
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0


def test_usage_is_only_sent_when_asked_for(openai_sdk: openai.OpenAI) -> None:
    chunks = list(
        openai_sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hello"}], stream=True)
    )
    assert all(c.usage is None for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks).startswith("You said: hello")


def test_a_tool_result_turn_gets_here_is_your_image(openai_sdk: openai.OpenAI) -> None:
    messages = USER_ASKS_FOR_A_PICTURE + [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "generate_image", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"status":"ok"}'},
    ]
    completion = openai_sdk.chat.completions.create(model="gpt-4o", messages=messages, tools=[IMAGE_TOOL])
    assert completion.choices[0].message.content == "Here is your image."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens > 0


def test_scripted_parallel_tool_calls_come_back_in_order(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    openai_fake.script_chat(
        [{"tool_calls": [{"name": "a", "arguments": {"x": 1}}, {"name": "b", "arguments": {"y": "two"}}]}]
    )
    with openai_sdk.chat.completions.stream(model="gpt-4o", messages=USER_ASKS_FOR_A_PICTURE) as stream:
        calls = stream.get_final_completion().choices[0].message.tool_calls
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("a", {"x": 1}),
        ("b", {"y": "two"}),
    ]


def test_scripts_and_faults_can_be_set_over_http(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    httpx2.post(
        openai_fake.origin + "/__fake__/script", json=[{"text": "first scripted"}, {"text": "second", "stop": "length"}]
    )
    first = openai_sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    second = openai_sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert first.choices[0].message.content == "first scripted"
    assert (second.choices[0].message.content, second.choices[0].finish_reason) == ("second", "length")
    httpx2.post(openai_fake.origin + "/__fake__/faults", json={"status": 503})
    with pytest.raises(openai.InternalServerError):
        openai_sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    httpx2.post(openai_fake.origin + "/__fake__/reset")
    assert openai_sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}]).choices


def test_responses_carry_openais_headers(openai_sdk: openai.OpenAI) -> None:
    raw = openai_sdk.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.headers["openai-version"] == "2020-10-01"
    assert int(raw.headers["openai-processing-ms"]) > 0
    assert raw.headers["x-ratelimit-remaining-requests"] == "9999"
    assert raw.http_response.text.startswith('{\n  "id": "chatcmpl-')  # pretty-printed like the real API


def test_a_missing_api_key_is_a_401_authentication_error(openai_fake: FakeOpenAI) -> None:
    response = httpx2.post(openai_fake.origin + "/v1/chat/completions", json={"model": "m", "messages": []})
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("You didn't provide an API key")


@pytest.mark.parametrize(
    ("status", "exception", "type_"),
    [
        (400, openai.BadRequestError, "invalid_request_error"),
        (401, openai.AuthenticationError, "invalid_request_error"),
        (429, openai.RateLimitError, "tokens"),
        (500, openai.InternalServerError, "server_error"),
        (503, openai.InternalServerError, "server_error"),
    ],
)
def test_error_statuses_raise_the_sdks_exception_with_the_bodys_message(
    openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI, status: int, exception: type[openai.APIStatusError], type_: str
) -> None:
    openai_fake.faults.update(status=status, message=f"boom {status}")
    with pytest.raises(exception) as caught:
        openai_sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == status
    assert caught.value.body == {"message": f"boom {status}", "type": type_, "param": None, "code": caught.value.code}
    assert caught.value.request_id.startswith("req_")


def test_a_429_says_when_to_retry_and_fail_first_lets_the_next_request_through(
    openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI
) -> None:
    openai_fake.faults.update(status=429, retry_after=7, fail_first=1)
    with pytest.raises(openai.RateLimitError) as caught:
        openai_sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after"] == "7"
    assert openai_sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}]).choices


def test_a_malformed_chunk_breaks_the_sdks_json_parsing(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    openai_fake.faults.update(malformed=True)
    with pytest.raises(json.JSONDecodeError):
        list(
            openai_sdk.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )


def test_a_dropped_stream_is_a_connection_error_in_the_sdk(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    openai_fake.faults.update(drop=True)
    with pytest.raises(openai.APIConnectionError):
        list(
            openai_sdk.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )
    assert openai_fake.wait_for_outcome() == "dropped"


def test_a_delay_before_headers_trips_the_sdks_timeout(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    openai_fake.faults.update(delay=1.0)
    with pytest.raises(openai.APITimeoutError):
        openai_sdk.with_options(timeout=0.2).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )


def test_a_mid_stream_error_event_raises_the_sdks_api_error(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    openai_fake.faults.update(stream_error="server_error")
    with pytest.raises(openai.APIError, match="The server had an error"):
        list(
            openai_sdk.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )


# --- images ------------------------------------------------------------------------------------


def test_gpt_image_generations_return_decodable_pngs_at_the_requested_size(openai_sdk: openai.OpenAI) -> None:
    result = openai_sdk.images.generate(model="gpt-image-1", prompt="a red fox", size="1536x1024", n=2, quality="low")
    assert [image_size(base64.b64decode(d.b64_json)) for d in result.data] == [(1536, 1024), (1536, 1024)]
    assert (result.size, result.quality, result.background, result.output_format) == (
        "1536x1024",
        "low",
        "opaque",
        "png",
    )
    assert result.usage.output_tokens > 0


def test_the_same_prompt_gives_the_same_image_and_another_prompt_another(openai_sdk: openai.OpenAI) -> None:
    def draw(prompt: str) -> str:
        return openai_sdk.images.generate(model="gpt-image-1", prompt=prompt).data[0].b64_json

    assert draw("a fox") == draw("a fox") != draw("an owl")


def test_output_format_is_honoured(openai_sdk: openai.OpenAI) -> None:
    result = openai_sdk.images.generate(model="gpt-image-1", prompt="fox", output_format="jpeg", size="1024x1024")
    assert base64.b64decode(result.data[0].b64_json)[:3] == b"\xff\xd8\xff"


def test_dall_e_3_returns_a_downloadable_url_and_a_revised_prompt(openai_sdk: openai.OpenAI) -> None:
    result = openai_sdk.images.generate(model="dall-e-3", prompt="a fox", size="1792x1024")
    item = result.data[0]
    assert item.revised_prompt and "a fox" in item.revised_prompt
    assert image_size(httpx2.get(item.url).content) == (1792, 1024)


def test_dall_e_3_rejects_n_above_one_like_the_real_api(openai_sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="Invalid 'n'"):
        openai_sdk.images.generate(model="dall-e-3", prompt="a fox", n=2)


def test_an_sdk_edit_with_several_images_and_a_mask_arrives_as_image_brackets(
    openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI
) -> None:
    first, second, mask = png(colour=(1, 2, 3)), png(colour=(4, 5, 6)), mask_png(8, 8, hole=(2, 2, 6, 6))
    result = openai_sdk.images.edit(
        model="gpt-image-1",
        prompt="put them together",
        image=[("a.png", first, "image/png"), ("b.png", second, "image/png")],
        mask=("m.png", mask, "image/png"),
    )
    parts = FakeOpenAI.form(openai_fake.requests_to("/images/edits")[-1])
    assert [(p.name, p.data) for p in parts if p.filename] == [("image[]", first), ("image[]", second), ("mask", mask)]
    assert image_size(base64.b64decode(result.data[0].b64_json)) == (1024, 1024)  # "auto" follows the input's shape


def test_a_masked_edit_with_n_3_gives_3_distinct_edits_of_the_first_image(
    openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI
) -> None:
    first, second = png(64, 64, (40, 120, 200)), png(64, 64, (250, 250, 250))
    mask = mask_png(64, 64, hole=(16, 16, 48, 48))  # the middle is transparent: edit there
    result = openai_sdk.images.edit(
        model="gpt-image-1",
        image=[("a.png", first, "image/png"), ("b.png", second, "image/png")],
        mask=("m.png", mask, "image/png"),
        prompt="a hat in the middle",
        n=3,
        size="1536x1024",
    )
    pictures = [base64.b64decode(d.b64_json) for d in result.data]
    assert len({hashlib.sha256(p).hexdigest() for p in pictures}) == 3
    assert {image_size(p) for p in pictures} == {(1536, 1024)}
    record = openai_fake.requests_to("/images/edits")[-1]
    assert FakeOpenAI.edit_inputs(record) == [first, second] and FakeOpenAI.edit_mask(record) == mask
    for picture in pictures:  # the first image, nudged everywhere and repainted where the mask is clear
        edited = Image.open(io.BytesIO(picture)).convert("RGB")
        assert changed_fraction(Image.new("RGB", (1536, 1024), (40, 120, 200)), edited) == 1.0
        assert 2 <= channel_gap(edited.getpixel((10, 10)), (40, 120, 200)) <= 11
        assert channel_gap(edited.getpixel((768, 512)), (40, 120, 200), smallest=True) >= 64


def test_an_edit_without_a_mask_changes_the_whole_picture_visibly(openai_sdk: openai.OpenAI) -> None:
    source = png(32, 32, (90, 90, 90))
    result = openai_sdk.images.edit(
        model="gpt-image-1", image=("a.png", source, "image/png"), prompt="night", size="1024x1024"
    )
    edited = Image.open(io.BytesIO(base64.b64decode(result.data[0].b64_json))).convert("RGB")
    assert all(channel_gap(edited.getpixel(xy), (90, 90, 90), smallest=True) >= 64 for xy in [(0, 0), (1023, 1023)])


def test_a_mask_of_another_size_is_refused_with_param_mask(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="mask size does not match image size") as caught:
        openai_sdk.images.edit(
            model="gpt-image-1",
            image=("a.png", png(64, 64), "image/png"),
            mask=("m.png", mask_png(32, 32, hole=(0, 0, 8, 8)), "image/png"),
            prompt="a hat",
        )
    assert (caught.value.param, caught.value.code) == ("mask", "invalid_image_file")


def test_a_mask_without_alpha_is_refused_with_param_mask(openai_sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="Invalid mask image format - mask image missing alpha") as caught:
        openai_sdk.images.edit(
            model="gpt-image-1",
            image=("a.png", png(8, 8), "image/png"),
            mask=("m.png", png(8, 8, (0, 0, 0)), "image/png"),
            prompt="a hat",
        )
    assert caught.value.param == "mask"


def test_an_input_that_is_not_an_image_is_refused_with_param_image(openai_sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="Invalid image file or mode for image 2") as caught:
        openai_sdk.images.edit(
            model="gpt-image-1",
            image=[("a.png", png(), "image/png"), ("b.jpg", b"\xff\xd8\xff not a jpeg", "image/jpeg")],
            prompt="a hat",
        )
    assert (caught.value.param, caught.value.code) == ("image", "invalid_image_file")


def test_a_json_edit_with_data_urls_is_read_like_the_multipart_one(openai_fake: FakeOpenAI) -> None:
    source, mask = png(16, 16, (5, 5, 5)), mask_png(16, 16, hole=(0, 0, 8, 8))
    body = {
        "model": "gpt-image-1",
        "prompt": "a hat",
        "images": [{"image_url": data_url(source)}],
        "mask": {"image_url": data_url(mask)},
        "n": 2,
    }
    response = httpx2.post(openai_fake.origin + "/v1/images/edits", json=body, headers={"authorization": "Bearer k"})
    assert response.status_code == 200
    assert len({item["b64_json"] for item in response.json()["data"]}) == 2
    record = openai_fake.requests_to("/images/edits")[-1]
    assert (FakeOpenAI.edit_inputs(record), FakeOpenAI.edit_mask(record)) == ([source], mask)


def test_an_sdk_edit_with_one_image_uses_the_image_field(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    source = png(colour=(9, 9, 9))
    openai_sdk.images.edit(
        model="gpt-image-1", prompt="brighter", image=("a.png", source, "image/png"), size="1024x1024"
    )
    parts = FakeOpenAI.form(openai_fake.requests_to("/images/edits")[-1])
    assert [(p.name, p.data) for p in parts if p.filename] == [("image", source)]
    assert {p.name: p.data for p in parts if not p.filename}["prompt"] == b"brighter"


def test_n_generations_are_n_distinct_pictures_and_the_same_request_redraws_them(openai_sdk: openai.OpenAI) -> None:
    def draw() -> list[str]:
        result = openai_sdk.images.generate(model="gpt-image-1", prompt="a fox", n=4, size="1024x1024")
        return [hashlib.sha256(base64.b64decode(d.b64_json)).hexdigest() for d in result.data]

    first = draw()
    assert len(set(first)) == 4 and draw() == first  # OpenAI takes no seed; the fake repeats itself


def test_streamed_edits_with_n_2_complete_with_two_distinct_pictures(openai_sdk: openai.OpenAI) -> None:
    stream = openai_sdk.images.edit(
        model="gpt-image-1", prompt="fox", image=("a.png", png(), "image/png"), n=2, stream=True, partial_images=1
    )
    completed = [e.b64_json for e in stream if e.type == "image_edit.completed"]
    assert len(completed) == 2 and completed[0] != completed[1]


def test_streamed_generations_send_partial_images_then_the_completed_one(openai_sdk: openai.OpenAI) -> None:
    events = list(openai_sdk.images.generate(model="gpt-image-1", prompt="fox", stream=True, partial_images=2))
    assert [e.type for e in events] == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert [e.partial_image_index for e in events[:2]] == [0, 1]
    assert all(image_size(base64.b64decode(e.b64_json)) == (1024, 1024) for e in events)
    assert events[-1].usage.total_tokens > 0


def test_streamed_edits_use_the_image_edit_event_names(openai_sdk: openai.OpenAI) -> None:
    stream = openai_sdk.images.edit(
        model="gpt-image-1", prompt="fox", image=("a.png", png(), "image/png"), stream=True, partial_images=1
    )
    assert [e.type for e in stream] == ["image_edit.partial_image", "image_edit.completed"]


def test_a_safety_refusal_is_the_moderation_blocked_400(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    openai_fake.faults.update(safety=True)
    with pytest.raises(openai.BadRequestError, match="rejected by the safety system") as caught:
        openai_sdk.images.generate(model="gpt-image-1", prompt="something bad")
    assert (caught.value.code, caught.value.type) == ("moderation_blocked", "image_generation_user_error")


def test_dall_e_refusals_use_content_policy_violation(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    openai_fake.faults.update(safety=True)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_sdk.images.generate(model="dall-e-3", prompt="something bad")
    assert caught.value.code == "content_policy_violation"


def test_the_n_switch_overrides_how_many_images_come_back(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    openai_fake.faults.update(n=3)
    assert len(openai_sdk.images.generate(model="gpt-image-1", prompt="fox", n=1).data) == 3


def test_noise_images_make_base64_lines_over_four_megabytes(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    openai_fake.faults.update(noise=True)
    events = list(
        openai_sdk.images.generate(model="gpt-image-1", prompt="fox", size="1024x1024", stream=True, partial_images=0)
    )
    assert len(events[-1].b64_json) > 4_000_000
    assert image_size(base64.b64decode(events[-1].b64_json)) == (1024, 1024)


def test_only_limits_faults_to_matching_paths(openai_fake: FakeOpenAI, openai_sdk: openai.OpenAI) -> None:
    openai_fake.faults.update(status=500, only="/images/")
    assert openai_sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}]).choices
    with pytest.raises(openai.InternalServerError):
        openai_sdk.images.generate(model="gpt-image-1", prompt="fox")


def test_a_misspelt_fault_switch_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="unknown fault switches"):
        FakeOpenAI(stauts=500)


def test_it_serves_from_the_command_line() -> None:
    process, origin = serve_from_command_line("tests.fakes.openai")
    try:
        client = openai.OpenAI(api_key="k", base_url=origin + "/v1", max_retries=0)
        assert (
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
            .choices[0]
            .message.content
        )
    finally:
        process.kill()
        process.wait()


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def test_a_callers_own_tool_named_by_the_user_is_called_and_its_output_relayed(openai_sdk: openai.OpenAI) -> None:
    messages: list = [{"role": "user", "content": "use get_weather for Oslo"}]
    with openai_sdk.chat.completions.stream(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL]) as stream:
        choice = stream.get_final_completion().choices[0]

    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "use get_weather for Oslo"}
    messages += [
        {"role": "assistant", "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "Snow, -3 C"},
    ]
    answer = openai_sdk.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL])
    assert answer.choices[0].message.content == "The tool said: Snow, -3 C"
