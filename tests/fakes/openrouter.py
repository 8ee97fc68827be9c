"""A fake OpenRouter API under `/api/v1`: OpenAI's chat format plus OpenRouter's extras.

In-process: `with FakeOpenRouter() as fake: OpenAI(base_url=fake.origin + "/api/v1", ...)`.
Own process: `python -m tests.fakes.openrouter --port 8102`.

Agent mode, scripting and fault switches are those of `tests.fakes.openai`; the differences
follow providers.md §4:

* streams start with `: OPENROUTER PROCESSING` comments (`processing` of them, default 1) and
  carry usage (with `cost`) on the last chunk, whatever `stream_options` says;
* `modalities` containing "image" makes the reply carry PNGs sized from `image_config`
  (`aspect_ratio`, `image_size`, Gemini's sizes; without `aspect_ratio`, the last input
  image's shape, else 1:1): `message.images[]`, or one streamed `delta.images`. Input images
  make it an edit of the first one (see `OpenRouterHandler.reply_images`); `seed` makes the
  pictures repeatable, without it every request draws new ones. Agent mode answers "Here is
  your image." with one image; a scripted reply's `images` sets the count (0 with
  `"stop": "content_filter"` reads as a refusal);
* `stream_error` (an `error_type` such as "rate_limit_exceeded") sends the documented error chunk
  with `finish_reason: "error"` after `after` frames and ends the stream;
* `safety` answers 403 with the moderation error body; `corrupt` sends image data URLs whose
  base64 does not decode;
* error bodies are `{"error": {"code": <status>, "message": ...}}`.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from typing import Any

from tests.fakes.agent_mode import TOOL_RESULT_TEXT, Reply
from tests.fakes.base import serve_main
from tests.fakes.gemini import IMAGE_TOKENS, SCALES, SIZES_1K, STANDARD_SIZES
from tests.fakes.imaging import centre_region, decode, derive_edit, encode, nearest_ratio, solid
from tests.fakes.openai import FakeOpenAI, OpenAIFaults, OpenAIHandler, finish_reason, message_images, message_text
from tests.fakes.openai_images import BAD_BASE64, b64, inputs_digest

OPENROUTER_ERRORS = {
    400: "Invalid request parameters",
    401: "User not found.",
    402: "Insufficient credits. Add more using https://openrouter.ai/credits",
    403: "Request blocked by moderation",
    404: "No endpoints found for this model.",
    408: "Operation timed out. Please try again later.",
    429: "Rate limit exceeded",
    500: "Internal Server Error",
    502: "Provider returned error",
    503: "Service temporarily unavailable",
    524: "Provider returned error",
    529: "Provider returned error",
}
# Gemini's output sizes at 1K, plus the ratios only gemini-3.1-flash-image takes (their sizes are
# undocumented: these keep about a megapixel [inferred]); image_size scales them.
ASPECT_SIZES = {**SIZES_1K, "1:4": (512, 2048), "4:1": (2048, 512), "1:8": (384, 3072), "8:1": (3072, 384)}
IMAGE_SCALES: dict[str, float] = {**SCALES, "0.5K": 0.5}
# metadata.error_type → the status its mid-stream error chunk carries as `code`.
STREAM_ERROR_CODES = {
    "rate_limit_exceeded": 429,
    "provider_overloaded": 529,
    "content_policy_violation": 403,
    "refusal": 403,
    "timeout": 408,
    "server": 502,
}


def wants_images(request: dict[str, Any]) -> bool:
    return "image" in (request.get("modalities") or [])


def image_pixels(request: dict[str, Any]) -> tuple[int, int] | None:
    """The output size for the request's `image_config`, or None for values OpenRouter rejects.

    Without an aspect ratio the (Gemini) upstream matches the last input image, else 1:1.
    """
    config = request.get("image_config") or {}
    base = ASPECT_SIZES.get(str(config.get("aspect_ratio") or input_ratio(request)))
    scale = IMAGE_SCALES.get(str(config.get("image_size", "1K")))
    return (int(base[0] * scale), int(base[1] * scale)) if base and scale else None


def input_ratio(request: dict[str, Any]) -> str:
    """The standard ratio nearest the last input image's shape, or "1:1" without one."""
    images = [decode(data) for _, data in message_images(request.get("messages") or [])]
    last = images[-1] if images else None
    return nearest_ratio(*last.size, STANDARD_SIZES) if last else "1:1"


class OpenRouterHandler(OpenAIHandler):
    """OpenRouter's chat completions, built on the OpenAI handler's chunking and faults."""

    prefix = "/api/v1"

    def routes(self) -> dict[tuple[str, str], Any]:
        return {("POST", "/chat/completions"): self.chat}

    def new_request_id(self) -> str:
        return f"gen-{int(time.time())}-{secrets.token_hex(10)}"

    def completion_id(self) -> str:
        return self.request_id  # the generation id is both the body's `id` and `x-generation-id`

    def response_headers(self) -> dict[str, str]:
        return {"x-generation-id": self.request_id}

    def encode_json(self, payload: Any) -> bytes:
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()  # compact, unlike OpenAI

    # --- errors --------------------------------------------------------------------------
    def error_payload(self, status: int, message: str | None, fields: dict[str, Any]) -> dict[str, Any]:
        """`{"error": {"code": <status>, "message", "metadata"?}}`; OpenAI's type/param/code do not exist here."""
        error: dict[str, Any] = {"code": status, "message": message or OPENROUTER_ERRORS.get(status, "Error")}
        if fields.get("metadata"):
            error["metadata"] = fields["metadata"]
        return {"error": error}

    def no_key_message(self) -> str:
        return "No auth credentials found"

    def send_moderation_error(self, request: dict[str, Any]) -> None:
        model = str(request.get("model", ""))
        flagged = message_text((request.get("messages") or [{}])[-1])[:100]
        metadata = {"reasons": ["violence"], "flagged_input": flagged, "provider_name": "OpenAI", "model_slug": model}
        message = (
            f'{model} requires moderation on OpenAI. Your input was flagged for "violence". No credits were charged.'
        )
        self.send_error_status(403, message, metadata=metadata)

    def error_frame(self, error_type: str) -> bytes:
        # The documented error chunk (providers.md §4.6); "the stream is terminated after this event".
        code = STREAM_ERROR_CODES.get(error_type, 502)
        error = {
            "code": code,
            "message": OPENROUTER_ERRORS.get(code, "Provider returned error"),
            "metadata": {"error_type": error_type},
        }
        return self.encode_frame({**self.envelope([self.choice({"content": ""}, "error")]), "error": error})

    # --- chat ----------------------------------------------------------------------------
    def chat_request(self, request: dict[str, Any], faults: OpenAIFaults) -> None:
        if wants_images(request) and image_pixels(request) is None:
            self.send_error_status(400, f"Invalid image_config: {request.get('image_config')}")
        elif faults.safety:
            self.send_moderation_error(request)
        else:
            super().chat_request(request, faults)

    def next_reply(self, request: dict[str, Any]) -> Reply:
        scripted = self.server.next_reply()
        if scripted is None and wants_images(request):
            return Reply(text=TOOL_RESULT_TEXT)  # agent mode for an image model: a picture and a line
        return scripted or super().next_reply(request)

    def reply_images(self, request: dict[str, Any], reply: Reply, faults: OpenAIFaults) -> list[dict[str, Any]]:
        """PNGs at the image_config size: fresh from the last user text, or edits of the first input.

        An edit (input images present) is the first input resized, every pixel nudged and its
        middle repainted (`tests.fakes.imaging`). Without a `seed` every request draws new
        pictures, as the real models do; the same `seed` redraws the same ones.
        """
        if not wants_images(request):
            return []
        default = 0 if reply.tool_calls else 1
        count = faults.n or (default if reply.images is None else reply.images)
        size = image_pixels(request) or (1024, 1024)
        messages = request.get("messages") or []
        prompt = message_text(([m for m in messages if m.get("role") == "user"] or [{}])[-1])
        inputs = [data for _, data in message_images(messages)]
        seed = request.get("seed")
        salt = os.urandom(8).hex() if seed is None else f"seed={seed}"
        key = prompt + inputs_digest(inputs) + salt
        source = decode(inputs[0]) if inputs else None

        def draw(index: int) -> str:
            if faults.corrupt:
                return BAD_BASE64
            if source is None:
                return b64(solid(f"{key}#{index}", *size))
            return b64(encode(derive_edit(source, f"{key}#{index}", size, centre_region(size))))

        urls = ["data:image/png;base64," + draw(i) for i in range(count)]
        return [{"type": "image_url", "image_url": {"url": url}, "index": i} for i, url in enumerate(urls)]

    def usage(self, request: dict[str, Any], reply: Reply) -> dict[str, Any]:
        usage = super().usage(request, reply)
        if wants_images(request):
            usage["completion_tokens"] += IMAGE_TOKENS
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return {**usage, "cost": round(usage["total_tokens"] * 3e-5, 6), "is_byok": False}

    # --- chunk shape ---------------------------------------------------------------------
    def envelope(self, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        completion = self.completion
        return {
            "id": completion.id,
            "provider": self.provider_name(completion.model),
            "model": completion.model,
            "object": "chat.completion.chunk",
            "created": completion.created,
            "choices": choices,
            **extra,
        }

    def choice(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        native = self.native_finish(finish) if finish else None
        return {"index": 0, "delta": delta, "finish_reason": finish, "native_finish_reason": native, "logprobs": None}

    def chat_body(self, request: dict[str, Any], reply: Reply, images: list[dict[str, Any]]) -> dict[str, Any]:
        body = super().chat_body(request, reply, images)
        choice = body["choices"][0]
        choice["native_finish_reason"] = self.native_finish(choice["finish_reason"])
        body.pop("service_tier")
        return {"provider": self.provider_name(self.completion.model), **body}

    @staticmethod
    def native_finish(finish: str) -> str:
        # What a Gemini upstream says [inferred]; OpenRouter passes it through beside finish_reason.
        return {"stop": "STOP", "length": "MAX_TOKENS", "content_filter": "IMAGE_SAFETY"}.get(finish, finish)

    @staticmethod
    def provider_name(model: str) -> str:
        vendor = model.partition("/")[0]
        return {"openai": "OpenAI", "google": "Google", "anthropic": "Anthropic"}.get(vendor, "Fake")

    def chunk_extra(self, request: dict[str, Any]) -> dict[str, Any]:
        return {}  # no "usage": null placeholders on OpenRouter

    def closing_chunks(self, request: dict[str, Any], reply: Reply) -> Iterator[dict[str, Any]]:
        # Usage is always included, on the last chunk (providers.md §4.2, §4.3).
        yield self.envelope([self.choice({}, finish_reason(reply))], usage=self.usage(request, reply))

    def preamble(self, faults: OpenAIFaults) -> bytes:
        return b": OPENROUTER PROCESSING\n\n" * faults.processing


class FakeOpenRouter(FakeOpenAI):
    """A loopback OpenRouter; `chat_images(record)` decodes the input images a request carried."""

    handler = OpenRouterHandler


if __name__ == "__main__":
    serve_main(FakeOpenRouter)
