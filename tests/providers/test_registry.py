"""Provider configuration: OpenAI-compatible servers by name, keys kept out of errors, long waits refused,
and the image_config options each catalog entry accepts."""

from __future__ import annotations

import dataclasses
import time

import pytest

from designs import catalog
from designs.exceptions import Invalid
from designs.services import model_choice
from designs.services.image_config import validate_image_config
from tests.fakes.openai import FakeOpenAI
from tests.providers.kit import API_KEY, fast_settings
from workers import adapters
from workers.providers import registry
from workers.providers.base import ChatMessage, ChatRequest, ProviderError
from workers.providers.openai import OpenAIChat


def hello() -> ChatRequest:
    return ChatRequest(model="any-model", messages=(ChatMessage(role="user", content="hello"),))


@pytest.fixture
def compat(settings):
    settings.EASEL_PROVIDERS = {
        **settings.EASEL_PROVIDERS,
        "ollama": {
            "key_setting": "OLLAMA_API_KEY",
            "api_key": "",
            "base_url": "http://127.0.0.1:11434/v1",
            "openai_compatible": True,
            "models": [],
        },
        "vllm": {
            "key_setting": "VLLM_API_KEY",
            "api_key": "vk-123456789",
            "base_url": "http://gpu:8000/v1",
            "openai_compatible": True,
            "models": ["qwen3-8b", "llama3.1"],
        },
    }
    settings.EASEL_LOCAL_FALLBACK = False


def test_an_openai_compatible_server_is_an_llm_provider_under_its_own_name(compat):
    chat = registry.llm_adapter("vllm", adapters.connection("vllm"))

    assert isinstance(chat, OpenAIChat) and chat.name == "vllm"
    assert chat.settings.base_url == "http://gpu:8000/v1" and chat.settings.api_key == "vk-123456789"
    assert "vllm" in model_choice.llm_provider_names() and "vllm" not in model_choice.image_provider_names()


def test_every_provider_the_catalog_names_has_an_adapter_and_no_adapter_is_unlisted():
    assert set(model_choice.image_provider_names()) == set(registry.IMAGE_CLASSES)
    assert {m.provider for m in catalog.LLM_MODELS} == set(registry.LLM_CLASSES)


def test_its_declared_models_are_listed_and_the_first_is_its_default(compat):
    listed = [(m.provider, m.name) for m in model_choice.llm_models() if m.provider in ("vllm", "ollama")]

    assert listed == [("ollama", "*"), ("vllm", "qwen3-8b"), ("vllm", "llama3.1")]
    assert model_choice.resolve_llm("vllm", None) == model_choice.Choice("vllm", "qwen3-8b")
    assert model_choice.resolve_llm(None, "llama3.1") == model_choice.Choice("vllm", "llama3.1")


def test_a_server_without_declared_models_takes_any_name_but_needs_one(compat):
    assert model_choice.resolve_llm("ollama", "mistral-small") == model_choice.Choice("ollama", "mistral-small")
    with pytest.raises(Invalid, match="model_name is required"):
        model_choice.resolve_llm("ollama", None)


def test_a_server_without_a_key_gets_no_authorization_header():
    with FakeOpenAI() as fake:
        chat = OpenAIChat(fast_settings(fake.origin + "/v1", api_key=""), name="ollama")
        with pytest.raises(ProviderError) as caught:
            list(chat.stream(hello()))

    assert "authorization" not in fake.requests[0]["headers"]
    assert caught.value.kind == "auth" and caught.value.message.startswith("ollama returned HTTP 401")


def test_a_key_the_provider_quotes_back_is_masked_in_the_error():
    with FakeOpenAI(status=401, message=f"Incorrect API key provided: {API_KEY}.") as fake:
        chat = OpenAIChat(fast_settings(fake.origin + "/v1"))
        with pytest.raises(ProviderError) as caught:
            list(chat.stream(hello()))

    assert API_KEY not in caught.value.message and API_KEY not in str(caught.value)
    assert f"****{API_KEY[-4:]}" in caught.value.message


def test_a_retry_after_longer_than_the_limit_fails_at_once():
    with FakeOpenAI(status=429, retry_after=60) as fake:
        chat = OpenAIChat(dataclasses.replace(fast_settings(fake.origin + "/v1"), max_retry_wait=1.0))
        started = time.monotonic()
        with pytest.raises(ProviderError) as caught:
            list(chat.stream(hello()))

    assert time.monotonic() - started < 1 and len(fake.requests) == 1
    assert caught.value.kind == "rate_limited" and "asked to wait 60 s" in caught.value.message


def test_the_settings_repr_hides_the_key():
    assert API_KEY not in repr(fast_settings("http://127.0.0.1:1/v1"))


# --- image_config against the catalog ------------------------------------------------------------


def entry(provider: str, name: str) -> catalog.ImageModel:
    found = catalog.find_image_model(provider, name)
    assert found is not None
    return found


@pytest.mark.parametrize(
    "config",
    [
        {"partial_images": 0},
        {"partial_images": 3},
        {"moderation": "low"},
        {"input_fidelity": "high"},
        {"size": "1536x1024", "quality": "high", "background": "transparent", "output_format": "webp"},
    ],
)
def test_gpt_image_1_takes_every_option_its_adapter_sends(config):
    assert validate_image_config(config, entry("openai", "gpt-image-1")) == config


@pytest.mark.parametrize(
    "provider, name, config, message",
    [
        ("openai", "gpt-image-1", {"partial_images": 4}, "allowed 0–3"),
        ("openai", "gpt-image-1", {"partial_images": 2, "n": 2}, "partial_images needs n=1"),
        ("openai", "gpt-image-1-mini", {"input_fidelity": "high"}, "not supported"),
        ("openai", "dall-e-3", {"partial_images": 1}, "not supported"),
        ("google", "gemini-2.5-flash-image", {"provider": {"order": ["google"]}}, "not supported"),
        ("google", "gemini-2.5-flash-image", {"resolution": "4K"}, "not supported"),
    ],
)
def test_options_a_model_cannot_honour_are_refused_before_any_call(provider, name, config, message):
    with pytest.raises(Invalid, match=message):
        validate_image_config(config, entry(provider, name))


def test_openrouter_takes_its_routing_object_and_dall_e_3_its_style():
    routing = {"provider": {"order": ["google-vertex"]}}
    assert validate_image_config(routing, entry("openrouter", "google/gemini-2.5-flash-image")) == routing
    assert validate_image_config({"style": "natural"}, entry("openai", "dall-e-3")) == {"style": "natural"}
