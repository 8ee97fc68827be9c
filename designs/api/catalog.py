"""The model catalog: every model (`/api/models`, the SDK's `Model`), the image models
(Backboard §5.4) and Easel's LLM list.

`/api/models` is the whole catalog, LLMs and image models both (`model_type` "llm" or "image"),
as Backboard's is: a developer asking "what can I use?" gets one answer, and filters by type.
`configured` says whether the caller's project could use the model's provider now (a project
key, a server key, or the local engines).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from designs import catalog
from designs.api.base import ProjectApiView, query_bool
from designs.exceptions import NotFound
from designs.serializers import ModelFilterSerializer
from designs.services import model_choice

Entry = catalog.LLMModel | catalog.ImageModel


def image_model_payload(model: catalog.ImageModel, configured: bool) -> dict[str, Any]:
    return {
        "name": model.name,
        "provider": model.provider,
        "model_type": "image",
        "display_name": model.name,
        "description": model.description,
        "context_limit": model.context_limit,
        "supports_tools": False,
        "supports_vision": model.supports_vision,
        "supports_image_output": model.supports_image_output,
        "supports_partial_images": model.partial_previews,
        "max_images_per_request": model.max_n,
        "mask": model.mask,
        "max_reference_images": model.max_reference_images,
        "image_config_options": {k: list(v) if isinstance(v, tuple) else v for k, v in model.options.items()},
        "input_cost_per_1m_tokens": model.input_cost_per_1m_tokens,
        "image_input_cost_per_1m_tokens": None,
        "output_cost_per_1m_tokens": model.output_cost_per_1m_tokens,
        "image_output_cost_per_1m_tokens": model.image_output_cost_per_1m_tokens,
        "cost_per_image": model.cost_per_image,
        "configured": configured,
        "local_engine": model.provider == catalog.LOCAL_PROVIDER,
        "last_updated": catalog.LAST_UPDATED,
    }


def llm_payload(model: catalog.LLMModel, configured: bool) -> dict[str, Any]:
    return {
        "name": model.name,
        "provider": model.provider,
        "model_type": "llm",
        "display_name": model.name,
        "description": model.description,
        "context_limit": model.context_limit,
        "max_output_tokens": None,
        "supports_streaming": True,
        "supports_vision": model.supports_vision,
        "supports_tools": model.supports_tools,
        "supports_image_output": False,
        "input_cost_per_1m_tokens": model.input_cost_per_1m_tokens,
        "output_cost_per_1m_tokens": model.output_cost_per_1m_tokens,
        "configured": configured,
        "local_engine": model.provider == catalog.LOCAL_PROVIDER,
        # An OpenAI-compatible server's model named "*" stands for any model the server serves.
        "openai_compatible": "openai_compatible" in model.tags,
        "last_updated": catalog.LAST_UPDATED,
    }


def model_payload(model: Entry, configured: bool) -> dict[str, Any]:
    """One catalog entry as the SDK's `Model` reads it."""
    if isinstance(model, catalog.LLMModel):
        return llm_payload(model, configured)
    return image_model_payload(model, configured)


def model_type(model: Entry) -> str:
    return "llm" if isinstance(model, catalog.LLMModel) else "image"


def supports_tools(model: Entry) -> bool:
    return isinstance(model, catalog.LLMModel) and model.supports_tools


def all_models() -> list[Entry]:
    """The whole catalog, LLMs first, each kind in catalog order."""
    return [*model_choice.llm_models(), *catalog.IMAGE_MODELS]


def find_model(name: str) -> Entry | None:
    """A model by name, case-insensitively; else by "provider/name" (e.g. `local/easel-local-agent`)."""
    models = all_models()
    wanted = name.lower()
    found = next((m for m in models if m.name.lower() == wanted), None)
    if found is None and "/" in wanted:
        provider, _, rest = wanted.partition("/")
        found = next((m for m in models if m.provider == provider and m.name.lower() == rest), None)
    return found


class CatalogApiView(ProjectApiView):
    @functools.cached_property
    def configured(self) -> Callable[[str], bool]:
        """Whether the caller's project can use a provider, asked once per provider per request."""
        project_id = self.project.id
        return functools.cache(lambda provider: model_choice.is_configured(provider, project_id))

    def models_page(self, models: list[Entry]) -> Response:
        skip, limit = self.page()
        page = [model_payload(m, self.configured(m.provider)) for m in models[skip : skip + limit]]
        return Response({"models": page, "total": len(models)})


class ModelListApi(CatalogApiView):
    """`GET /api/models`: the whole catalog, filtered as the SDK's `list_models` asks."""

    def get(self, request: Request) -> Response:
        filters = ModelFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        models = all_models()
        if kind := wanted.get("model_type"):
            models = [m for m in models if model_type(m) == kind.lower()]
        if provider := wanted.get("provider"):
            models = [m for m in models if m.provider == provider.lower()]
        if "min_context" in wanted:
            models = [m for m in models if m.context_limit >= wanted["min_context"]]
        if "max_context" in wanted:
            models = [m for m in models if m.context_limit <= wanted["max_context"]]
        if (tools := query_bool(request, "supports_tools")) is not None:
            models = [m for m in models if supports_tools(m) == tools]
        if (vision := query_bool(request, "supports_vision")) is not None:
            models = [m for m in models if m.supports_vision == vision]
        return self.models_page(models)


class ModelProviderListApi(ProjectApiView):
    """`GET /api/models/providers`: every provider the catalog names."""

    def get(self, request: Request) -> Response:
        providers = list(dict.fromkeys(m.provider for m in all_models()))
        return Response({"providers": providers, "total": len(providers)})


class ProviderModelListApi(CatalogApiView):
    """`GET /api/models/provider/{provider}`: one provider's models; an unknown provider is a 404."""

    def get(self, request: Request, provider: str) -> Response:
        models = [m for m in all_models() if m.provider == provider.lower()]
        if not models:
            known = ", ".join(dict.fromkeys(m.provider for m in all_models()))
            raise NotFound(f"Provider '{provider}' not found; the catalog has {known}")
        return self.models_page(models)


class ModelDetailApi(CatalogApiView):
    """`GET /api/models/{name}`: names may hold `/` (`openai/gpt-4.1`)."""

    def get(self, request: Request, model_name: str) -> Response:
        model = find_model(model_name)
        if model is None:
            raise NotFound(f"Model '{model_name}' not found")
        return Response(model_payload(model, self.configured(model.provider)))


class ImageModelListApi(CatalogApiView):
    def get(self, request: Request) -> Response:
        models = list(catalog.IMAGE_MODELS)
        if provider := request.query_params.get("provider"):
            models = [m for m in models if m.provider == provider]
        vision = query_bool(request, "supports_vision")
        if vision is not None:
            models = [m for m in models if m.supports_vision == vision]
        return self.models_page(models)


class ImageProviderListApi(ProjectApiView):
    def get(self, request: Request) -> Response:
        providers = list(dict.fromkeys(m.provider for m in catalog.IMAGE_MODELS))
        return Response({"providers": providers, "total": len(providers)})


class ImageModelDetailApi(CatalogApiView):
    def get(self, request: Request, model_name: str) -> Response:
        matches = catalog.find_image_models_named(model_name)
        if not matches and "/" in model_name:
            provider, _, name = model_name.partition("/")
            found = catalog.find_image_model(provider, name)
            matches = [found] if found else []
        if not matches:
            raise NotFound(f"Image model '{model_name}' not found")
        return Response(image_model_payload(matches[0], self.configured(matches[0].provider)))


class LLMListApi(CatalogApiView):
    def get(self, request: Request) -> Response:
        models = model_choice.llm_models()
        if provider := request.query_params.get("provider"):
            models = [m for m in models if m.provider == provider]
        payload = [llm_payload(m, self.configured(m.provider)) for m in models]
        return Response({"models": payload, "total": len(models)})
