"""The official backboard-sdk 1.5.19, unmodified, against a live Easel over real HTTP."""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from backboard import BackboardClient
from backboard.exceptions import BackboardNotFoundError, BackboardValidationError
from PIL import Image

IMAGE_FIELDS = dict(
    llm_provider="openai",
    model_name="gpt-4.1",
    image_generation="auto",
    image_model_provider="openrouter",
    image_model_name="google/gemini-3.1-flash-image-preview",
)
ROBOT = "Generate a square image of a tiny red robot watering a sunflower in a sunny garden."


def client_for(easel, key: str | None = None) -> BackboardClient:
    return BackboardClient(api_key=key or easel.api_key, base_url=easel.api_url)


def fetch_image(url: str) -> Image.Image:
    response = httpx.get(url, timeout=10)  # no API key: signed URLs stand alone
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/")
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


async def collect(stream) -> list[dict]:
    return [chunk async for chunk in stream]


async def test_send_message_without_stream_returns_an_image_and_ids(easel):
    response = await client_for(easel).send_message(ROBOT, **IMAGE_FIELDS)

    assert response.status == "COMPLETED"
    assert response.content
    uuid.UUID(str(response.thread_id))
    uuid.UUID(str(response.assistant_id))
    media = response.generated_media
    assert len(media) == 1
    image = fetch_image(media[0]["url"])
    assert image.size == (media[0]["width"], media[0]["height"])
    assert image.size[0] == image.size[1], "the prompt asked for a square image"


async def test_streaming_sends_events_in_order_with_ids_on_each(easel):
    chunks = await collect(await client_for(easel).send_message(ROBOT, stream=True, **IMAGE_FIELDS))

    types = [c["type"] for c in chunks]
    assert types[0] == "user_message"
    assert types.index("tool_call_start") < types.index("tool_call_ready") < types.index("media_generated")
    assert types.index("media_generated") < types.index("content_streaming")
    assert types[-1] == "run_ended"
    assert len({c["run_id"] for c in chunks}) == 1
    assert all(c["thread_id"] == chunks[0]["thread_id"] and c["assistant_id"] for c in chunks)
    media = next(c for c in chunks if c["type"] == "media_generated")["media"]
    assert set(media) >= {"document_id", "url", "mime_type", "file_size_bytes", "width", "height"}
    fetched = httpx.get(media["url"], timeout=10)
    assert len(fetched.content) == media["file_size_bytes"]
    streamed = "".join(c["content"] for c in chunks if c["type"] == "content_streaming")
    assert chunks[-1]["final_content"] == streamed
    assert chunks[-1]["status"] == "completed"


async def test_the_launch_posts_edit_flow_edits_the_named_document(easel):
    client = client_for(easel)
    first = await collect(await client.send_message(ROBOT, stream=True, **IMAGE_FIELDS))
    thread_id = first[0]["thread_id"]
    original = next(c for c in first if c["type"] == "media_generated")["media"]

    second = await collect(
        await client.send_message(
            f"Edit the generated image with document_id {original['document_id']}. "
            "Pass this exact id as input_image_document_id to the generate_image tool. "
            "Make the robot blue and add a small crescent moon in the sky.",
            thread_id=thread_id,
            stream=True,
            **IMAGE_FIELDS,
        )
    )

    edited = next(c for c in second if c["type"] == "media_generated")["media"]
    assert edited["document_id"] != original["document_id"]
    assert edited["input_image_document_id"] == original["document_id"]
    before, after = fetch_image(original["url"]).convert("RGB"), fetch_image(edited["url"]).convert("RGB")
    assert before.size == after.size
    blue = lambda img: sum(p[2] for p in img.resize((64, 64)).get_flattened_data())  # noqa: E731
    assert blue(after) > blue(before), "the edit made the robot blue"


async def test_a_later_turn_edits_the_latest_image_without_its_id(easel):
    client = client_for(easel)
    first = await client.send_message("Draw a red house on a hill.", **IMAGE_FIELDS)
    original = first.generated_media[0]

    second = await client.send_message("Make it blue.", thread_id=first.thread_id, **IMAGE_FIELDS)

    assert second.generated_media[0]["input_image_document_id"] == original["document_id"]
    documents = await client.list_thread_documents(first.thread_id)
    assert {str(d.document_id) for d in documents} == {
        original["document_id"],
        second.generated_media[0]["document_id"],
    }


async def test_text_only_turns_stream_text_and_call_no_tool(easel):
    chunks = await collect(await client_for(easel).send_message("What can you do?", stream=True, **IMAGE_FIELDS))

    types = {c["type"] for c in chunks}
    assert "media_generated" not in types and "tool_call_start" not in types
    assert sum(1 for c in chunks if c["type"] == "content_streaming") > 3


async def test_add_message_uses_the_form_encoding_and_continues_the_thread(easel):
    client = client_for(easel)
    first = await client.send_message("hello", **IMAGE_FIELDS)

    reply = await client.add_message(
        first.thread_id,
        "Draw a green tree, please.",
        llm_provider="openai",
        model_name="gpt-4.1",
        image_generation="auto",
        image_model_provider="openrouter",
        image_model_name="google/gemini-3.1-flash-image-preview",
        image_config={"aspect_ratio": "16:9"},
    )

    assert str(reply.thread_id) == str(first.thread_id)
    image = fetch_image(reply.generated_media[0]["url"])
    assert image.size[0] > image.size[1], "image_config.aspect_ratio 16:9 was honoured"
    thread = await client.get_thread(first.thread_id)
    assert [m.role for m in thread.messages][:2] == ["user", "assistant"]
    assert len([m for m in thread.messages if m.role == "user"]) == 2


async def test_threads_assistants_and_documents_round_trip(easel):
    client = client_for(easel)
    assistant = await client.create_assistant(name="Image Bot", system_prompt="You draw.")
    reply = await client.send_message(ROBOT, assistant_id=assistant.assistant_id, **IMAGE_FIELDS)
    document_id = reply.generated_media[0]["document_id"]

    assert str(reply.assistant_id) == str(assistant.assistant_id)
    threads = await client.list_threads()
    assert str(reply.thread_id) in {str(t.thread_id) for t in threads}
    status = await client.get_document_status(document_id)
    assert status.status == "indexed"
    await client.delete_document(document_id)
    with pytest.raises(BackboardNotFoundError):
        await client.get_document_status(document_id)
    assert httpx.get(reply.generated_media[0]["url"], timeout=10).status_code == 404
    fetched = await client.get_assistant(assistant.assistant_id)
    assert fetched.name == "Image Bot"
    await client.delete_thread(reply.thread_id)
    with pytest.raises(BackboardNotFoundError):
        await client.get_thread(reply.thread_id)


async def test_the_image_catalog_lists_local_engines_and_names_with_slashes(easel):
    client = client_for(easel)
    models = await client.list_image_models()
    providers = await client.list_image_providers()
    model = await client.get_image_model("google/gemini-3.1-flash-image-preview")

    names = {(m.provider, m.name) for m in models.models}
    assert ("local", "easel-local-painter") in names
    assert models.total == len(models.models)
    assert "openrouter" in providers.providers
    assert model.provider == "openrouter" and model.supports_vision


async def test_another_projects_key_sees_none_of_this_projects_data(easel):
    mine = await client_for(easel).send_message(ROBOT, **IMAGE_FIELDS)
    theirs = client_for(easel, easel.other_api_key)

    with pytest.raises(BackboardNotFoundError):
        await theirs.get_thread(mine.thread_id)
    with pytest.raises(BackboardNotFoundError):
        await theirs.get_document_status(mine.generated_media[0]["document_id"])
    with pytest.raises(BackboardNotFoundError):
        await theirs.send_message("make it blue", thread_id=mine.thread_id, **IMAGE_FIELDS)
    assert str(mine.thread_id) not in {str(t.thread_id) for t in await theirs.list_threads()}


async def test_an_edit_naming_another_projects_image_becomes_a_tool_error(easel):
    theirs = await client_for(easel, easel.other_api_key).send_message(ROBOT, **IMAGE_FIELDS)
    foreign_id = theirs.generated_media[0]["document_id"]

    reply = await client_for(easel).send_message(
        f"Edit the image with document_id {foreign_id}: make it blue.", **IMAGE_FIELDS
    )

    assert reply.status == "COMPLETED"
    assert reply.generated_media == []
    assert f"No image with document_id {foreign_id} in this project" in reply.content


async def test_validation_errors_raise_the_sdks_validation_error(easel):
    client = client_for(easel)
    with pytest.raises(BackboardValidationError, match="Unknown image model"):
        await client.send_message(
            ROBOT,
            llm_provider="openai",
            model_name="gpt-4.1",
            image_generation="auto",
            image_model_provider="openrouter",
            image_model_name="no/such-model",
        )
    with pytest.raises(BackboardValidationError):
        await client.send_message("", llm_provider="openai")
