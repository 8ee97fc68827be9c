"""The models Easel knows: what each can do and what it costs.

The catalog is global (the same for every project). Image models list the `image_config`
keys and values they accept, so a request asking for something the model cannot do is refused
with a 400 before any provider call. Prices are USD, as published by each vendor when this
table was last updated (`LAST_UPDATED`); `estimate_cost` uses them for run usage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LAST_UPDATED = "2026-11-01T00:00:00Z"

GEMINI_ASPECTS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
COMMON_ASPECTS = ("1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9", "21:9")
GPT_IMAGE_SIZES = ("auto", "1024x1024", "1536x1024", "1024x1536")
LOCAL_PROVIDER = "local"


@dataclass(frozen=True)
class ImageModel:
    provider: str
    name: str
    description: str
    supports_vision: bool  # accepts input images (edits)
    options: dict[str, Any]  # image_config key -> allowed values (tuple), (min, max) range, or None
    max_n: int = 1
    partial_previews: bool = False
    context_limit: int = 0
    input_cost_per_1m_tokens: float | None = None
    output_cost_per_1m_tokens: float | None = None
    image_output_cost_per_1m_tokens: float | None = None
    cost_per_image: float | None = None
    supports_image_output: bool = True
    # How an edit confined to a region reaches the model: "native" (a mask parameter, or the local
    # engine editing inside it), "composite" (the region's crop is sent and the answer pasted back),
    # or "none". Whatever the method, Easel composites the result so nothing outside changes.
    mask: str = "none"
    max_reference_images: int = 0  # input images one request may carry (0: none)

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.name}"


@dataclass(frozen=True)
class LLMModel:
    provider: str
    name: str
    description: str
    context_limit: int
    supports_vision: bool = True
    supports_tools: bool = True
    input_cost_per_1m_tokens: float | None = None
    output_cost_per_1m_tokens: float | None = None
    tags: tuple[str, ...] = field(default=())


def _gemini_options(
    extra_aspects: tuple[str, ...] = (), sizes: tuple[str, ...] = ("1K", "2K", "4K"), *, openrouter: bool = False
) -> dict:
    options: dict[str, Any] = {
        "aspect_ratio": GEMINI_ASPECTS + extra_aspects,
        "resolution": sizes,
        "n": (1, 8),  # one call per image, in parallel: the models return one image per call
        "seed": (0, 2**31 - 1),
    }
    if openrouter:  # OpenRouter's provider routing object; the Gemini API has nothing like it
        options["provider"] = None
    return options


def _gpt_image_options(*, input_fidelity: bool = False) -> dict:
    options: dict[str, Any] = {
        "size": GPT_IMAGE_SIZES,
        # Mapped to the nearest size the model takes (square, landscape or portrait), recorded on the image.
        "aspect_ratio": COMMON_ASPECTS,
        "quality": ("auto", "low", "medium", "high"),
        "background": ("auto", "opaque", "transparent"),
        "output_format": ("png", "jpeg", "webp"),
        "output_compression": (0, 100),
        "moderation": ("auto", "low"),
        "n": (1, 10),
        # Partial previews while the image renders (media_preview events); 0 turns them off.
        "partial_images": (0, 3),
    }
    if input_fidelity:  # how closely an edit keeps the input's details (gpt-image-1 only)
        options["input_fidelity"] = ("low", "high")
    return options


IMAGE_MODELS: tuple[ImageModel, ...] = (
    ImageModel(
        provider=LOCAL_PROVIDER,
        name="easel-local-painter",
        description="Local development engine: an offline Pillow renderer that draws the prompt's "
        "colours and subjects and applies edits. No key, no network; not a real image model.",
        supports_vision=True,
        options={
            "size": None,  # any WxH from 64 to 2048, checked by the validator
            "aspect_ratio": COMMON_ASPECTS,
            "resolution": ("1K", "2K", "4K"),
            "quality": ("auto", "low", "medium", "high"),
            "background": ("auto", "opaque", "transparent"),
            "output_format": ("png", "jpeg", "webp"),
            "output_compression": (0, 100),
            "n": (1, 8),
            "seed": (0, 2**31 - 1),
        },
        max_n=8,
        cost_per_image=0.0,
        mask="native",
        max_reference_images=2,  # the image to edit, and one whose palette colours the result
    ),
    ImageModel(
        provider="openrouter",
        name="google/gemini-3.1-flash-image-preview",
        description="Gemini 3.1 Flash Image via OpenRouter: fast generation and editing.",
        supports_vision=True,
        options=_gemini_options(("1:4", "4:1", "1:8", "8:1"), ("0.5K", "1K", "2K", "4K"), openrouter=True),
        max_n=8,
        context_limit=65536,
        input_cost_per_1m_tokens=0.5,
        output_cost_per_1m_tokens=3.0,
        image_output_cost_per_1m_tokens=60.0,
        mask="composite",
        max_reference_images=14,
    ),
    ImageModel(
        provider="openrouter",
        name="google/gemini-2.5-flash-image",
        description="Gemini 2.5 Flash Image via OpenRouter.",
        supports_vision=True,
        options=_gemini_options(sizes=("1K",), openrouter=True),
        max_n=8,
        context_limit=32768,
        input_cost_per_1m_tokens=0.3,
        output_cost_per_1m_tokens=2.5,
        image_output_cost_per_1m_tokens=30.0,
        mask="composite",
        max_reference_images=3,
    ),
    ImageModel(
        provider="openrouter",
        name="google/gemini-3-pro-image-preview",
        description="Gemini 3 Pro Image via OpenRouter: highest quality, slower.",
        supports_vision=True,
        options=_gemini_options(openrouter=True),
        max_n=8,
        context_limit=65536,
        input_cost_per_1m_tokens=2.0,
        output_cost_per_1m_tokens=12.0,
        image_output_cost_per_1m_tokens=120.0,
        mask="composite",
        max_reference_images=14,
    ),
    ImageModel(
        provider="openai",
        name="gpt-image-1",
        description="OpenAI GPT Image 1: generations and edits, partial image previews.",
        supports_vision=True,
        options=_gpt_image_options(input_fidelity=True),
        max_n=10,
        partial_previews=True,
        input_cost_per_1m_tokens=5.0,
        image_output_cost_per_1m_tokens=40.0,
        mask="native",
        max_reference_images=16,
    ),
    ImageModel(
        provider="openai",
        name="gpt-image-1-mini",
        description="OpenAI GPT Image 1 Mini: cheaper generations and edits, partial previews.",
        supports_vision=True,
        options=_gpt_image_options(),
        max_n=10,
        partial_previews=True,
        input_cost_per_1m_tokens=2.0,
        image_output_cost_per_1m_tokens=8.0,
        mask="native",
        max_reference_images=16,
    ),
    ImageModel(
        provider="openai",
        name="gpt-image-1.5",
        description="OpenAI GPT Image 1.5: generations and edits, partial previews.",
        supports_vision=True,
        options=_gpt_image_options(),
        max_n=10,
        partial_previews=True,
        input_cost_per_1m_tokens=5.0,
        image_output_cost_per_1m_tokens=32.0,
        mask="native",
        max_reference_images=16,
    ),
    ImageModel(
        provider="openai",
        name="dall-e-3",
        description="OpenAI DALL·E 3: generation only, one image per request.",
        supports_vision=False,
        options={
            "size": ("1024x1024", "1792x1024", "1024x1792"),
            "quality": ("standard", "hd"),
            "style": ("vivid", "natural"),
            "n": (1, 1),
        },
        max_n=1,
        cost_per_image=0.04,
    ),
    ImageModel(
        provider="google",
        name="gemini-3.1-flash-image-preview",
        description="Gemini 3.1 Flash Image on the Gemini API.",
        supports_vision=True,
        options=_gemini_options(("1:4", "4:1", "1:8", "8:1"), ("0.5K", "1K", "2K", "4K")),
        max_n=8,
        context_limit=65536,
        input_cost_per_1m_tokens=0.5,
        output_cost_per_1m_tokens=3.0,
        image_output_cost_per_1m_tokens=60.0,
        mask="composite",
        max_reference_images=14,
    ),
    ImageModel(
        provider="google",
        name="gemini-2.5-flash-image",
        description="Gemini 2.5 Flash Image on the Gemini API.",
        supports_vision=True,
        options=_gemini_options(sizes=("1K",)),
        max_n=8,
        context_limit=32768,
        input_cost_per_1m_tokens=0.3,
        output_cost_per_1m_tokens=2.5,
        image_output_cost_per_1m_tokens=30.0,
        mask="composite",
        max_reference_images=3,
    ),
)

LLM_MODELS: tuple[LLMModel, ...] = (
    LLMModel(
        LOCAL_PROVIDER,
        "easel-local-agent",
        "Local development engine: a rule-based agent that "
        "calls generate_image when asked for a picture or an edit. Offline; not a real LLM.",
        8192,
        input_cost_per_1m_tokens=0.0,
        output_cost_per_1m_tokens=0.0,
    ),
    LLMModel(
        "openai", "gpt-4.1", "OpenAI GPT-4.1", 1_047_576, input_cost_per_1m_tokens=2.0, output_cost_per_1m_tokens=8.0
    ),
    LLMModel(
        "openai",
        "gpt-4.1-mini",
        "OpenAI GPT-4.1 mini",
        1_047_576,
        input_cost_per_1m_tokens=0.4,
        output_cost_per_1m_tokens=1.6,
    ),
    LLMModel(
        "openai", "gpt-4o", "OpenAI GPT-4o", 128_000, input_cost_per_1m_tokens=2.5, output_cost_per_1m_tokens=10.0
    ),
    LLMModel(
        "anthropic",
        "claude-sonnet-4-5",
        "Anthropic Claude Sonnet 4.5",
        200_000,
        input_cost_per_1m_tokens=3.0,
        output_cost_per_1m_tokens=15.0,
    ),
    LLMModel(
        "anthropic",
        "claude-haiku-4-5",
        "Anthropic Claude Haiku 4.5",
        200_000,
        input_cost_per_1m_tokens=1.0,
        output_cost_per_1m_tokens=5.0,
    ),
    LLMModel(
        "google",
        "gemini-2.5-flash",
        "Google Gemini 2.5 Flash",
        1_048_576,
        input_cost_per_1m_tokens=0.3,
        output_cost_per_1m_tokens=2.5,
    ),
    LLMModel(
        "google",
        "gemini-2.5-pro",
        "Google Gemini 2.5 Pro",
        1_048_576,
        input_cost_per_1m_tokens=1.25,
        output_cost_per_1m_tokens=10.0,
    ),
    LLMModel(
        "openrouter",
        "openai/gpt-4.1",
        "GPT-4.1 via OpenRouter",
        1_047_576,
        input_cost_per_1m_tokens=2.0,
        output_cost_per_1m_tokens=8.0,
    ),
)

DEFAULT_LOCAL_LLM = "easel-local-agent"
DEFAULT_LOCAL_IMAGE_MODEL = "easel-local-painter"


def find_image_model(provider: str, name: str) -> ImageModel | None:
    """The catalog entry for provider/name; names compare case-insensitively."""
    for model in IMAGE_MODELS:
        if model.provider == provider and model.name.lower() == name.lower():
            return model
    return None


def find_image_models_named(name: str) -> list[ImageModel]:
    return [m for m in IMAGE_MODELS if m.name.lower() == name.lower()]


def find_llm(provider: str, name: str) -> LLMModel | None:
    for model in LLM_MODELS:
        if model.provider == provider and model.name.lower() == name.lower():
            return model
    return None


def estimate_cost(
    *, llm: LLMModel | None, input_tokens: int, output_tokens: int, image_model: ImageModel | None, images: int
) -> float:
    """USD estimate for a run from catalog prices; unknown prices count as zero."""
    cost = 0.0
    if llm is not None:
        cost += input_tokens * (llm.input_cost_per_1m_tokens or 0) / 1e6
        cost += output_tokens * (llm.output_cost_per_1m_tokens or 0) / 1e6
    if image_model is not None and images:
        # Gemini-family image outputs are ~1290 tokens per 1K image.
        per_image = image_model.cost_per_image
        if per_image is None:
            per_image = 1290 * (image_model.image_output_cost_per_1m_tokens or 0) / 1e6
        cost += images * per_image
    return round(cost, 6)


# What quality asks of a model priced per image or per output token, relative to its list price.
QUALITY_FACTOR = {"low": 0.25, "medium": 1.0, "standard": 1.0, "auto": 1.0, "high": 4.0, "hd": 2.0}
IMAGE_TOKENS = 1290  # output tokens of one ~1 Mpx image (Gemini family; a fair guess for others)


def estimate_image_cost(
    model: ImageModel | None, *, n: int, size: str | None = None, quality: str | None = None, input_images: int = 0
) -> float:
    """USD a budget holds before the call: n images at the model's price for this size and
    quality, plus the input images it reads. An estimate; the run settles with what was made."""
    if model is None or n <= 0:
        return 0.0
    per_image = model.cost_per_image
    if per_image is None:
        per_image = IMAGE_TOKENS * (model.image_output_cost_per_1m_tokens or 0) / 1e6
        width, _, height = (size or "").partition("x")
        if width.isdigit() and height.isdigit():
            per_image *= max(int(width) * int(height), 1) / (1024 * 1024)
    per_image *= QUALITY_FACTOR.get(quality or "", 1.0)
    reading = input_images * IMAGE_TOKENS * (model.input_cost_per_1m_tokens or 0) / 1e6
    return round(n * per_image + reading, 6)
