"""Which adapter class serves which provider: the one place that turns a provider's name and
connection settings into an adapter.

Adapters are imported lazily by dotted path, so a missing optional dependency in one vendor
module never breaks another. Which provider and model a run uses, and with whose key, is the
domain's choice (`designs.services.model_choice`); the caller passes the result in. Any LLM
provider name without a class of its own is an OpenAI-compatible server, served by
`OpenAIChat` under its own name.
"""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string

from workers.providers.base import ImageProvider, LLMProvider, ProviderError
from workers.providers.http import ProviderSettings

LOCAL = "local"

LLM_CLASSES = {
    "local": "workers.providers.local_agent.LocalAgent",
    "openai": "workers.providers.openai.OpenAIChat",
    "openrouter": "workers.providers.openrouter.OpenRouterChat",
    "anthropic": "workers.providers.anthropic.AnthropicChat",
    "google": "workers.providers.google.GeminiChat",
}
IMAGE_CLASSES = {
    "local": "workers.providers.local_images.LocalImages",
    "openai": "workers.providers.openai.OpenAIImages",
    "openrouter": "workers.providers.openrouter.OpenRouterImages",
    "google": "workers.providers.google.GeminiImages",
}
OPENAI_COMPATIBLE_CLASS = "workers.providers.openai.OpenAIChat"


def llm_adapter(name: str, connection: ProviderSettings | None) -> LLMProvider:
    """The LLM adapter for a resolved provider name; `connection` is None only for local."""
    if name in LLM_CLASSES:
        return _instantiate(LLM_CLASSES[name], name, connection)
    return import_string(OPENAI_COMPATIBLE_CLASS)(_required(name, connection), name=name)


def image_adapter(name: str, connection: ProviderSettings | None) -> ImageProvider:
    """The image adapter for a resolved provider name; `connection` is None only for local."""
    if name not in IMAGE_CLASSES:
        raise ProviderError(f"Unknown image provider '{name}'", permanent=True, kind="not_configured")
    return _instantiate(IMAGE_CLASSES[name], name, connection)


def _instantiate(path: str, name: str, connection: ProviderSettings | None) -> Any:
    cls = import_string(path)
    if name == LOCAL:
        return cls(None)
    return cls(_required(name, connection))


def _required(name: str, connection: ProviderSettings | None) -> ProviderSettings:
    # Accepted turns checked this, but a key can be deleted between acceptance and execution.
    if connection is None:
        raise ProviderError(
            f"Provider '{name}' is no longer configured for this project", permanent=True, kind="not_configured"
        )
    return connection
