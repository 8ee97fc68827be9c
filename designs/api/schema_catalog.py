"""The catalog's, the providers' and usage's JSON shapes as OpenAPI components (the models
lists of designs/api/catalog.py, the provider keys of designs/api/providers.py, usage by day);
the conversation and document shapes are in `schema_components`."""

from __future__ import annotations

from designs.api.schema_components import (
    BOOL,
    COUNT,
    DAY,
    INT,
    NUMBER,
    OBJECT,
    STRING,
    TEXT,
    UUID,
    WHEN,
    Schema,
    array,
    listing,
    nullable,
    obj,
    ref,
)  # fmt: skip

IMAGE_MODEL = obj(
    {
        "name": STRING,
        "provider": STRING,
        "model_type": {"type": "string", "const": "image"},
        "display_name": STRING,
        "description": TEXT,
        "context_limit": COUNT,
        "supports_vision": BOOL,
        "supports_image_output": BOOL,
        "supports_partial_images": BOOL,
        "max_images_per_request": COUNT,
        "mask": {"type": "string", "enum": ["native", "composite", "none"]},
        "max_reference_images": COUNT,
        "image_config_options": OBJECT,
        "input_cost_per_1m_tokens": nullable(NUMBER),
        "image_input_cost_per_1m_tokens": nullable(NUMBER),
        "output_cost_per_1m_tokens": nullable(NUMBER),
        "image_output_cost_per_1m_tokens": nullable(NUMBER),
        "cost_per_image": nullable(NUMBER),
        "configured": BOOL,
        "local_engine": BOOL,
        "last_updated": TEXT,
    },
    "name provider model_type context_limit",
)

LLM = obj(
    {
        "name": STRING,
        "provider": STRING,
        "model_type": {"type": "string", "const": "llm"},
        "description": TEXT,
        "context_limit": COUNT,
        "supports_vision": BOOL,
        "supports_tools": BOOL,
        "input_cost_per_1m_tokens": nullable(NUMBER),
        "output_cost_per_1m_tokens": nullable(NUMBER),
        "configured": BOOL,
        "local_engine": BOOL,
        "openai_compatible": BOOL,
        "last_updated": TEXT,
    },
    "name provider model_type context_limit",
)

# The SDK's `Model` (backboard/models.py): what GET /api/models and its relatives answer.
MODEL = obj(
    {
        "name": STRING,
        "provider": STRING,
        "model_type": STRING,
        "context_limit": INT,
        "description": TEXT,
        "display_name": TEXT,
        "max_output_tokens": nullable(INT),
        "supports_tools": nullable(BOOL),
        "supports_vision": nullable(BOOL),
        "supports_image_output": nullable(BOOL),
        "supports_streaming": nullable(BOOL),
        "input_cost_per_1m_tokens": nullable(NUMBER),
        "output_cost_per_1m_tokens": nullable(NUMBER),
        "cost_per_image": nullable(NUMBER),
    },
    "name provider model_type context_limit",
    description="A model of the catalog, as the SDK's Model reads it.",
)

CREDENTIAL = obj(
    {"provider": STRING, "last4": STRING, "created_at": WHEN, "updated_at": nullable(WHEN)},
    description="A project's own provider key: which provider, its last four characters and dates; never the key.",
)

PROVIDER = obj(
    {
        "name": STRING,
        "llm": BOOL,
        "image": BOOL,
        "openai_compatible": BOOL,
        "server_key": BOOL,
        "project_key": nullable(ref("Credential")),
        "configured": BOOL,
    }
)

_USAGE_DAY = {
    "runs": COUNT,
    "input_tokens": COUNT,
    "output_tokens": COUNT,
    "images_generated": COUNT,
    "cost_usd": NUMBER,
}
USAGE = obj(
    {
        "project_id": UUID,
        "from": DAY,
        "to": DAY,
        "days": array(obj({"date": DAY, **_USAGE_DAY})),
        "totals": obj(_USAGE_DAY),
    },
    description="Usage per UTC day, every day of the window listed, and the totals.",
)


CATALOG_COMPONENTS: dict[str, Schema] = {
    "ImageModel": IMAGE_MODEL,
    "ImageModelList": listing("models", ref("ImageModel")),
    "ImageProviderList": listing("providers", STRING),
    "LLM": LLM,
    "LLMList": listing("models", ref("LLM")),
    "Model": MODEL,
    "ModelList": listing("models", ref("Model")),
    "ProviderNameList": listing("providers", STRING),
    "Credential": CREDENTIAL,
    "Provider": PROVIDER,
    "ProviderList": listing("providers", ref("Provider")),
    "Usage": USAGE,
}
