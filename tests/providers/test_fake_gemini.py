"""The Gemini fake speaks the Gemini API well enough for the official google-genai SDK to parse it."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from google import genai
from google.genai import errors, types
from PIL import Image

from tests.fakes.gemini import THOUGHT_SIGNATURE, FakeGemini
from tests.fakes.imaging import changed_fraction
from tests.providers.kit import (
    API_KEY,
    DOCUMENT_ID,
    image_size,
    png,
    running,
    serve_from_command_line,
)

TEXT_MODEL = "gemini-2.5-flash"
IMAGE_MODEL = "gemini-2.5-flash-image"
IMAGE_TOOL = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name="generate_image",
            description="Create or edit an image",
            parameters=types.Schema(
                type=types.Type.OBJECT, properties={"prompt": types.Schema(type=types.Type.STRING)}
            ),
        )
    ]
)
MANUAL_TOOLS = types.GenerateContentConfig(
    tools=[IMAGE_TOOL], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True)
)


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    yield from running(FakeGemini())


@pytest.fixture
def client(fake: FakeGemini) -> genai.Client:
    return genai.Client(api_key=API_KEY, http_options=types.HttpOptions(base_url=fake.origin))


def raw_post(fake: FakeGemini, path: str, body: dict[str, Any], **kwargs: Any) -> httpx2.Response:
    return httpx2.post(f"{fake.origin}{path}", json=body, **kwargs)


def test_text_requests_are_answered_in_agent_mode(client: genai.Client) -> None:
    response = client.models.generate_content(model=TEXT_MODEL, contents="hello there")

    assert response.text == "You said: hello there. How can I help with images today?"
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.prompt_token_count > 0


def test_an_image_request_with_tools_gets_a_generate_image_call_with_the_document_id(client: genai.Client) -> None:
    request = f"please edit {DOCUMENT_ID}: make it blue"

    response = client.models.generate_content(model=TEXT_MODEL, contents=request, config=MANUAL_TOOLS)

    (call,) = response.function_calls
    assert call.name == "generate_image"
    assert call.args == {"prompt": request, "input_image_document_id": DOCUMENT_ID}
    assert response.candidates[0].content.parts[0].thought_signature == base64.b64decode(THOUGHT_SIGNATURE)


def test_a_streamed_function_call_parses_into_sdk_chunks(client: genai.Client) -> None:
    chunks = list(client.models.generate_content_stream(model=TEXT_MODEL, contents="draw a cat", config=MANUAL_TOOLS))

    calls = [call for chunk in chunks for call in chunk.function_calls or []]
    assert [(c.name, c.args) for c in calls] == [("generate_image", {"prompt": "draw a cat"})]
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP


def test_streamed_text_arrives_in_pieces_with_full_usage_on_the_last_chunk(client: genai.Client) -> None:
    chunks = list(client.models.generate_content_stream(model=TEXT_MODEL, contents="tell me about foxes"))

    assert len(chunks) > 2
    assert "".join(chunk.text for chunk in chunks) == "You said: tell me about foxes. How can I help with images today?"
    assert all(chunk.candidates[0].finish_reason is None for chunk in chunks[:-1])
    assert chunks[-1].usage_metadata.candidates_token_count > 0


def test_a_function_response_turn_is_answered_with_the_closing_text(client: genai.Client) -> None:
    contents = [
        types.Content(role="user", parts=[types.Part.from_text(text="draw a fox")]),
        types.Content(
            role="model", parts=[types.Part.from_function_call(name="generate_image", args={"prompt": "fox"})]
        ),
        types.Content(
            role="user", parts=[types.Part.from_function_response(name="generate_image", response={"result": "ok"})]
        ),
    ]

    response = client.models.generate_content(model=TEXT_MODEL, contents=contents, config=MANUAL_TOOLS)

    assert response.text == "Here is your image."


def test_image_output_decodes_as_a_png_of_the_requested_aspect_and_size(client: genai.Client) -> None:
    config = types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"], image_config=types.ImageConfig(aspect_ratio="16:9", image_size="2K")
    )

    response = client.models.generate_content(model=IMAGE_MODEL, contents="a red fox", config=config)

    parts = response.candidates[0].content.parts
    assert parts[0].text == "Here is the image you asked for."
    assert parts[1].inline_data.mime_type == "image/png"
    assert image_size(parts[1].inline_data.data) == (2688, 1536)
    assert response.usage_metadata.candidates_tokens_details[0].modality == types.MediaModality.IMAGE


def test_input_images_are_recorded_byte_for_byte(fake: FakeGemini, client: genai.Client) -> None:
    source = png(colour=(1, 2, 3))
    config = types.GenerateContentConfig(response_modalities=["IMAGE"])

    response = client.models.generate_content(
        model=IMAGE_MODEL,
        contents=["make it purple", types.Part.from_bytes(data=source, mime_type="image/png")],
        config=config,
    )

    assert fake.received_images() == [("image/png", source)]
    assert [part.text for part in response.candidates[0].content.parts] == [None]  # IMAGE only: no text part


def image_of(response: types.GenerateContentResponse) -> bytes:
    (part,) = [p for p in response.candidates[0].content.parts if p.inline_data]
    return part.inline_data.data


IMAGE_ONLY = types.GenerateContentConfig(response_modalities=["IMAGE"])


def test_without_a_seed_the_same_request_draws_a_new_picture_and_a_seed_repeats_one(client: genai.Client) -> None:
    def draw(seed: int | None = None) -> bytes:
        config = types.GenerateContentConfig(response_modalities=["IMAGE"], seed=seed)
        return image_of(client.models.generate_content(model=IMAGE_MODEL, contents="a red fox", config=config))

    assert draw() != draw()
    assert draw(seed=7) == draw(seed=7) != draw(seed=8)


def test_an_edit_without_an_aspect_ratio_follows_the_input_and_is_derived_from_it(client: genai.Client) -> None:
    source = png(600, 400, (30, 60, 90))

    response = client.models.generate_content(
        model=IMAGE_MODEL,
        contents=["add a moon", types.Part.from_bytes(data=source, mime_type="image/png")],
        config=IMAGE_ONLY,
    )

    edited = Image.open(io.BytesIO(image_of(response))).convert("RGB")
    assert edited.size == (1248, 832)  # 3:2, the supported ratio nearest 600x400
    assert changed_fraction(Image.new("RGB", edited.size, (30, 60, 90)), edited) == 1.0  # every pixel moved...
    assert max(abs(a - b) for a, b in zip(edited.getpixel((5, 5)), (30, 60, 90), strict=True)) <= 11  # ...a little
    assert min(abs(a - b) for a, b in zip(edited.getpixel((624, 416)), (30, 60, 90), strict=True)) >= 64  # the middle


def test_several_inputs_are_kept_in_order_and_the_last_one_sets_the_shape(
    fake: FakeGemini, client: genai.Client
) -> None:
    first, last = png(600, 400, (200, 0, 0)), png(400, 600, (0, 0, 200))
    parts = [types.Part.from_bytes(data=data, mime_type="image/png") for data in (first, last)]

    response = client.models.generate_content(model=IMAGE_MODEL, contents=["merge", *parts], config=IMAGE_ONLY)

    assert fake.received_images() == [("image/png", first), ("image/png", last)]
    edited = Image.open(io.BytesIO(image_of(response))).convert("RGB")
    assert edited.size == (832, 1248)  # 2:3 like the last input, but drawn from the first one
    assert max(abs(a - b) for a, b in zip(edited.getpixel((5, 5)), (200, 0, 0), strict=True)) <= 11


def test_an_explicit_aspect_ratio_wins_over_the_inputs_shape(client: genai.Client) -> None:
    config = types.GenerateContentConfig(
        response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio="1:1")
    )
    contents = ["add a moon", types.Part.from_bytes(data=png(600, 400), mime_type="image/png")]

    response = client.models.generate_content(model=IMAGE_MODEL, contents=contents, config=config)

    assert image_size(image_of(response)) == (1024, 1024)


@pytest.mark.parametrize(
    ("status", "exception", "google_status"),
    [
        (400, errors.ClientError, "INVALID_ARGUMENT"),
        (403, errors.ClientError, "PERMISSION_DENIED"),
        (429, errors.ClientError, "RESOURCE_EXHAUSTED"),
        (500, errors.ServerError, "INTERNAL"),
        (503, errors.ServerError, "UNAVAILABLE"),
    ],
)
def test_each_error_status_raises_the_sdk_error_with_its_google_status(
    fake: FakeGemini, client: genai.Client, status: int, exception: type[errors.APIError], google_status: str
) -> None:
    fake.faults.update(status=status)

    with pytest.raises(exception) as caught:
        client.models.generate_content(model=TEXT_MODEL, contents="hello")

    assert caught.value.code == status and caught.value.status == google_status


def test_a_rate_limit_body_carries_retry_info_in_google_duration_form(fake: FakeGemini) -> None:
    fake.faults.update(status=429, retry_after=0.25)

    response = raw_post(fake, f"/v1beta/models/{TEXT_MODEL}:generateContent", {}, headers={"x-goog-api-key": API_KEY})

    assert response.text.startswith('{\n  "error": {\n    "code": 429')  # pretty-printed like Google's
    details = response.json()["error"]["details"]
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.25s"} in details


def test_a_blocked_prompt_has_prompt_feedback_and_no_candidates(fake: FakeGemini, client: genai.Client) -> None:
    fake.faults.update(block_reason="PROHIBITED_CONTENT")

    response = client.models.generate_content(model=TEXT_MODEL, contents="hello")

    assert response.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT
    assert not response.candidates


def test_an_unsafe_image_ends_with_image_safety_and_no_image(fake: FakeGemini, client: genai.Client) -> None:
    fake.faults.update(safety=True)

    response = client.models.generate_content(
        model=IMAGE_MODEL, contents="a fox", config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"])
    )

    (candidate,) = response.candidates
    assert candidate.finish_reason == types.FinishReason.IMAGE_SAFETY
    assert candidate.content is None  # (the SDK's Gemini-API converter drops finishMessage)


def test_an_error_chunk_mid_stream_raises_a_server_error(fake: FakeGemini, client: genai.Client) -> None:
    fake.faults.update(stream_error="UNAVAILABLE", after=1)
    received = []

    with pytest.raises(errors.ServerError) as caught:
        for chunk in client.models.generate_content_stream(model=TEXT_MODEL, contents="tell me about foxes"):
            received.append(chunk.text)

    assert caught.value.code == 503 and received == ["You said: tell "]


def test_stream_frames_are_data_lines_with_crlf_separators(fake: FakeGemini) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}

    response = raw_post(fake, f"/v1beta/models/{TEXT_MODEL}:streamGenerateContent?alt=sse&key={API_KEY}", body)

    assert response.headers["content-type"].startswith("text/event-stream")
    frames = response.content.split(b"\r\n\r\n")
    assert frames[-1] == b"" and all(frame.startswith(b'data: {"candidates": [') for frame in frames[:-1])


def test_a_request_without_an_api_key_is_refused_with_permission_denied(fake: FakeGemini) -> None:
    body = {"contents": [{"parts": [{"text": "hi"}]}]}

    response = raw_post(fake, f"/v1beta/models/{TEXT_MODEL}:generateContent", body)

    assert response.status_code == 403 and response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_both_api_versions_are_served(fake: FakeGemini) -> None:
    pinned = genai.Client(api_key=API_KEY, http_options=types.HttpOptions(base_url=fake.origin, api_version="v1beta"))

    assert pinned.models.generate_content(model=TEXT_MODEL, contents="hi").text
    assert fake.requests[-1]["path"] == f"/v1beta/models/{TEXT_MODEL}:generateContent"


def test_a_schema_keyword_outside_the_gemini_subset_is_rejected(fake: FakeGemini) -> None:
    declaration = {
        "name": "generate_image",
        "parameters": {"type": "OBJECT", "properties": {"prompt": {"type": "STRING"}}, "additionalProperties": False},
    }
    body = {"contents": [{"parts": [{"text": "hi"}]}], "tools": [{"functionDeclarations": [declaration]}]}

    response = raw_post(fake, f"/v1beta/models/{TEXT_MODEL}:generateContent?key={API_KEY}", body)

    assert response.status_code == 400
    assert 'Unknown name "additionalProperties"' in response.json()["error"]["message"]


def test_a_gemini_3_function_call_without_a_thought_signature_is_rejected(fake: FakeGemini) -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "draw a fox"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "generate_image", "args": {"prompt": "fox"}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "generate_image", "response": {"result": "ok"}}}]},
        ]
    }

    response = raw_post(fake, f"/v1beta/models/gemini-3-flash-preview:generateContent?key={API_KEY}", body)

    assert response.status_code == 400 and "missing a thought_signature" in response.json()["error"]["message"]


def test_a_reply_scripted_over_http_is_served(fake: FakeGemini, client: genai.Client) -> None:
    scripted = {"tool_calls": [{"name": "generate_image", "arguments": {"prompt": "a cube"}}]}
    httpx2.post(f"{fake.origin}/__fake__/script", json=scripted).raise_for_status()

    response = client.models.generate_content(model=TEXT_MODEL, contents="hello", config=MANUAL_TOOLS)

    assert response.function_calls[0].args == {"prompt": "a cube"}


def test_the_fake_serves_from_the_command_line() -> None:
    process, origin = serve_from_command_line("tests.fakes.gemini")
    try:
        sdk = genai.Client(api_key=API_KEY, http_options=types.HttpOptions(base_url=origin))
        assert sdk.models.generate_content(model=TEXT_MODEL, contents="hello").text.startswith("You said: hello")
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_a_callers_own_tool_named_by_the_user_is_called_and_its_output_relayed(client: genai.Client) -> None:
    weather = types.FunctionDeclaration(
        name="get_weather",
        parameters=types.Schema(type=types.Type.OBJECT, properties={"city": types.Schema(type=types.Type.STRING)}),
    )
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[weather])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    ask = types.Content(role="user", parts=[types.Part.from_text(text="use get_weather for Oslo")])

    response = client.models.generate_content(model=TEXT_MODEL, contents=[ask], config=config)

    (call,) = response.function_calls
    assert call.name == "get_weather" and call.args == {"city": "use get_weather for Oslo"}
    contents = [
        ask,
        response.candidates[0].content,
        types.Content(
            role="user",
            parts=[types.Part.from_function_response(name="get_weather", response={"result": "Snow, -3 C"})],
        ),
    ]
    answer = client.models.generate_content(model=TEXT_MODEL, contents=contents, config=config)
    assert answer.text == "The tool said: Snow, -3 C"
