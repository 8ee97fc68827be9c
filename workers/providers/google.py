"""Google's Gemini API: a thread LLM (`GeminiChat`) and image models (`GeminiImages`), providers.md §5.

`base_url` follows the google-genai SDK: the origin without a version
(https://generativelanguage.googleapis.com); requests go to `{base_url}/v1beta/models/{model}:<method>`
with the key in `x-goog-api-key`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx2

from workers.providers._json_stream import json_events, read_json
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
    in_parallel,
    variant_seed,
)
from workers.providers.http import ProviderSettings, build_client, default_error, open_response

VENDOR = "google"
API_VERSION = "v1beta"

# Gemini function calls carry no ids; ours start with this so we know not to echo them back.
SYNTHETIC_ID_PREFIX = "gemini-call-"
# Gemini 3 rejects a current-turn functionCall without a thoughtSignature. Our neutral history
# does not keep the real one, so we send the sentinel Google documents for exactly this case.
SKIP_SIGNATURE = "skip_thought_signature_validator"

# google.rpc status -> (ProviderError kind, permanent)
STATUS_KINDS: dict[str, tuple[str, bool]] = {
    "RESOURCE_EXHAUSTED": ("rate_limited", False),
    "UNAVAILABLE": ("server_error", False),
    "INTERNAL": ("server_error", False),
    "DEADLINE_EXCEEDED": ("timeout", False),
    "UNAUTHENTICATED": ("auth", True),
    "PERMISSION_DENIED": ("auth", True),
    "INVALID_ARGUMENT": ("bad_request", True),
    "FAILED_PRECONDITION": ("bad_request", True),
    "NOT_FOUND": ("bad_request", True),
}
POLICY_REASONS = {
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "LANGUAGE",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
}
BAD_CALL_REASONS = {"MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS"}
# Ratios (width / height) every Gemini image model supports; some models add more (e.g. 1:4).
ASPECT_RATIOS = {
    "1:1": 1.0,
    "2:3": 2 / 3,
    "3:2": 1.5,
    "3:4": 0.75,
    "4:3": 4 / 3,
    "4:5": 0.8,
    "5:4": 1.25,
    "9:16": 9 / 16,
    "16:9": 16 / 9,
    "21:9": 21 / 9,
}
MASK_NOTE = "The next image is a mask: change only the white area of the first image, keep the rest unchanged."


def _client(settings: ProviderSettings) -> httpx2.Client:
    # A client per call: the registry makes an adapter per use and never closes it.
    return build_client(settings, headers={"x-goog-api-key": settings.api_key})


def _model_path(model: str, method: str) -> str:
    return f"{API_VERSION}/models/{model.removeprefix('models/')}:{method}"


# --- errors ------------------------------------------------------------------------------------


def map_error(response: httpx2.Response, body: bytes) -> ProviderError:
    """An HTTP error as a ProviderError from the google.rpc status; 429s honour RetryInfo."""
    base = default_error(response, body, vendor=VENDOR)
    error = _rpc_error(body)
    return _rpc_to_provider_error(error, base)


def _rpc_error(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    if isinstance(data, list) and data:  # non-SSE streaming errors come as a JSON array
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def _rpc_to_provider_error(error: dict[str, Any], base: ProviderError) -> ProviderError:
    status = str(error.get("status") or "")
    kind, permanent = STATUS_KINDS.get(status, (base.kind, base.permanent))
    details = error.get("details") or []
    if any(d.get("reason") == "API_KEY_INVALID" for d in details if isinstance(d, dict)):
        kind, permanent = "auth", True  # Google answers a bad key with 400 INVALID_ARGUMENT
    return ProviderError(
        f"{base.message} ({status})" if status else base.message,
        kind=kind,
        permanent=permanent,
        status_code=base.status_code,
        retry_after=base.retry_after or _retry_delay(details),
    )


def _retry_delay(details: list[Any]) -> float | None:
    """Seconds from a google.rpc.RetryInfo detail ("38s", "0.5s"), if any."""
    for detail in details:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = re.fullmatch(r"([0-9.]+)s", str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def chunk_error(error: dict[str, Any]) -> ProviderError:
    """An `{"error": ...}` chunk in the middle of a stream as a ProviderError."""
    code = error.get("code") if isinstance(error.get("code"), int) else None
    base = ProviderError(f"{VENDOR}: stream failed: {error.get('message') or 'error'}", status_code=code)
    return _rpc_to_provider_error(error, base)


# --- chat --------------------------------------------------------------------------------------


class GeminiChat:
    """A thread LLM on `:streamGenerateContent?alt=sse` with function calling."""

    name: ClassVar[str] = "google"

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def stream(self, request: ChatRequest, *, cancelled: Callable[[], bool] = lambda: False) -> Iterator[LLMEvent]:
        """Yield TextDelta / ToolCallStarted / ToolCallReady, then Usage and one Finished.

        Returns early, closing the stream and without Finished, once `cancelled()` is true.
        """
        body = build_chat_body(request)
        if cancelled():
            return
        with (
            _client(self.settings) as client,
            open_response(
                client,
                "POST",
                _model_path(request.model, "streamGenerateContent"),
                settings=self.settings,
                vendor=VENDOR,
                map_error=map_error,
                params={"alt": "sse"},
                json=body,
            ) as response,
        ):
            assembler = _ChatAssembler()
            for _event, chunk in json_events(response, vendor=VENDOR):
                if cancelled():
                    return
                yield from assembler.feed(chunk)
            yield from assembler.finish()


def build_chat_body(request: ChatRequest) -> dict[str, Any]:
    """The generateContent body for a neutral ChatRequest."""
    body: dict[str, Any] = {"contents": convert_contents(request.messages)}
    # All system turns (the pipeline adds an image note after the prompt); request.system if none.
    system = "\n\n".join(m.content for m in request.messages if m.role == "system" and m.content) or request.system
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    if request.tools:
        body["tools"] = [{"functionDeclarations": [convert_tool(tool) for tool in request.tools]}]
    if request.extra.get("max_tokens"):
        body["generationConfig"] = {"maxOutputTokens": int(request.extra["max_tokens"])}
    return body


def convert_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI-style function tool as a Gemini FunctionDeclaration."""
    function = tool.get("function", tool)
    declaration: dict[str, Any] = {"name": function["name"]}
    if function.get("description"):
        declaration["description"] = function["description"]
    parameters = to_gemini_schema(function.get("parameters") or {})
    if parameters.get("properties"):  # Gemini rejects an OBJECT without properties
        declaration["parameters"] = parameters
    return declaration


_SCHEMA_KEEP = {
    "description",
    "title",
    "nullable",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "minProperties",
    "maxProperties",
    "default",
    "example",
    "propertyOrdering",
}
_FORMATS = {"STRING": {"enum", "date-time"}, "INTEGER": {"int32", "int64"}, "NUMBER": {"float", "double"}}


def to_gemini_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema reduced to Gemini's OpenAPI subset (uppercase types, no unknown keywords)."""
    out = {key: value for key, value in schema.items() if key in _SCHEMA_KEEP}
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "null"] -> STRING + nullable
        out["nullable"] = "null" in kind or out.get("nullable", False)
        kind = next((k for k in kind if k != "null"), None)
    choices = [schema["const"]] if "const" in schema else schema.get("enum")
    if choices is not None:
        kind = kind or "string"
        if kind == "string":  # Gemini enums are strings only
            out["enum"] = [str(c) for c in choices if c is not None]
    if kind:
        out["type"] = str(kind).upper()
    if schema.get("format") in _FORMATS.get(out.get("type", ""), set()):
        out["format"] = schema["format"]
    properties = {name: to_gemini_schema(sub) for name, sub in (schema.get("properties") or {}).items()}
    if properties:
        out["properties"] = properties
        out["required"] = [name for name in schema.get("required") or [] if name in properties]
    elif out.get("type") == "OBJECT":
        del out["type"]  # a free-form object: Gemini has no way to say it, so leave the type open
    if isinstance(schema.get("items"), dict):
        out["items"] = to_gemini_schema(schema["items"])
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        out["anyOf"] = [to_gemini_schema(sub) for sub in alternatives]
    return out


def convert_contents(messages: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    """Neutral history as Gemini contents (system dropped: it goes in systemInstruction).

    Tool results become `functionResponse` parts in a user turn, one turn per batch of calls,
    ordered like the calls and named after them (Gemini matches responses by name and order).
    """
    contents: list[dict[str, Any]] = []
    calls: list[ToolCall] = []  # the calls of the latest model turn
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "assistant":
            calls = list(message.tool_calls)
        role, parts = _role_and_parts(message, calls)
        if not parts:
            continue
        previous = contents[-1] if contents else None
        if previous and previous["role"] == role and _is_tool_turn(previous) == (message.role == "tool"):
            previous["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    for content in contents:
        if _is_tool_turn(content):
            content["parts"].sort(key=lambda part: part.pop("_order"))
    return contents


def _is_tool_turn(content: dict[str, Any]) -> bool:
    return any("functionResponse" in part for part in content["parts"])


def _role_and_parts(message: ChatMessage, calls: list[ToolCall]) -> tuple[str, list[dict[str, Any]]]:
    if message.role == "tool":
        return "user", [_function_response(message, calls)]
    parts: list[dict[str, Any]] = [{"text": message.content}] if message.content else []
    if message.role == "user":
        parts += [_inline(InputImage(data, mime)) for mime, data in message.images]
        return "user", parts
    for index, call in enumerate(message.tool_calls):
        function_call: dict[str, Any] = {"name": call.name, "args": _arguments(call.arguments)}
        if not call.id.startswith(SYNTHETIC_ID_PREFIX):
            function_call["id"] = call.id  # an id Gemini gave us: echo it
        part: dict[str, Any] = {"functionCall": function_call}
        if index == 0:  # only the first call of a parallel set carries the signature
            part["thoughtSignature"] = SKIP_SIGNATURE
        parts.append(part)
    return "model", parts


def _function_response(message: ChatMessage, calls: list[ToolCall]) -> dict[str, Any]:
    """A functionResponse part, found in `calls` by id (else by name) for its name and position."""
    index = next((i for i, c in enumerate(calls) if c.id == message.tool_call_id), None)
    if index is None:
        index = next((i for i, c in enumerate(calls) if c.name == message.name), len(calls))
    name = message.name or (calls[index].name if index < len(calls) else "")
    response: dict[str, Any] = {"name": name, "response": {"result": _result(message.content)}}
    if message.tool_call_id and not message.tool_call_id.startswith(SYNTHETIC_ID_PREFIX):
        response["id"] = message.tool_call_id
    # "_order" sorts parallel results like their calls; convert_contents removes it.
    return {"functionResponse": response, "_order": index}


def _arguments(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _result(content: str) -> Any:
    """A tool's JSON result as a value (Gemini wants a Struct, so it is wrapped in {"result": ...})."""
    try:
        return json.loads(content)
    except ValueError:
        return content


def _inline(image: InputImage) -> dict[str, Any]:
    return {"inlineData": {"mimeType": image.mime_type, "data": base64.b64encode(image.data).decode()}}


@dataclass
class _ChatAssembler:
    """Turns streamed GenerateContentResponse chunks into LLM events."""

    calls: int = 0
    finish_reason: str | None = None
    block_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    response_id: str = ""

    def feed(self, chunk: Any) -> Iterator[LLMEvent]:
        try:
            yield from self._feed(chunk)
        except (KeyError, TypeError, AttributeError) as exc:
            raise MalformedResponseError(f"{VENDOR}: unexpected stream chunk shape") from exc

    def _feed(self, chunk: dict[str, Any]) -> Iterator[LLMEvent]:
        if isinstance(chunk.get("error"), dict):
            raise chunk_error(chunk["error"])
        self.response_id = self.response_id or str(chunk.get("responseId") or uuid.uuid4().hex)
        self._count(chunk.get("usageMetadata") or {})
        self.block_reason = (chunk.get("promptFeedback") or {}).get("blockReason") or self.block_reason
        for candidate in (chunk.get("candidates") or [])[:1]:
            for part in (candidate.get("content") or {}).get("parts") or []:
                yield from self._part(part)
            self.finish_reason = candidate.get("finishReason") or self.finish_reason

    def _part(self, part: dict[str, Any]) -> Iterator[LLMEvent]:
        if part.get("thought"):
            return  # thought summaries are not the answer
        if part.get("text"):
            yield TextDelta(part["text"])
        call = part.get("functionCall")
        if call:
            call_id = call.get("id") or f"{SYNTHETIC_ID_PREFIX}{self.response_id}-{self.calls}"
            self.calls += 1
            yield ToolCallStarted(id=call_id, name=call["name"])
            yield ToolCallReady(ToolCall(call_id, call["name"], json.dumps(call.get("args") or {})))

    def _count(self, usage: dict[str, Any]) -> None:
        if usage:
            self.input_tokens = int(usage.get("promptTokenCount") or 0)
            # thinking tokens are billed as output
            self.output_tokens = int(usage.get("candidatesTokenCount") or 0) + int(usage.get("thoughtsTokenCount") or 0)

    def finish(self) -> Iterator[LLMEvent]:
        """Usage and Finished once the stream has ended; a stream without a finish is broken."""
        if self.finish_reason in BAD_CALL_REASONS:
            raise MalformedResponseError(f"{VENDOR}: model made an invalid function call ({self.finish_reason})")
        if not (self.finish_reason or self.block_reason):
            raise ProviderError(f"{VENDOR}: stream ended without a finishReason", kind="connection")
        yield Usage(input_tokens=self.input_tokens, output_tokens=self.output_tokens)
        yield Finished(self._reason())

    def _reason(self) -> str:
        if self.block_reason or self.finish_reason in POLICY_REASONS:
            return "content_filter"
        if self.finish_reason == "MAX_TOKENS":
            return "length"
        return "tool_calls" if self.calls else "stop"


# --- images ------------------------------------------------------------------------------------


class GeminiImages:
    """Gemini image models ("nano banana") on `:generateContent` with IMAGE output."""

    name: ClassVar[str] = "google"

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def generate(
        self,
        request: ImageRequest,
        *,
        on_preview: Callable[[ImagePreview], None] = lambda preview: None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[ImageResult]:
        """n images, one call each and several at once (image models take no candidateCount > 1).

        Calls not started when `cancelled()` turns true are skipped. No previews: the
        non-streaming endpoint has none to give.
        """
        count = max(1, int(request.config.get("n") or 1))
        base = variant_seed(request.config.get("seed"))
        with _client(self.settings) as client:
            # Seeds base, base+1, ...: each image different, and each one made again by its seed.
            return in_parallel(
                count, lambda index: self._generate_one(client, request, base + index), cancelled=cancelled
            )

    def _generate_one(self, client: httpx2.Client, request: ImageRequest, seed: int | None) -> ImageResult:
        # retry_safe=False: a 5xx may still have produced (and billed) an image.
        with open_response(
            client,
            "POST",
            _model_path(request.model, "generateContent"),
            settings=self.settings,
            vendor=VENDOR,
            map_error=map_error,
            retry_safe=False,
            json=build_image_body(request, seed),
        ) as response:
            payload = read_json(response, vendor=VENDOR)
        return parse_image_response(payload, seed)


def build_image_body(request: ImageRequest, seed: int | None = None) -> dict[str, Any]:
    """The generateContent body for one image: prompt, source images (and mask), image config."""
    parts: list[dict[str, Any]] = [{"text": request.prompt}]
    parts += [_inline(image) for image in request.input_images]
    if request.mask:
        # Gemini has no mask parameter; it follows a mask shown as an image with an instruction.
        parts += [{"text": MASK_NOTE}, _inline(request.mask)]
    generation: dict[str, Any] = {"responseModalities": ["TEXT", "IMAGE"]}
    image_config = image_config_for(request)
    if image_config:
        generation["imageConfig"] = image_config
    if seed is not None:
        generation["seed"] = seed
    return {"contents": [{"role": "user", "parts": parts}], "generationConfig": generation}


def image_config_for(request: ImageRequest) -> dict[str, str]:
    """imageConfig {aspectRatio, imageSize}: the caller's config first, then the LLM's hints.

    Config values were validated against the model's catalog entry, so they go out as given
    (e.g. "1:4" or "0.5K" on models that have them); sizes and hints map to the nearest ratio
    every Gemini image model supports.
    """
    config = request.config
    aspect = (
        _ratio(config.get("aspect_ratio"))
        or _nearest_ratio(_ratio_of_size(config.get("size")))
        or _nearest_ratio(_ratio(request.aspect_ratio_hint))
        or _nearest_ratio(_ratio_of_size(request.size_hint))
    )
    image_size = (
        _resolution(config.get("resolution"))
        or _resolution_of_size(config.get("size"))
        or _resolution_of_size(request.size_hint)
    )
    result = {}
    if aspect:
        result["aspectRatio"] = aspect
    if image_size:
        result["imageSize"] = image_size
    return result


def _ratio(value: Any) -> str | None:
    """A well-formed "W:H" ratio, or None (e.g. "auto": let the model choose)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*", str(value or ""))
    if not match or not float(match.group(1)) or not float(match.group(2)):
        return None
    return f"{match.group(1)}:{match.group(2)}"


def _nearest_ratio(ratio: str | None) -> str | None:
    """The supported ratio nearest to "W:H" ("16:10" -> "3:2")."""
    if ratio is None or ratio in ASPECT_RATIOS:
        return ratio
    width, height = (float(side) for side in ratio.split(":"))
    return min(ASPECT_RATIOS, key=lambda name: abs(ASPECT_RATIOS[name] - width / height))


def _dimensions(size: Any) -> tuple[int, int] | None:
    match = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*", str(size or ""))
    if not match or not int(match.group(1)) or not int(match.group(2)):
        return None
    return int(match.group(1)), int(match.group(2))


def _ratio_of_size(size: Any) -> str | None:
    dimensions = _dimensions(size)
    return f"{dimensions[0]}:{dimensions[1]}" if dimensions else None


def _resolution(value: Any) -> str | None:
    """An imageSize such as "1K", "2K", "4K" or "0.5K" (uppercase K, as the API wants)."""
    text = str(value or "").strip().upper()
    return text if re.fullmatch(r"\d+(?:\.\d+)?K", text) else None


def _resolution_of_size(size: Any) -> str | None:
    """The smallest Gemini imageSize whose output is at least about as large as "WxH"."""
    dimensions = _dimensions(size)
    if not dimensions:
        return None
    longest = max(dimensions)
    return "1K" if longest <= 1536 else "2K" if longest <= 3072 else "4K"


def parse_image_response(payload: Any, seed: int | None = None) -> ImageResult:
    """The final image of a generateContent response, or the right error for its absence."""
    if not isinstance(payload, dict):
        raise MalformedResponseError(f"{VENDOR}: unexpected response")
    block = (payload.get("promptFeedback") or {}).get("blockReason")
    if block:
        raise ContentPolicyError(f"{VENDOR} blocked the prompt ({block})")
    candidates = payload.get("candidates") or []
    if not candidates:
        raise MalformedResponseError(f"{VENDOR}: response has no candidates")
    candidate = candidates[0]
    reason = candidate.get("finishReason")
    if reason in POLICY_REASONS:
        detail = f": {candidate['finishMessage']}" if candidate.get("finishMessage") else ""
        raise ContentPolicyError(f"{VENDOR} refused to make the image ({reason}){detail}")
    # Gemini 3 may send interim "thought" images first; the answer is the last non-thought image.
    parts = [p for p in (candidate.get("content") or {}).get("parts") or [] if not p.get("thought")]
    images = [p["inlineData"] for p in parts if isinstance(p.get("inlineData"), dict)]
    if not images:
        text = " ".join(p["text"] for p in parts if p.get("text")).strip()
        raise MalformedResponseError(f"{VENDOR}: model returned no image: {text[:300] or reason or 'empty response'}")
    try:
        data = base64.b64decode(images[-1]["data"], validate=True)
    except (KeyError, binascii.Error, ValueError) as exc:
        raise MalformedResponseError(f"{VENDOR}: image data is not base64") from exc
    return ImageResult(data=data, mime_type=images[-1].get("mimeType") or "image/png", seed=seed)
