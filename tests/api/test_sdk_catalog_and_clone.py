"""The official backboard-sdk against a live Easel (both topologies): the model catalog, cloning
an assistant, and the honest refusals of memory, embeddings and video."""

from __future__ import annotations

import httpx
import pytest
from backboard import BackboardClient
from backboard.exceptions import BackboardNotFoundError, BackboardValidationError
from backboard.models import AssistantCloneResponse, Model, ModelsListResponse, ProvidersListResponse
from PIL import Image


def client_for(easel, key: str | None = None) -> BackboardClient:
    return BackboardClient(api_key=key or easel.api_key, base_url=easel.api_url)


def red_square(path):
    Image.new("RGB", (48, 48), (220, 30, 30)).save(path, "PNG")
    return path


async def test_list_models_is_the_whole_catalog_llms_and_image_models(easel):
    listed = await client_for(easel).list_models(limit=500)

    assert isinstance(listed, ModelsListResponse) and all(isinstance(m, Model) for m in listed.models)
    assert listed.total == len(listed.models)
    kinds = {(m.provider, m.name): m.model_type for m in listed.models}
    assert kinds[("local", "easel-local-agent")] == "llm"
    assert kinds[("openrouter", "google/gemini-3.1-flash-image-preview")] == "image"
    local = next(m for m in listed.models if m.name == "easel-local-agent")
    assert local.context_limit == 8192 and local.supports_tools is True and local.last_updated is not None


async def test_list_models_filters_and_pages_as_the_sdk_asks(easel):
    client = client_for(easel)

    images = await client.list_models(model_type="image")
    tools = await client.list_models(supports_tools=True, provider="openai")
    wide = await client.list_models(model_type="llm", min_context=1_000_000)
    second = await client.list_models(skip=1, limit=1)

    assert images.models and {m.model_type for m in images.models} == {"image"}
    assert tools.models and all(m.provider == "openai" and m.supports_tools for m in tools.models)
    assert wide.models and all(m.context_limit >= 1_000_000 for m in wide.models)
    assert len(second.models) == 1 and second.total > 1
    with pytest.raises(BackboardValidationError, match="min_context"):
        await client._make_request("GET", "/models", params={"min_context": "many"})


async def test_get_model_finds_names_with_slashes_and_ignores_case(easel):
    client = client_for(easel)

    routed = await client.get_model("openai/gpt-4.1")
    image = await client.get_model("google/gemini-3.1-flash-image-preview")
    shouting = await client.get_model("GPT-4.1")

    assert (routed.provider, routed.name, routed.model_type) == ("openrouter", "openai/gpt-4.1", "llm")
    assert (image.provider, image.model_type, image.supports_vision) == ("openrouter", "image", True)
    assert (shouting.provider, shouting.name) == ("openai", "gpt-4.1")
    with pytest.raises(BackboardNotFoundError, match="no-such-model"):
        await client.get_model("no-such-model")


async def test_models_by_provider_and_the_provider_list(easel):
    client = client_for(easel)

    anthropic = await client.list_models_by_provider("anthropic")
    providers = await client.list_providers()

    assert {m.name for m in anthropic.models} == {"claude-sonnet-4-5", "claude-haiku-4-5"}
    assert anthropic.total == 2
    assert isinstance(providers, ProvidersListResponse)
    assert {"local", "openai", "anthropic", "google", "openrouter"} <= set(providers.providers)
    assert providers.total == len(providers.providers)
    with pytest.raises(BackboardNotFoundError, match="nobody"):
        await client.list_models_by_provider("nobody")


async def test_the_catalog_says_which_providers_the_project_can_use(easel):
    response = httpx.get(f"{easel.api_url}/models/local/easel-local-agent", headers={"X-API-Key": easel.api_key})

    assert response.status_code == 200 and response.json()["configured"] is True


async def test_clone_copies_settings_and_shares_documents_by_reference(easel, tmp_path):
    client = client_for(easel)
    source = await client.create_assistant(name="Painter", system_prompt="You paint.", description="the original")
    uploaded = await client.upload_document_to_assistant(source.assistant_id, str(red_square(tmp_path / "red.png")))

    cloned = await client.clone_assistant(source.assistant_id, system_prompt="You paint twice.")

    assert isinstance(cloned, AssistantCloneResponse)
    assert (cloned.documents_cloned, cloned.memories_cloned) == (1, 0)
    assert cloned.assistant.assistant_id != source.assistant_id
    assert (cloned.assistant.name, cloned.assistant.description) == ("Painter Copy", "the original")
    assert cloned.assistant.system_prompt == "You paint twice."
    [copy] = await client.list_assistant_documents(cloned.assistant.assistant_id)
    assert copy.document_id != uploaded.document_id
    original_bytes = httpx.get(uploaded.metadata_["url"], timeout=10).content
    assert httpx.get(copy.metadata_["url"], timeout=10).content == original_bytes
    assert copy.metadata_["sha256"] == uploaded.metadata_["sha256"]

    await client.delete_document(uploaded.document_id)

    still = await client.get_document_status(copy.document_id)
    kept = httpx.get(still.metadata_["url"], timeout=10)
    assert kept.status_code == 200 and kept.content == original_bytes


async def test_clone_without_documents_names_its_copy_and_copies_none(easel, tmp_path):
    client = client_for(easel)
    source = await client.create_assistant(name="Sketcher")
    await client.upload_document_to_assistant(source.assistant_id, str(red_square(tmp_path / "red.png")))

    cloned = await client.clone_assistant(source.assistant_id, name="Second", copy_documents=False)

    assert (cloned.assistant.name, cloned.documents_cloned) == ("Second", 0)
    assert await client.list_assistant_documents(cloned.assistant.assistant_id) == []


async def test_another_projects_key_cannot_clone_this_projects_assistant(easel):
    source = await client_for(easel).create_assistant(name="Mine")

    with pytest.raises(BackboardNotFoundError, match="Assistant not found"):
        await client_for(easel, easel.other_api_key).clone_assistant(source.assistant_id)


async def test_memory_calls_raise_the_sdks_validation_error_saying_not_supported(easel):
    client = client_for(easel)
    assistant = await client.create_assistant(name="Rememberer")
    aid = assistant.assistant_id
    calls = [
        client.get_memories(aid),
        client.add_memory(aid, "likes red"),
        client.get_memory(aid, "m1"),
        client.update_memory(aid, "m1", "likes blue"),
        client.delete_memory(aid, "m1"),
        client.get_memory_stats(aid),
        client.get_memory_insights(aid),
        client.reset_memories(aid),
        client.search_memories(aid, "red"),
        client.get_memory_operation_status("op-1"),
    ]
    for call in calls:
        with pytest.raises(BackboardValidationError, match="Memory is not supported by Easel"):
            await call


async def test_embedding_and_video_calls_raise_the_sdks_validation_error(easel):
    client = client_for(easel)
    embedding_calls = [
        client.list_embedding_models(),
        client.list_embedding_providers(),
        client.get_embedding_model("openai/text-embedding-3-large"),
    ]
    for call in embedding_calls:
        with pytest.raises(BackboardValidationError, match="Embeddings are not supported by Easel"):
            await call
    for call in [client.list_video_models(), client.get_video_model("google/veo-3")]:
        with pytest.raises(BackboardValidationError, match="Video is not supported by Easel"):
            await call


async def test_video_and_voice_turns_are_refused_before_anything_is_stored(easel):
    client = client_for(easel)
    thread = await client.create_thread((await client.create_assistant(name="Film")).assistant_id)

    with pytest.raises(BackboardValidationError, match="Video is not supported by Easel"):
        await client.add_message(thread.thread_id, "a film of a cat", video_generation="auto")
    with pytest.raises(BackboardValidationError, match="Voice is not supported by Easel"):
        await client.add_message(thread.thread_id, "say hello", voice={"tts": {"voice": "alloy"}})
    with pytest.raises(BackboardValidationError, match="not supported by Easel"):
        await client.send_message("a film", operation="generate_video")
    assert (await client.get_thread(thread.thread_id)).messages == []
