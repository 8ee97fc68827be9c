"""The image model catalog (Backboard §5.4) and Easel's LLM list."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from designs import catalog
from designs.api.base import ProjectApiView, query_bool
from designs.exceptions import NotFound
from designs.services import model_choice


def image_model_payload(model: catalog.ImageModel, project_id: Any = None) -> dict[str, Any]:
    configured = model_choice.is_configured(model.provider, project_id)
    return {
        "name": model.name,
        "provider": model.provider,
        "model_type": "image",
        "display_name": model.name,
        "description": model.description,
        "context_limit": model.context_limit,
        "supports_vision": model.supports_vision,
        "supports_image_output": model.supports_image_output,
        "supports_partial_images": model.partial_previews,
        "max_images_per_request": model.max_n,
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


def llm_payload(model: catalog.LLMModel, project_id: Any = None) -> dict[str, Any]:
    return {
        "name": model.name,
        "provider": model.provider,
        "model_type": "llm",
        "description": model.description,
        "context_limit": model.context_limit,
        "supports_vision": model.supports_vision,
        "supports_tools": model.supports_tools,
        "input_cost_per_1m_tokens": model.input_cost_per_1m_tokens,
        "output_cost_per_1m_tokens": model.output_cost_per_1m_tokens,
        "configured": model_choice.is_configured(model.provider, project_id),
        "local_engine": model.provider == catalog.LOCAL_PROVIDER,
        # An OpenAI-compatible server's model named "*" stands for any model the server serves.
        "openai_compatible": "openai_compatible" in model.tags,
        "last_updated": catalog.LAST_UPDATED,
    }


class ImageModelListApi(ProjectApiView):
    def get(self, request: Request) -> Response:
        skip, limit = self.page()
        models = list(catalog.IMAGE_MODELS)
        if provider := request.query_params.get("provider"):
            models = [m for m in models if m.provider == provider]
        vision = query_bool(request, "supports_vision")
        if vision is not None:
            models = [m for m in models if m.supports_vision == vision]
        page = [image_model_payload(m, self.project.id) for m in models[skip : skip + limit]]
        return Response({"models": page, "total": len(models)})


class ImageProviderListApi(ProjectApiView):
    def get(self, request: Request) -> Response:
        providers = list(dict.fromkeys(m.provider for m in catalog.IMAGE_MODELS))
        return Response({"providers": providers, "total": len(providers)})


class ImageModelDetailApi(ProjectApiView):
    def get(self, request: Request, model_name: str) -> Response:
        matches = catalog.find_image_models_named(model_name)
        if not matches and "/" in model_name:
            provider, _, name = model_name.partition("/")
            found = catalog.find_image_model(provider, name)
            matches = [found] if found else []
        if not matches:
            raise NotFound(f"Image model '{model_name}' not found")
        return Response(image_model_payload(matches[0], self.project.id))


class LLMListApi(ProjectApiView):
    def get(self, request: Request) -> Response:
        models = model_choice.llm_models()
        if provider := request.query_params.get("provider"):
            models = [m for m in models if m.provider == provider]
        return Response({"models": [llm_payload(m, self.project.id) for m in models], "total": len(models)})
