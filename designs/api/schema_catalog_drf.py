"""The descriptions of the catalog's newer routes (GET /api/models…) and of the routes Easel
refuses (memory, embedding and video models: designs/api/unsupported.py), as in `schema_drf`."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from designs.api.schema import FLAG, PAGE, READ, answers, errors, query
from designs.api.schema_components import ref
from designs.api.schema_drf import MODEL_NAME, described
from designs.serializers import ModelFilterSerializer

IGNORED_BODY = {"application/json": {"type": "object", "description": "Not read: the route refuses every call."}}


def refused(detail: str, *, write: bool = False) -> dict:
    """One operation that always answers 400 with `detail` (after the key is checked)."""
    example = OpenApiExample("Refused", value={"detail": detail}, response_only=True, status_codes=["400"])
    answer = OpenApiResponse(response=ref("Error"), description=f"Always: {detail}.", examples=[example])
    described_errors = errors(*(code for code in READ if code != 400), *((413,) if write else ()))
    return {
        "summary": detail,
        "description": f'Easel answers every call with 400 {{"detail": "{detail}"}}.',
        "responses": {400: answer, **described_errors},
        **({"request": IGNORED_BODY} if write else {}),
    }


MEMORY = "Memory is not supported by Easel"
PROVIDER = OpenApiParameter("provider", type=str, location=OpenApiParameter.PATH, description="A provider's name.")

EXTENSIONS = [
    described(
        "designs.api.catalog.ModelListApi",
        "models",
        get={
            "summary": "The whole catalog (LLMs, then image models)",
            "parameters": [
                *PAGE,
                ModelFilterSerializer,
                query("supports_tools", FLAG, "Only models that call tools (or only those that do not)."),
                query("supports_vision", FLAG, "Only models that see images (or only those that do not)."),
            ],
            "responses": answers(200, "ModelList", "", *READ),
        },
    ),
    described(
        "designs.api.catalog.ModelProviderListApi",
        "models",
        get={"summary": "Every provider the catalog names", "responses": answers(200, "ProviderNameList", "", *READ)},
    ),
    described(
        "designs.api.catalog.ProviderModelListApi",
        "models",
        get={
            "summary": "One provider's models",
            "parameters": [PROVIDER, *PAGE],
            "responses": answers(200, "ModelList", "", *READ),
        },
    ),
    described(
        "designs.api.catalog.ModelDetailApi",
        "models",
        get={
            "summary": "A model of the catalog",
            "parameters": [MODEL_NAME],
            "responses": answers(200, "Model", "", *READ),
        },
    ),
    described(
        "designs.api.unsupported.MemoryListApi",
        "unsupported",
        shared=True,
        get=refused(MEMORY),
        post=refused(MEMORY, write=True),
        delete=refused(MEMORY),
    ),
    described("designs.api.unsupported.MemoryReadApi", "unsupported", shared=True, get=refused(MEMORY)),
    described("designs.api.unsupported.MemorySearchApi", "unsupported", shared=True, post=refused(MEMORY, write=True)),
    described(
        "designs.api.unsupported.MemoryDetailApi",
        "unsupported",
        shared=True,
        get=refused(MEMORY),
        put=refused(MEMORY, write=True),
        delete=refused(MEMORY),
    ),
    described(
        "designs.api.unsupported.EmbeddingModelsApi",
        "unsupported",
        shared=True,
        get=refused("Embeddings are not supported by Easel"),
    ),
    described(
        "designs.api.unsupported.VideoModelsApi",
        "unsupported",
        shared=True,
        get=refused("Video is not supported by Easel"),
    ),
]
