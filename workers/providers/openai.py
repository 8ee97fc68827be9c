"""OpenAI: Chat Completions (the thread LLM) and the Images API (generations, edits).

Wire formats: providers.md §1 (chat streaming with tools) and §2 (images). `OpenAIChat` also
serves OpenAI-compatible servers (vLLM, Ollama, LM Studio) given another name and base URL;
`workers.providers.openrouter` builds on it. The base URL follows the official SDK's
convention: `https://api.openai.com/v1`, with paths relative to it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, ClassVar

import httpx2

from workers.providers._json_stream import body_failures
from workers.providers.base import (
    ChatMessage,
    ChatRequest,
    ContentPolicyError,
    Finished,
    ImagePreview,
    ImageRequest,
    ImageResult,
    InputImage,
    LLMEvent,
    MalformedResponseError,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolCallStarted,
    Usage,
)
from workers.providers.http import ProviderSettings, build_client, default_error, drain, iter_sse, open_response

# Error codes/types meaning "refused on policy grounds" across OpenAI and OpenRouter bodies.
POLICY_CODES = frozenset({"moderation_blocked", "content_policy_violation", "content_filter", "refusal"})
FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}
IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"))
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


# --------------------------------------------------------------------------------------------
# Shared helpers (also used by the OpenRouter adapter)
# --------------------------------------------------------------------------------------------


def bearer(settings: ProviderSettings) -> dict[str, str]:
    # Self-hosted OpenAI-compatible servers often run without a key: then send no header at all.
    return {"authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}


def malformed(vendor: str, what: str) -> ProviderError:
    return MalformedResponseError(f"{vendor}: malformed response ({what})")


def parse_json(text: str | bytes, vendor: str) -> Any:
    """JSON or ProviderError(kind="malformed_response", permanent=True)."""
    try:
        return json.loads(text)
    except ValueError:
        raise malformed(vendor, "invalid JSON") from None


def read_json(response: httpx2.Response, vendor: str) -> dict[str, Any]:
    """A whole JSON object body, read under the body-reading error mapping."""
    with body_failures(vendor):
        body = response.read()
    data = parse_json(body, vendor)
    if not isinstance(data, dict):
        raise malformed(vendor, "expected a JSON object")
    return data


def json_payloads(response: httpx2.Response, vendor: str) -> Iterator[Any]:
    """Parsed `data:` payloads of an event stream up to `[DONE]` (keep-alive comments are skipped)."""
    with body_failures(vendor):
        for _, data in iter_sse(response):
            if data.strip() == "[DONE]":
                drain(response)
                return
            yield parse_json(data, vendor)


def sniff_mime(data: bytes) -> str | None:
    """The image type from the file's magic bytes (trusted over what the request asked for)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in IMAGE_MAGIC if data.startswith(magic)), None)


def decode_image(b64: Any, vendor: str) -> tuple[bytes, str]:
    """Base64 image bytes and their sniffed mime type, or a malformed_response error."""
    if not isinstance(b64, str) or not b64:
        raise malformed(vendor, "missing image data")
    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise malformed(vendor, "image base64 does not decode") from None
    mime = sniff_mime(data)
    if mime is None:
        raise malformed(vendor, "image data is not a known image format")
    return data, mime


def data_url(mime_type: str, data: bytes) -> str:
    return f"data:{mime_type};base64,{base64.b64encode(data).decode()}"


def image_part(image: InputImage | tuple[str, bytes]) -> dict[str, Any]:
    """A chat `image_url` content part carrying the image inline as a data URL."""
    mime, data = (image.mime_type, image.data) if isinstance(image, InputImage) else image
    return {"type": "image_url", "image_url": {"url": data_url(mime, data), "detail": "auto"}}


def error_fields(error: Any) -> tuple[str, set[str]]:
    """(message, codes) of a vendor error object; codes gathers code/type/metadata.error_type."""
    if not isinstance(error, dict):
        return str(error)[:500], set()
    metadata = error.get("metadata") if isinstance(error.get("metadata"), dict) else {}
    codes = {str(v) for v in (error.get("code"), error.get("type"), metadata.get("error_type")) if v is not None}
    return str(error.get("message") or error.get("type") or "error")[:500], codes


def body_error(body: bytes) -> Any:
    with contextlib.suppress(ValueError):
        data = json.loads(body)
        if isinstance(data, dict):
            return data.get("error")
    return None


def map_http_error(response: httpx2.Response, body: bytes, *, vendor: str) -> ProviderError:
    """default_error, except that a policy refusal becomes ContentPolicyError."""
    message, codes = error_fields(body_error(body))
    if codes & POLICY_CODES:
        return ContentPolicyError(f"{vendor} refused the request: {message}", status_code=response.status_code)
    return default_error(response, body, vendor=vendor)


def stream_error(error: Any, vendor: str) -> ProviderError:
    """Map an error object met inside a 200 response (a mid-stream error chunk)."""
    message, codes = error_fields(error)
    text = f"{vendor} reported an error mid-stream: {message}"
    if codes & POLICY_CODES:
        return ContentPolicyError(text)
    status = error.get("code") if isinstance(error, dict) and isinstance(error.get("code"), int) else None
    if status == 429 or any("rate_limit" in code for code in codes):
        return ProviderError(text, kind="rate_limited", status_code=status)
    if status in (401, 403):
        return ProviderError(text, permanent=True, kind="auth", status_code=status)
    if status is not None and 400 <= status < 500 and status != 408:
        return ProviderError(text, permanent=True, kind="bad_request", status_code=status)
    return ProviderError(text, kind="server_error", status_code=status)


# --------------------------------------------------------------------------------------------
# Chat
# --------------------------------------------------------------------------------------------


def chat_message(message: ChatMessage) -> dict[str, Any]:
    """One neutral history turn in Chat Completions shape (providers.md §1.1, §1.6)."""
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    if message.role == "assistant":
        out: dict[str, Any] = {"role": "assistant", "content": message.content or None}
        if message.tool_calls:
            out["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in message.tool_calls
            ]
        return out
    if message.role == "user" and message.images:
        parts = [{"type": "text", "text": message.content}] if message.content else []
        return {"role": "user", "content": parts + [image_part(image) for image in message.images]}
    return {"role": message.role, "content": message.content}


def chat_messages(request: ChatRequest) -> list[dict[str, Any]]:
    """The history, with `request.system` prepended only when no system message is present."""
    messages = [chat_message(m) for m in request.messages]
    if request.system and not any(m.role == "system" for m in request.messages):
        messages.insert(0, {"role": "system", "content": request.system})
    return messages


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: str = ""
    announced: bool = False


class ChatStreamState:
    """Folds Chat Completions chunks into LLM events; tool calls are assembled by `index`."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.calls: dict[int, _PartialCall] = {}
        self.finish: str | None = None
        self.usage: Usage | None = None

    def feed(self, chunk: Any) -> Iterator[LLMEvent]:
        """Events for one chunk; raises ProviderError for error chunks and malformed shapes."""
        if not isinstance(chunk, dict):
            raise malformed(self.vendor, "chunk is not an object")
        if chunk.get("error"):
            raise stream_error(chunk["error"], self.vendor)
        if isinstance(chunk.get("usage"), dict):
            usage = chunk["usage"]
            self.usage = Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
        for choice in chunk.get("choices") or []:
            yield from self._choice(choice)

    def _choice(self, choice: dict[str, Any]) -> Iterator[LLMEvent]:
        delta = choice.get("delta") or {}
        # A refusal streams as its own text field; the user should still read it.
        if text := delta.get("content") or delta.get("refusal"):
            yield TextDelta(text)
        for position, part in enumerate(delta.get("tool_calls") or []):
            yield from self._tool_call_part(position, part)
        finish = choice.get("finish_reason")
        if finish == "error":
            raise ProviderError(f"{self.vendor}: the stream ended with an error", kind="server_error")
        if finish and self.finish is None:
            self.finish = finish
            yield from self._ready_calls()

    def _tool_call_part(self, position: int, part: dict[str, Any]) -> Iterator[LLMEvent]:
        # Some compatible servers omit `index`; fall back to the part's place in the delta.
        call = self.calls.setdefault(int(part.get("index", position)), _PartialCall())
        function = part.get("function") or {}
        call.id = call.id or part.get("id") or ""
        call.name = call.name or function.get("name") or ""
        call.arguments += function.get("arguments") or ""
        if call.name and not call.announced:
            call.announced = True
            call.id = call.id or f"call_{len(self.calls)}"
            yield ToolCallStarted(id=call.id, name=call.name)

    def _ready_calls(self) -> Iterator[LLMEvent]:
        for _, call in sorted(self.calls.items()):
            if not call.name:
                raise malformed(self.vendor, "tool call without a name")
            yield ToolCallReady(ToolCall(id=call.id, name=call.name, arguments=call.arguments or "{}"))

    def close(self) -> Iterator[LLMEvent]:
        """Usage and the one Finished, once the stream has ended."""
        if self.finish is None:
            raise ProviderError(f"{self.vendor}: the stream ended before a finish_reason", kind="connection")
        if self.usage:
            yield self.usage
        # Some compatible servers (Ollama) say "stop" even when the turn made tool calls.
        reason = "tool_calls" if self.calls else FINISH_REASONS.get(self.finish, "stop")
        yield Finished(reason)


class OpenAIChat:
    """The thread LLM over Chat Completions streaming; `name` lets compatible servers reuse it."""

    name: ClassVar[str] = "openai"

    def __init__(self, settings: ProviderSettings, *, name: str = "openai") -> None:
        # An instance name, so a vLLM/Ollama/LM Studio instance reports and registers as itself.
        self.name = name  # type: ignore[misc]
        self.settings = settings

    def headers(self) -> dict[str, str]:
        return bearer(self.settings)

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": chat_messages(request),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.tools:
            body["tools"] = list(request.tools)
            body["tool_choice"] = "auto"
        return body

    def map_error(self, response: httpx2.Response, body: bytes) -> ProviderError:
        return map_http_error(response, body, vendor=self.name)

    def stream(self, request: ChatRequest, *, cancelled: Callable[[], bool] = lambda: False) -> Iterator[LLMEvent]:
        """Yield events ending in exactly one Finished; raise ProviderError on any failure.

        When `cancelled()` turns true between chunks the stream is closed and the generator
        returns without a Finished (the caller knows why it stopped).
        """
        body = self.request_body(request)
        if cancelled():
            return
        # A client per call: the registry makes an adapter per use and never closes it.
        with (
            build_client(self.settings, headers=self.headers()) as client,
            open_response(
                client,
                "POST",
                "chat/completions",
                settings=self.settings,
                vendor=self.name,
                map_error=self.map_error,
                json=body,
            ) as response,
        ):
            state = ChatStreamState(self.name)
            for chunk in json_payloads(response, self.name):
                if cancelled():
                    return
                yield from state.feed(chunk)
            yield from state.close()


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------

GPT_IMAGE_PREFIXES = ("gpt-image", "chatgpt-image")
# Sizes per orientation for models with a fixed size list; gpt-image-2 takes any WxH.
ORIENTATION_SIZES = {
    "gpt-image": {"square": "1024x1024", "landscape": "1536x1024", "portrait": "1024x1536"},
    "dall-e-3": {"square": "1024x1024", "landscape": "1792x1024", "portrait": "1024x1792"},
    "dall-e-2": {"square": "1024x1024", "landscape": "1024x1024", "portrait": "1024x1024"},
}
GPT_ONLY_KEYS = ("background", "output_format", "output_compression", "moderation")


def is_gpt_image(model: str) -> bool:
    return model.startswith(GPT_IMAGE_PREFIXES)


def size_family(model: str) -> str:
    return "gpt-image" if is_gpt_image(model) else ("dall-e-3" if model == "dall-e-3" else "dall-e-2")


def orientation(width: float, height: float) -> str:
    return "square" if abs(width / height - 1) < 0.1 else ("landscape" if width > height else "portrait")


def ratio_dimensions(value: Any) -> tuple[float, float] | None:
    """(w, h) from "WxH" or "W:H", or None."""
    for separator in ("x", ":"):
        left, sep, right = str(value or "").partition(separator)
        with contextlib.suppress(ValueError):
            if sep and float(left) > 0 and float(right) > 0:
                return float(left), float(right)
    return None


def fit_size(model: str, size: Any = None, aspect_ratio: Any = None) -> str | None:
    """An Images API size for this model from a WxH size or an aspect ratio, or None."""
    allowed = ORIENTATION_SIZES[size_family(model)]
    if size == "auto" and is_gpt_image(model):
        return "auto"
    if size and (model.startswith("gpt-image-2") or size in allowed.values()):
        return str(size)
    dimensions = ratio_dimensions(size) or ratio_dimensions(aspect_ratio)
    return allowed[orientation(*dimensions)] if dimensions else None


def image_size(request: ImageRequest) -> str | None:
    """The size: caller config (size, then aspect_ratio) beats the LLM's hints."""
    config = request.config
    return fit_size(request.model, config.get("size"), config.get("aspect_ratio")) or fit_size(
        request.model, request.size_hint, request.aspect_ratio_hint
    )


def image_quality(model: str, quality: Any) -> str | None:
    """Quality in the model's own vocabulary (dall-e-3: hd/standard; GPT image: low..high)."""
    if quality is None or model == "dall-e-2":
        return None
    if model == "dall-e-3":
        return "hd" if quality in ("hd", "high") else "standard"
    return {"hd": "high", "standard": "medium"}.get(str(quality), str(quality))


def image_params(request: ImageRequest, n: int) -> dict[str, Any]:
    """The Images API fields for a request, mapped for its model family."""
    params: dict[str, Any] = {"model": request.model, "prompt": request.prompt, "n": n}
    if size := image_size(request):
        params["size"] = size
    if quality := image_quality(request.model, request.config.get("quality")):
        params["quality"] = quality
    if is_gpt_image(request.model):
        params.update({k: request.config[k] for k in GPT_ONLY_KEYS if k in request.config})
        if request.input_images and "input_fidelity" in request.config:
            params["input_fidelity"] = request.config["input_fidelity"]
    else:
        params["response_format"] = "b64_json"  # dall-e defaults to hour-long URLs
        if request.model == "dall-e-3" and "style" in request.config:
            params["style"] = request.config["style"]
    return params


def form_fields(params: dict[str, Any]) -> dict[str, str]:
    """Multipart form values: booleans as true/false, everything else as text."""
    return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in params.items()}


def edit_files(request: ImageRequest) -> list[tuple[str, tuple[str, bytes, str]]]:
    """Upload parts: one input is `image`, several are repeated `image[]` (the SDK's convention)."""
    field = "image" if len(request.input_images) == 1 else "image[]"
    files = [
        (field, (f"image-{i}.{EXTENSIONS.get(image.mime_type, 'png')}", image.data, image.mime_type))
        for i, image in enumerate(request.input_images)
    ]
    if request.mask:
        files.append(("mask", ("mask.png", request.mask.data, request.mask.mime_type)))
    return files


class OpenAIImages:
    """GPT image and DALL·E models over /images/generations and /images/edits."""

    name: ClassVar[str] = "openai"
    default_partial_images = 2

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def generate(
        self,
        request: ImageRequest,
        *,
        on_preview: Callable[[ImagePreview], None] = lambda preview: None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[ImageResult]:
        """Return n images; stream partial previews where the model can; raise ProviderError.

        A cancel stops reading and returns the images finished so far.
        """
        n = int(request.config.get("n") or 1)
        if request.model == "dall-e-3" and n > 1:  # dall-e-3 only takes n=1
            results: list[ImageResult] = []
            for _ in range(n):
                if cancelled():
                    break
                single = replace(request, config={**request.config, "n": 1})
                results += self.generate(single, on_preview=on_preview, cancelled=cancelled)
            return results
        if cancelled():
            return []
        return self._request(request, image_params(request, n), on_preview, cancelled)

    def partial_images(self, request: ImageRequest, n: int) -> int:
        # Streaming with n>1 is undocumented (providers.md §2.4), so only single images stream.
        if not is_gpt_image(request.model) or n != 1:
            return 0
        return int(request.config.get("partial_images", self.default_partial_images))

    def _request(
        self,
        request: ImageRequest,
        params: dict[str, Any],
        on_preview: Callable[[ImagePreview], None],
        cancelled: Callable[[], bool],
    ) -> list[ImageResult]:
        partials = self.partial_images(request, params["n"])
        if partials:
            params.update(stream=True, partial_images=partials)
        if request.input_images:
            path, payload = "images/edits", {"data": form_fields(params), "files": edit_files(request)}
        else:
            path, payload = "images/generations", {"json": params}
        with (
            build_client(self.settings, headers=bearer(self.settings)) as client,
            open_response(
                client,
                "POST",
                path,
                settings=self.settings,
                vendor=self.name,
                map_error=partial(map_http_error, vendor=self.name),
                retry_safe=False,  # a repeated generation could bill twice
                **payload,
            ) as response,
        ):
            if partials:
                return self._read_stream(response, on_preview, cancelled)
            return self._read_body(response)

    def _read_body(self, response: httpx2.Response) -> list[ImageResult]:
        items = read_json(response, self.name).get("data")
        if not isinstance(items, list) or not items:
            raise malformed(self.name, "no images in `data`")
        return [self._result(item) for item in items]

    def _result(self, item: Any) -> ImageResult:
        if not isinstance(item, dict):
            raise malformed(self.name, "image entry is not an object")
        data, mime = decode_image(item.get("b64_json"), self.name)
        return ImageResult(data=data, mime_type=mime, revised_prompt=item.get("revised_prompt"))

    def _read_stream(
        self, response: httpx2.Response, on_preview: Callable[[ImagePreview], None], cancelled: Callable[[], bool]
    ) -> list[ImageResult]:
        """`*.partial_image` events become previews, `*.completed` events results."""
        results: list[ImageResult] = []
        for event in json_payloads(response, self.name):
            if cancelled():
                return results
            if not isinstance(event, dict):
                raise malformed(self.name, "event is not an object")
            if event.get("error"):
                raise stream_error(event["error"], self.name)
            kind = str(event.get("type", ""))
            if kind.endswith(".partial_image"):
                on_preview(self._preview(event))
            elif kind.endswith(".completed"):
                results.append(self._result(event))
        if not results:
            raise malformed(self.name, "the stream ended without a completed image")
        return results

    def _preview(self, event: dict[str, Any]) -> ImagePreview:
        data, mime = decode_image(event.get("b64_json"), self.name)
        return ImagePreview(index=int(event.get("partial_image_index") or 0), data=data, mime_type=mime)
