"""OpenRouter: the thread LLM and image models, both through its OpenAI-shaped chat completions.

Wire format: providers.md §4. Chat is OpenAI's (see `workers.providers.openai`) plus routing
fields, `: OPENROUTER PROCESSING` keep-alive comments (skipped by `iter_sse`) and mid-stream
error chunks (`{"error": {...}}`, `finish_reason: "error"`). Images come back from a chat
completion with `modalities` including "image", as data URLs in `choices[0].message.images[]`.
Base URL: `https://openrouter.ai/api/v1`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any, ClassVar

import httpx2

from workers.providers.base import (
    ChatRequest,
    ContentPolicyError,
    ImagePreview,
    ImageRequest,
    ImageResult,
    ProviderError,
    in_parallel,
    variant_seed,
)
from workers.providers.http import ProviderSettings, build_client, open_response
from workers.providers.openai import (
    OpenAIChat,
    bearer,
    body_error,
    decode_image,
    image_part,
    malformed,
    map_http_error,
    ratio_dimensions,
    read_json,
    stream_error,
)

# Top-level request fields that steer routing; any other key of extra["openrouter"] is a
# provider preference (order, only, ignore, allow_fallbacks, sort, ...) and goes under `provider`.
ROUTING_FIELDS = frozenset({"provider", "models", "route", "transforms", "plugins", "preset"})
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
# Image-only models reject "text" in modalities (providers.md §4.1).
IMAGE_ONLY_PREFIXES = ("black-forest-labs/", "sourceful/")
# Gemini's finish reasons when it declines to draw, passed on as native_finish_reason.
REFUSAL_FINISHES = frozenset(
    {"content_filter", "IMAGE_SAFETY", "SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT"}
)
ATTRIBUTION = {"x-title": "Easel"}  # OpenRouter's app attribution header
MASK_NOTE = "The last image is a mask: its transparent areas mark where to edit the first image."


def routing_fields(routing: dict[str, Any] | None) -> dict[str, Any]:
    """The request fields for `extra["openrouter"]`: routing fields as given, the rest under `provider`."""
    fields = {k: v for k, v in (routing or {}).items() if k in ROUTING_FIELDS}
    preferences = {k: v for k, v in (routing or {}).items() if k not in ROUTING_FIELDS}
    if preferences:
        fields["provider"] = {**(fields.get("provider") or {}), **preferences}
    return fields


def map_openrouter_error(response: httpx2.Response, body: bytes, *, vendor: str) -> ProviderError:
    """OpenAI's mapping, plus OpenRouter's moderation 403 (metadata names the flagged input)."""
    error = body_error(body)
    metadata = error.get("metadata") if isinstance(error, dict) else None
    if (
        response.status_code == 403
        and isinstance(metadata, dict)
        and ("flagged_input" in metadata or "reasons" in metadata)
    ):
        return ContentPolicyError(f"{vendor} refused the request: {error.get('message')}", status_code=403)
    return map_http_error(response, body, vendor=vendor)


class OpenRouterChat(OpenAIChat):
    """OpenAIChat with OpenRouter's routing fields and error bodies."""

    name: ClassVar[str] = "openrouter"

    def __init__(self, settings: ProviderSettings, *, name: str = "openrouter") -> None:
        super().__init__(settings, name=name)

    def headers(self) -> dict[str, str]:
        return {**super().headers(), **ATTRIBUTION}

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        return {**super().request_body(request), **routing_fields(request.extra.get("openrouter"))}

    def map_error(self, response: httpx2.Response, body: bytes) -> ProviderError:
        return map_openrouter_error(response, body, vendor=self.name)


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------


def nearest_ratio(value: Any) -> str | None:
    """The supported aspect ratio closest to a "W:H" ratio or "WxH" size, or None."""
    if value in ASPECT_RATIOS:
        return str(value)
    dimensions = ratio_dimensions(value)
    if dimensions is None:
        return None
    target = math.log(dimensions[0] / dimensions[1])
    return min(ASPECT_RATIOS, key=lambda ratio: abs(log_ratio(ratio) - target))


def log_ratio(ratio: str) -> float:
    width, _, height = ratio.partition(":")
    return math.log(float(width) / float(height))


def size_tier(size: Any) -> str | None:
    """The image_size tier ("1K", "2K", "4K") that covers a "WxH" size, or None."""
    dimensions = ratio_dimensions(size) if "x" in str(size or "") else None
    if dimensions is None:
        return None
    longest = max(dimensions)
    return "1K" if longest <= 1600 else ("2K" if longest <= 3200 else "4K")


def image_config(request: ImageRequest) -> dict[str, str]:
    """`image_config` from caller config (aspect_ratio, size, resolution), then the LLM's hints."""
    config = request.config
    # The caller's values were validated against the model (some take 1:4 or 0.5K): kept as they are.
    ratio = (
        config.get("aspect_ratio")
        or nearest_ratio(config.get("size"))
        or nearest_ratio(request.aspect_ratio_hint)
        or nearest_ratio(request.size_hint)
    )
    tier = config.get("resolution") or size_tier(config.get("size")) or size_tier(request.size_hint)
    return {k: v for k, v in (("aspect_ratio", ratio), ("image_size", tier)) if v}


def image_content(request: ImageRequest) -> list[dict[str, Any]]:
    """The user turn: the prompt first, then input images, then the mask with a note saying so."""
    parts: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
    parts += [image_part(image) for image in request.input_images]
    if request.mask:  # OpenRouter has no mask field; the model is told what the extra image is
        parts += [{"type": "text", "text": MASK_NOTE}, image_part(request.mask)]
    return parts


class OpenRouterImages:
    """Image models (Gemini, FLUX, ...) through chat completions with image output."""

    name: ClassVar[str] = "openrouter"

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def generate(
        self,
        request: ImageRequest,
        *,
        on_preview: Callable[[ImagePreview], None] = lambda preview: None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[ImageResult]:
        """Return n images, one call each, several at once (chat completions has no `n`).

        No previews: these models do not stream partial images. Calls not started when
        `cancelled()` turns true are skipped.
        """
        wanted = max(1, int(request.config.get("n") or 1))
        body = self.request_body(request)
        base = variant_seed(request.config.get("seed"))

        def one(index: int) -> ImageResult:
            # Each call yields at least one image or raises; its own seed makes it a different one.
            return replace(self._call({**body, "seed": base + index})[0], seed=base + index)

        return in_parallel(wanted, one, cancelled=cancelled)

    def request_body(self, request: ImageRequest) -> dict[str, Any]:
        image_only = request.model.startswith(IMAGE_ONLY_PREFIXES)
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": "user", "content": image_content(request)}],
            "modalities": ["image"] if image_only else ["image", "text"],
            "stream": False,
        }
        if config := image_config(request):
            body["image_config"] = config
        if request.config.get("provider"):
            body["provider"] = request.config["provider"]
        if request.config.get("seed") is not None:
            body["seed"] = request.config["seed"]
        return body

    def _call(self, body: dict[str, Any]) -> list[ImageResult]:
        with (
            build_client(self.settings, headers={**bearer(self.settings), **ATTRIBUTION}) as client,
            open_response(
                client,
                "POST",
                "chat/completions",
                settings=self.settings,
                vendor=self.name,
                map_error=partial(map_openrouter_error, vendor=self.name),
                retry_safe=False,  # a repeated generation could bill twice
                json=body,
            ) as response,
        ):
            return self._images(read_json(response, self.name))

    def _images(self, data: dict[str, Any]) -> list[ImageResult]:
        """Decode `choices[0].message.images[]`; no image is a refusal or a malformed answer."""
        if data.get("error"):
            raise stream_error(data["error"], self.name)
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise malformed(self.name, "no choices")
        message = choices[0].get("message") or {}
        images = [self._image(entry) for entry in message.get("images") or []]
        if images:
            return images
        finishes = {choices[0].get("finish_reason"), choices[0].get("native_finish_reason")}
        if finishes & REFUSAL_FINISHES or message.get("refusal"):
            reason = message.get("refusal") or message.get("content") or "no reason given"
            raise ContentPolicyError(f"{self.name} declined to draw the image: {str(reason)[:300]}")
        raise malformed(self.name, "no images in the response")

    def _image(self, entry: Any) -> ImageResult:
        url = ((entry or {}).get("image_url") or {}).get("url") if isinstance(entry, dict) else None
        header, _, payload = str(url or "").partition(",")
        if not (header.startswith("data:") and header.endswith(";base64")):
            raise malformed(self.name, "image is not a base64 data URL")
        data, mime = decode_image(payload, self.name)
        return ImageResult(data=data, mime_type=mime)
