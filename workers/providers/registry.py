"""Which class serves which provider, and whether a provider can be used right now.

Adapters are imported lazily by dotted path, so a missing optional dependency in one vendor
module never breaks another. `resolve_llm` / `resolve_image_model` turn what a request asked
for into what will run, applying the server defaults and the local fallback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from workers.providers import catalog
from workers.providers.base import ImageProvider, LLMProvider
from workers.providers.http import ProviderSettings

logger = logging.getLogger(__name__)

LLM_CLASSES = {
    "local": "workers.providers.local_agent.LocalAgent",
    "openai": "workers.providers.openai.OpenAIChat",
    "openrouter": "workers.providers.openrouter.OpenRouterChat",
    "anthropic": "workers.providers.anthropic.AnthropicChat",
    "google": "workers.providers.google.GeminiChat",
}
IMAGE_CLASSES = {
    "local": "workers.providers.local_painter.LocalImages",
    "openai": "workers.providers.openai.OpenAIImages",
    "openrouter": "workers.providers.openrouter.OpenRouterImages",
    "google": "workers.providers.google.GeminiImages",
}


class ProviderChoiceError(ValueError):
    """The request named a provider or model that cannot serve it (becomes a 400)."""


@dataclass(frozen=True)
class Choice:
    provider: str
    model: str
    fallback: bool = False  # the local engine stands in for a provider that is not configured


def provider_settings(name: str) -> ProviderSettings | None:
    """Connection settings for a configured provider, or None when its key is missing."""
    config: dict[str, Any] | None = settings.EASEL_PROVIDERS.get(name)
    if not config or not config.get("api_key"):
        return None
    return ProviderSettings(
        api_key=config["api_key"],
        base_url=config["base_url"],
        connect_timeout=settings.EASEL_PROVIDER_CONNECT_TIMEOUT,
        read_timeout=settings.EASEL_PROVIDER_READ_TIMEOUT,
        max_retries=settings.EASEL_PROVIDER_MAX_RETRIES,
    )


def _missing(name: str, kind: str) -> Choice:
    key_setting = settings.EASEL_PROVIDERS[name]["key_setting"]
    if not settings.EASEL_LOCAL_FALLBACK:
        raise ProviderChoiceError(
            f"{kind} provider '{name}' is not configured: set {key_setting} "
            "(or EASEL_LOCAL_FALLBACK=1 to use the local engines)"
        )
    local = catalog.DEFAULT_LOCAL_LLM if kind == "LLM" else catalog.DEFAULT_LOCAL_IMAGE_MODEL
    logger.warning("%s provider %s has no %s; EASEL_LOCAL_FALLBACK serves it with local/%s",
                   kind, name, key_setting, local)
    return Choice(catalog.LOCAL_PROVIDER, local, fallback=True)


def _default_llm() -> tuple[str, str]:
    if settings.EASEL_DEFAULT_LLM:
        provider, _, model = settings.EASEL_DEFAULT_LLM.partition("/")
        return provider, model
    for model in catalog.LLM_MODELS:
        if model.provider != catalog.LOCAL_PROVIDER and provider_settings(model.provider):
            return model.provider, model.name
    return catalog.LOCAL_PROVIDER, catalog.DEFAULT_LOCAL_LLM


def resolve_llm(provider: str | None, model: str | None) -> Choice:
    """The LLM a turn will use. Raises ProviderChoiceError for unknown or unconfigured ones."""
    if not provider and not model:
        provider, model = _default_llm()
    elif not provider:
        provider = next((m.provider for m in catalog.LLM_MODELS if m.name.lower() == model.lower()), "")
        if not provider:
            raise ProviderChoiceError(f"Unknown model '{model}': also give llm_provider")
    if provider not in LLM_CLASSES:
        raise ProviderChoiceError(
            f"Unknown llm_provider '{provider}'; choose one of {', '.join(sorted(LLM_CLASSES))}"
        )
    if provider == catalog.LOCAL_PROVIDER:
        return Choice(provider, model or catalog.DEFAULT_LOCAL_LLM)
    model = model or next(m.name for m in catalog.LLM_MODELS if m.provider == provider)
    if provider_settings(provider) is None:
        return _missing(provider, "LLM")
    return Choice(provider, model)


def _default_image_model() -> tuple[str, str]:
    if settings.EASEL_DEFAULT_IMAGE_MODEL:
        provider, _, name = settings.EASEL_DEFAULT_IMAGE_MODEL.partition("/")
        return provider, name
    for model in catalog.IMAGE_MODELS:
        if model.provider != catalog.LOCAL_PROVIDER and provider_settings(model.provider):
            return model.provider, model.name
    return catalog.LOCAL_PROVIDER, catalog.DEFAULT_LOCAL_IMAGE_MODEL


def resolve_image_model(provider: str | None, name: str | None) -> tuple[Choice, catalog.ImageModel]:
    """The image model a turn will use, with its catalog entry (whose options are validated)."""
    if not provider and not name:
        provider, name = _default_image_model()
    if not provider or not name:
        raise ProviderChoiceError(
            f"Unknown image model: {provider or '?'}/{name or '?'} "
            "(give both image_model_provider and image_model_name)"
        )
    entry = catalog.find_image_model(provider, name)
    if entry is None:
        raise ProviderChoiceError(f"Unknown image model: {provider}/{name}")
    if provider == catalog.LOCAL_PROVIDER or provider_settings(provider) is not None:
        return Choice(provider, entry.name), entry
    choice = _missing(provider, "Image")
    return choice, entry


def llm_provider(name: str) -> LLMProvider:
    """An instance of the LLM adapter for a resolved provider name."""
    return _instantiate(LLM_CLASSES[name], name)


def image_provider(name: str) -> ImageProvider:
    return _instantiate(IMAGE_CLASSES[name], name)


def _instantiate(path: str, name: str) -> Any:
    cls = import_string(path)
    return cls(provider_settings(name))
