"""Which models serve a turn: the server's defaults, the project's own keys, the local fallback.

A turn's models are chosen once, when it is accepted (`resolve_llm`, `resolve_image_model`),
and stored on its run; the worker reads that choice back with `run_models` and never chooses
again. A provider is configured for a project when the project stored its own key for it
(`designs.services.credentials`) or the server has one; the project's key wins, and
`provider_access` looks it up again by project id when the run executes, in whatever process
that is. OpenAI-compatible servers listed in EASEL_OPENAI_COMPATIBLE are LLM providers under
their own name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from designs import catalog
from designs.catalog import ImageModel, LLMModel
from designs.exceptions import Invalid, NotConfigured
from designs.models import ProviderCredential, Run
from designs.services.credentials import CredentialUnreadable, Secret, credential_secret

logger = logging.getLogger(__name__)

PROVIDER_LABELS = {"openai": "OpenAI", "openrouter": "OpenRouter", "anthropic": "Anthropic", "google": "Google"}


@dataclass(frozen=True)
class Choice:
    provider: str
    model: str
    fallback: bool = False  # the local engine stands in for a provider that is not configured


# --- providers -------------------------------------------------------------------------------


def openai_compatible_names() -> list[str]:
    return [name for name, config in settings.EASEL_PROVIDERS.items() if config.get("openai_compatible")]


def llm_provider_names() -> list[str]:
    return sorted({*(m.provider for m in catalog.LLM_MODELS), *openai_compatible_names()})


def image_provider_names() -> list[str]:
    return list(dict.fromkeys(m.provider for m in catalog.IMAGE_MODELS))


def provider_access(name: str, project_id: Any = None) -> Secret | None:
    """The key and base URL a run of this project uses for `name`, or None when neither the
    project nor the server has a key (local needs none and has no access).

    With `project_id`, a key the project stored overrides the server's (and its base URL, if it
    gave one). NotConfigured when the project's key cannot be decrypted: falling back to the
    server's key would silently bill someone else.
    """
    config = settings.EASEL_PROVIDERS.get(name)
    if config is None:
        return None
    api_key, base_url = config["api_key"], config["base_url"]
    try:
        secret = credential_secret(project_id=project_id, provider=name) if project_id is not None else None
    except CredentialUnreadable as exc:
        raise NotConfigured(str(exc)) from exc
    if secret is not None:
        return Secret(api_key=secret.api_key, base_url=secret.base_url or base_url)
    if not api_key and not config.get("openai_compatible"):
        return None
    return Secret(api_key=api_key, base_url=base_url)


def is_configured(name: str, project_id: Any = None) -> bool:
    """Whether a run of this project could use the provider now (local always can)."""
    if name == catalog.LOCAL_PROVIDER:
        return True
    try:
        return provider_access(name, project_id) is not None
    except NotConfigured:
        return False


def provider_label(name: str) -> str:
    """A provider's name as people write it ("OpenAI"); an OpenAI-compatible server's own name."""
    return PROVIDER_LABELS.get(name, name)


def server_serves(name: str) -> bool:
    """Whether a run can use the provider without a key of its project's: the server has one,
    or it is an OpenAI-compatible server, which needs none."""
    config = settings.EASEL_PROVIDERS[name]
    return bool(config["api_key"] or config.get("openai_compatible"))


def keyless_providers(project_id: Any) -> list[str]:
    """The catalog's providers a run of this project cannot use for want of a key: neither the
    project stored one nor the server has one (local and OpenAI-compatible servers need none).
    One query, and nothing decrypted: for pages that mark models "(no key)"."""
    stored = set(ProviderCredential.objects.filter(project_id=project_id).values_list("provider", flat=True))
    offered = {*llm_provider_names(), *image_provider_names()}
    return [
        name for name in settings.EASEL_PROVIDERS if name in offered and name not in stored and not server_serves(name)
    ]


def _missing(name: str, kind: str) -> Choice:
    key_setting = settings.EASEL_PROVIDERS[name]["key_setting"]
    if not settings.EASEL_LOCAL_FALLBACK:
        # `detail` speaks to the person at the dashboard; the API's answer also carries `configure`,
        # the ways a developer or operator fixes it (designs.errors.body_of adds `fields`).
        error = NotConfigured(
            f"{provider_label(name)} has no API key in this project. "
            "An owner or admin can add one in Settings → Provider keys."
        )
        error.fields = {
            "configure": f"PUT /api/providers/{name}/credentials with an api_key, set {key_setting} on the server, "
            "or set EASEL_LOCAL_FALLBACK=1 to use the local engines"
        }
        raise error
    local = catalog.DEFAULT_LOCAL_LLM if kind == "LLM" else catalog.DEFAULT_LOCAL_IMAGE_MODEL
    logger.warning(
        "%s provider %s has no %s; EASEL_LOCAL_FALLBACK serves it with local/%s", kind, name, key_setting, local
    )
    return Choice(catalog.LOCAL_PROVIDER, local, fallback=True)


def _default(setting: str, models: tuple[LLMModel, ...] | tuple[ImageModel, ...], local: str, project_id: Any):
    """The server's configured default, else the first catalog model of a configured provider,
    else the local engine."""
    if setting:
        provider, _, name = setting.partition("/")
        return provider, name
    for model in models:
        if model.provider != catalog.LOCAL_PROVIDER and is_configured(model.provider, project_id):
            return model.provider, model.name
    return catalog.LOCAL_PROVIDER, local


# --- LLMs ------------------------------------------------------------------------------------


def llm_models() -> list[LLMModel]:
    """The catalog's LLMs plus the models declared for each OpenAI-compatible server."""
    models = list(catalog.LLM_MODELS)
    for name in openai_compatible_names():
        config = settings.EASEL_PROVIDERS[name]
        for model in config.get("models") or ["*"]:
            models.append(
                LLMModel(
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


def resolve_llm(provider: str | None, model: str | None, project_id: Any = None) -> Choice:
    """The LLM a turn will use. Invalid for unknown ones, NotConfigured for unconfigured ones."""
    if not provider and not model:
        provider, model = _default(
            settings.EASEL_DEFAULT_LLM, catalog.LLM_MODELS, catalog.DEFAULT_LOCAL_LLM, project_id
        )
    elif not provider:
        provider = next((m.provider for m in llm_models() if m.name.lower() == model.lower()), "")
        if not provider:
            raise Invalid(f"Unknown model '{model}': also give llm_provider")
    if provider not in llm_provider_names():
        raise Invalid(f"Unknown llm_provider '{provider}'; choose one of {', '.join(llm_provider_names())}")
    if provider == catalog.LOCAL_PROVIDER:
        return Choice(provider, model or catalog.DEFAULT_LOCAL_LLM)
    model = model or _first_model(provider)
    if provider_access(provider, project_id) is None:
        return _missing(provider, "LLM")
    return Choice(provider, model)


def _first_model(provider: str) -> str:
    model = next((m.name for m in llm_models() if m.provider == provider), "*")
    if model == "*":  # an OpenAI-compatible server without declared models: it alone knows them
        raise Invalid(f"model_name is required for llm_provider '{provider}'")
    return model


# --- image models ----------------------------------------------------------------------------


def resolve_image_model(provider: str | None, name: str | None, project_id: Any = None) -> tuple[Choice, ImageModel]:
    """The image model a turn will use, with its catalog entry (whose options are validated)."""
    if not provider and not name:
        provider, name = _default(
            settings.EASEL_DEFAULT_IMAGE_MODEL, catalog.IMAGE_MODELS, catalog.DEFAULT_LOCAL_IMAGE_MODEL, project_id
        )
    if not provider or not name:
        raise Invalid(
            f"Unknown image model: {provider or '?'}/{name or '?'} "
            "(give both image_model_provider and image_model_name)"
        )
    entry = catalog.find_image_model(provider, name)
    if entry is None:
        raise Invalid(f"Unknown image model: {provider}/{name}")
    if provider == catalog.LOCAL_PROVIDER or provider_access(provider, project_id) is not None:
        return Choice(provider, entry.name), entry
    return _missing(provider, "Image"), entry


def takes_input_images(entry: ImageModel | None) -> bool:
    """The vision rule: only an image model that accepts input images can edit one."""
    return bool(entry and entry.supports_vision)


# --- a run's choice, read back ---------------------------------------------------------------


@dataclass(frozen=True)
class RunModels:
    """The catalog entries of the models a run was given when it was accepted (None: no such
    model in the catalog, as for an OpenAI-compatible server's or a run without images)."""

    llm: LLMModel | None
    image: ImageModel | None

    @property
    def context_limit(self) -> int:
        return self.llm.context_limit if self.llm else 0

    def cost(self, *, input_tokens: int, output_tokens: int, images: int) -> float:
        return catalog.estimate_cost(
            llm=self.llm, input_tokens=input_tokens, output_tokens=output_tokens, image_model=self.image, images=images
        )


def run_models(run: Run) -> RunModels:
    """What the run resolved to at acceptance, as catalog entries: looked up once per run."""
    image = catalog.find_image_model(run.image_provider, run.image_model) if run.image_provider else None
    llm = catalog.find_llm(run.llm_provider, run.llm_model) if run.llm_provider else None
    return RunModels(llm=llm, image=image)
