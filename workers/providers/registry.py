"""Which class serves which provider, and whether a provider can be used right now.

Adapters are imported lazily by dotted path, so a missing optional dependency in one vendor
module never breaks another. `resolve_llm` / `resolve_image_model` turn what a request asked
for into what will run, applying the server defaults and the local fallback.

A provider is configured for a project when the project stored its own key for it
(`designs.services.credentials`) or the server has one. The project's key wins, and it is
looked up again by project id when the run executes, in whatever process that is.
OpenAI-compatible servers listed in EASEL_OPENAI_COMPATIBLE are LLM providers served by
`OpenAIChat` under their own name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from workers.providers import catalog
from workers.providers.base import ImageProvider, LLMProvider, ProviderError
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
OPENAI_COMPATIBLE_CLASS = "workers.providers.openai.OpenAIChat"


class ProviderChoiceError(ValueError):
    """The request named a provider or model that cannot serve it (becomes a 400)."""


@dataclass(frozen=True)
class Choice:
    provider: str
    model: str
    fallback: bool = False  # the local engine stands in for a provider that is not configured


def _config(name: str) -> dict[str, Any] | None:
    return settings.EASEL_PROVIDERS.get(name)


def openai_compatible_names() -> list[str]:
    return [name for name, config in settings.EASEL_PROVIDERS.items() if config.get("openai_compatible")]


def llm_provider_names() -> list[str]:
    return sorted([*LLM_CLASSES, *openai_compatible_names()])


def provider_settings(name: str, project_id: Any = None) -> ProviderSettings | None:
    """Connection settings for a provider, or None when neither the project nor the server has a key.

    With `project_id`, a key the project stored overrides the server's (and its base URL, if it
    gave one). Raises ProviderError(not_configured) when the project's key cannot be decrypted.
    """
    config = _config(name)
    if config is None:
        return None
    api_key, base_url = config["api_key"], config["base_url"]
    secret = _project_secret(name, project_id) if project_id is not None else None
    if secret is not None:
        api_key, base_url = secret.api_key, secret.base_url or base_url
    elif not api_key and not config.get("openai_compatible"):
        return None
    return ProviderSettings(
        api_key=api_key,
        base_url=base_url,
        connect_timeout=settings.EASEL_PROVIDER_CONNECT_TIMEOUT,
        read_timeout=settings.EASEL_PROVIDER_READ_TIMEOUT,
        max_retries=settings.EASEL_PROVIDER_MAX_RETRIES,
        max_retry_wait=settings.EASEL_PROVIDER_MAX_RETRY_WAIT,
    )


def _project_secret(name: str, project_id: Any) -> Any:
    from designs.services.credentials import CredentialUnreadable, credential_secret

    try:
        return credential_secret(project_id=project_id, provider=name)
    except CredentialUnreadable as exc:
        raise ProviderError(str(exc), permanent=True, kind="not_configured") from exc


def is_configured(name: str, project_id: Any = None) -> bool:
    """Whether a run of this project could use the provider now (local always can)."""
    if name == catalog.LOCAL_PROVIDER:
        return True
    try:
        return provider_settings(name, project_id) is not None
    except ProviderError:
        return False


def _configured(name: str, project_id: Any) -> bool:
    try:
        return provider_settings(name, project_id) is not None
    except ProviderError as exc:
        raise ProviderChoiceError(exc.message) from exc


def _missing(name: str, kind: str) -> Choice:
    key_setting = settings.EASEL_PROVIDERS[name]["key_setting"]
    if not settings.EASEL_LOCAL_FALLBACK:
        raise ProviderChoiceError(
            f"{kind} provider '{name}' is not configured: set {key_setting}, store a key for this project "
            f"(PUT /api/providers/{name}/credentials), or set EASEL_LOCAL_FALLBACK=1 to use the local engines"
        )
    local = catalog.DEFAULT_LOCAL_LLM if kind == "LLM" else catalog.DEFAULT_LOCAL_IMAGE_MODEL
    logger.warning(
        "%s provider %s has no %s; EASEL_LOCAL_FALLBACK serves it with local/%s", kind, name, key_setting, local
    )
    return Choice(catalog.LOCAL_PROVIDER, local, fallback=True)


# --- LLMs ------------------------------------------------------------------------------------


def llm_models() -> list[catalog.LLMModel]:
    """The catalog's LLMs plus the models declared for each OpenAI-compatible server."""
    models = list(catalog.LLM_MODELS)
    for name in openai_compatible_names():
        config = settings.EASEL_PROVIDERS[name]
        for model in config.get("models") or ["*"]:
            models.append(
                catalog.LLMModel(
                    name,
                    model,
                    f"OpenAI-compatible server '{name}'" + (": any model it serves" if model == "*" else ""),
                    0,
                    input_cost_per_1m_tokens=0.0,
                    output_cost_per_1m_tokens=0.0,
                    tags=("openai_compatible",),
                )
            )
    return models


def _default_llm(project_id: Any) -> tuple[str, str]:
    if settings.EASEL_DEFAULT_LLM:
        provider, _, model = settings.EASEL_DEFAULT_LLM.partition("/")
        return provider, model
    for model in catalog.LLM_MODELS:
        if model.provider != catalog.LOCAL_PROVIDER and is_configured(model.provider, project_id):
            return model.provider, model.name
    return catalog.LOCAL_PROVIDER, catalog.DEFAULT_LOCAL_LLM


def resolve_llm(provider: str | None, model: str | None, project_id: Any = None) -> Choice:
    """The LLM a turn will use. Raises ProviderChoiceError for unknown or unconfigured ones."""
    if not provider and not model:
        provider, model = _default_llm(project_id)
    elif not provider:
        provider = next((m.provider for m in llm_models() if m.name.lower() == model.lower()), "")
        if not provider:
            raise ProviderChoiceError(f"Unknown model '{model}': also give llm_provider")
    if provider not in llm_provider_names():
        raise ProviderChoiceError(f"Unknown llm_provider '{provider}'; choose one of {', '.join(llm_provider_names())}")
    if provider == catalog.LOCAL_PROVIDER:
        return Choice(provider, model or catalog.DEFAULT_LOCAL_LLM)
    model = model or _first_model(provider)
    if not _configured(provider, project_id):
        return _missing(provider, "LLM")
    return Choice(provider, model)


def _first_model(provider: str) -> str:
    model = next((m.name for m in llm_models() if m.provider == provider), "*")
    if model == "*":  # an OpenAI-compatible server without declared models: it alone knows them
        raise ProviderChoiceError(f"model_name is required for llm_provider '{provider}'")
    return model


# --- image models ----------------------------------------------------------------------------


def _default_image_model(project_id: Any) -> tuple[str, str]:
    if settings.EASEL_DEFAULT_IMAGE_MODEL:
        provider, _, name = settings.EASEL_DEFAULT_IMAGE_MODEL.partition("/")
        return provider, name
    for model in catalog.IMAGE_MODELS:
        if model.provider != catalog.LOCAL_PROVIDER and is_configured(model.provider, project_id):
            return model.provider, model.name
    return catalog.LOCAL_PROVIDER, catalog.DEFAULT_LOCAL_IMAGE_MODEL


def resolve_image_model(
    provider: str | None, name: str | None, project_id: Any = None
) -> tuple[Choice, catalog.ImageModel]:
    """The image model a turn will use, with its catalog entry (whose options are validated)."""
    if not provider and not name:
        provider, name = _default_image_model(project_id)
    if not provider or not name:
        raise ProviderChoiceError(
            f"Unknown image model: {provider or '?'}/{name or '?'} "
            "(give both image_model_provider and image_model_name)"
        )
    entry = catalog.find_image_model(provider, name)
    if entry is None:
        raise ProviderChoiceError(f"Unknown image model: {provider}/{name}")
    if provider == catalog.LOCAL_PROVIDER or _configured(provider, project_id):
        return Choice(provider, entry.name), entry
    choice = _missing(provider, "Image")
    return choice, entry


# --- adapters ----------------------------------------------------------------------------------


def llm_provider(name: str, project_id: Any = None) -> LLMProvider:
    """The LLM adapter for a resolved provider name, with the project's key when it has one."""
    if name in LLM_CLASSES:
        return _instantiate(LLM_CLASSES[name], name, project_id)
    if name in openai_compatible_names():
        return import_string(OPENAI_COMPATIBLE_CLASS)(_settings_or_raise(name, project_id), name=name)
    raise ProviderError(f"Unknown LLM provider '{name}'", permanent=True, kind="not_configured")


def image_provider(name: str, project_id: Any = None) -> ImageProvider:
    """The image adapter for a resolved provider name, with the project's key when it has one."""
    return _instantiate(IMAGE_CLASSES[name], name, project_id)


def _instantiate(path: str, name: str, project_id: Any) -> Any:
    cls = import_string(path)
    if name == catalog.LOCAL_PROVIDER:
        return cls(None)
    return cls(_settings_or_raise(name, project_id))


def _settings_or_raise(name: str, project_id: Any) -> ProviderSettings:
    # Accepted turns checked this, but a key can be deleted between acceptance and execution.
    configured = provider_settings(name, project_id)
    if configured is None:
        raise ProviderError(
            f"Provider '{name}' is no longer configured for this project", permanent=True, kind="not_configured"
        )
    return configured
