"""A fake Gemini API (Developer API), byte-faithful to providers.md §5.

    POST /{v1beta|v1}/models/{model}:generateContent
    POST /{v1beta|v1}/models/{model}:streamGenerateContent?alt=sse   (without alt: a JSON array)

Auth by `x-goog-api-key` or `?key=`. Requests may be camelCase or snake_case (the SDK sends
both); responses are camelCase: pretty JSON for whole bodies, `data: <json>\\r\\n\\r\\n` frames
with the observed `": "` / `","` spacing for streams. Text and function calling follow agent
mode; when `generationConfig.responseModalities` has IMAGE the reply carries real PNGs sized by
`imageConfig.aspectRatio` (without it, the last input image's shape, else 1:1) and `imageSize`:
one colour derived from the prompt, or, given input images, an edit of the first (`png_for`).
Without `generationConfig.seed` every request draws new pictures; a seed makes them repeatable.
Errors use the Google RPC body `{"error": {"code", "message", "status", "details"}}`.

    python -m tests.fakes.gemini --port 8092
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
import time
from typing import Any

from tests.fakes.agent_mode import LastTurn, Reply, agent_reply, count_tokens, split_text
from tests.fakes.base import serve_main
from tests.fakes.imaging import centre_region, decode, derive_edit, encode, nearest_ratio, solid
from tests.fakes.vendor_fake import Faults, VendorFakeServer, VendorHandler

_PATH = re.compile(r"^/(?:v1beta|v1)/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$")

# HTTP status -> (google.rpc status, usual message)  (providers.md §5.8)
ERRORS: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    429: (
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details. For more information on "
        "this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, "
        "head to: https://ai.dev/rate-limit. ",
    ),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    ),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
}
CODE_FOR_STATUS = {status: code for code, (status, _) in ERRORS.items()}
NO_KEY_MESSAGE = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
GOOGLE_HEADERS = {
    "vary": "Origin, X-Origin, Referer",
    "server": "scaffolding on HTTPServer2",
    "x-xss-protection": "0",
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
}

# Output sizes of the Gemini image models at 1K (ai.google.dev image-generation page); 2K/4K scale.
SIZES_1K: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
    # Gemini 3.1 Flash Image extras; these sizes are inferred (about one megapixel), not documented.
    "1:4": (512, 2048),
    "4:1": (2048, 512),
    "1:8": (352, 2816),
    "8:1": (2816, 352),
}
STANDARD_SIZES = {k: v for k, v in SIZES_1K.items() if k not in ("1:4", "4:1", "1:8", "8:1")}  # all models take
SCALES = {"0.5K": 0.5, "1K": 1.0, "2K": 2.0, "4K": 4.0}
# The Schema fields of the Gemini OpenAPI subset; anything else in `parameters` is rejected.
SCHEMA_FIELDS = {
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
}
SCHEMA_TYPES = {"TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"}
THOUGHT_SIGNATURE = base64.b64encode(b"fake-thought-signature").decode()
IMAGE_TOKENS = 1290  # what one 1K image costs in candidatesTokensDetails


class BadRequest(Exception):
    """The request is one the API answers with 400 INVALID_ARGUMENT."""


def get(obj: dict[str, Any], key: str, default: Any = None) -> Any:
    """Read a camelCase field that may arrive in snake_case (proto JSON accepts both)."""
    if key in obj:
        return obj[key]
    return obj.get(re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), key), default)


def proto_bytes(data: str) -> bytes:
    """A proto3 JSON `bytes` field: standard or URL-safe base64 (the SDK sends URL-safe), padded or not."""
    text = data.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def dumps_stream(payload: Any) -> str:
    """One-line JSON with the spacing observed on the wire: `": "` but `","`."""
    return json.dumps(payload, separators=(",", ": "))


def sse(payload: Any) -> bytes:
    return f"data: {dumps_stream(payload)}\r\n\r\n".encode()


def error_payload(code: int, message: str | None = None, retry_after: float | None = None) -> dict[str, Any]:
    status, usual = ERRORS.get(code, ("INTERNAL" if code >= 500 else "INVALID_ARGUMENT", "Error"))
    error: dict[str, Any] = {"code": code, "message": message or usual, "status": status}
    if code == 429:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Learn more about Gemini API quotas",
                        "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                    }
                ],
            },
            {
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": f"{retry_after if retry_after is not None else 1:g}s",
            },
        ]
    return {"error": error}


# --- request reading and validation ------------------------------------------------------------


class GeminiRequest:
    """The parts of a generateContent request the fake acts on."""

    def __init__(self, model: str, payload: Any) -> None:
        if not isinstance(payload, dict):
            raise BadRequest("Invalid JSON payload received. Expected an object.")
        self.model = model
        self.payload = payload
        self.contents: list[dict[str, Any]] = payload.get("contents") or []
        config = get(payload, "generationConfig") or {}
        self.modalities = [str(m).upper() for m in get(config, "responseModalities") or []]
        image_config = get(config, "imageConfig") or {}
        self.requested_ratio: str | None = get(image_config, "aspectRatio")
        self.image_size: str = get(image_config, "imageSize") or "1K"
        self.candidate_count = int(get(config, "candidateCount") or 1)
        self.seed = get(config, "seed")
        self.declarations = [d for tool in payload.get("tools") or [] for d in get(tool, "functionDeclarations") or []]

    @property
    def wants_image(self) -> bool:
        return "IMAGE" in self.modalities

    @property
    def aspect_ratio(self) -> str:
        """The requested ratio, else the documented default: "The model defaults to matching the
        output image size to that of your input image, or otherwise generates 1:1 squares"
        (ai.google.dev, image generation) and, given several, "the model will adopt the aspect
        ratio of the last image provided" (Google Developers Blog, Gemini 2.5 Flash Image tips)."""
        if self.requested_ratio:
            return self.requested_ratio
        images = [decode(data) for data in self.input_images()]
        last = images[-1] if images else None
        return nearest_ratio(*last.size, STANDARD_SIZES) if last else "1:1"

    def validate(self) -> None:
        """Raise BadRequest with the API's message for what the real API rejects."""
        if not self.contents:
            raise BadRequest("* GenerateContentRequest.contents: contents is not specified\n")
        for index, content in enumerate(self.contents):
            _validate_content(index, content, self.contents)
        _validate_signatures(self.model, self.contents)
        for index, declaration in enumerate(self.declarations):
            if "parameters" in declaration:
                _validate_schema(declaration["parameters"], f"tools[0].function_declarations[{index}].parameters")
        if self.wants_image:
            self._validate_image_config()

    def _validate_image_config(self) -> None:
        if "image" not in self.model:
            raise BadRequest("Model does not support the requested response modalities: image")
        if self.aspect_ratio not in SIZES_1K:
            raise BadRequest(
                "* GenerateContentRequest.generation_config.image_config.aspect_ratio:"
                f" unsupported aspect ratio {self.aspect_ratio}\n"
            )
        if self.image_size not in SCALES:
            raise BadRequest(
                "* GenerateContentRequest.generation_config.image_config.image_size:"
                f" unsupported image size {self.image_size}\n"
            )
        if self.candidate_count > 1:
            raise BadRequest(f"Multiple candidates is not enabled for models/{self.model}")

    def last_turn(self) -> LastTurn:
        last = self.contents[-1]
        parts = (last.get("parts") or []) if last.get("role", "user") == "user" else []
        return LastTurn(
            text=" ".join(p["text"] for p in parts if "text" in p),
            is_tool_result=any(get(p, "functionResponse") for p in parts),
            tool_names=tuple(d.get("name", "") for d in self.declarations),
            tool_result=next(
                (json.dumps(get(p, "functionResponse").get("response")) for p in parts if get(p, "functionResponse")),
                "",
            ),
            tool_schemas={
                d.get("name", ""): d.get("parameters") or get(d, "parametersJsonSchema") or {}
                for d in self.declarations
                if d.get("name") != "generate_image"
            },
            caller_outputs=tuple(
                json.dumps(get(p, "functionResponse").get("response"))
                for p in parts
                if get(p, "functionResponse") and get(p, "functionResponse").get("name") != "generate_image"
            ),
        )

    def prompt_text(self) -> str:
        return " ".join(p["text"] for c in self.contents for p in c.get("parts") or [] if "text" in p)

    def input_images(self) -> list[bytes]:
        return [
            proto_bytes(get(p, "inlineData")["data"])
            for c in self.contents
            for p in c.get("parts") or []
            if get(p, "inlineData")
        ]


def _validate_content(index: int, content: dict[str, Any], contents: list[dict[str, Any]]) -> None:
    if content.get("role", "user") not in ("user", "model"):
        raise BadRequest("Please use a valid role: user, model.")
    parts = content.get("parts") or []
    if not parts:
        raise BadRequest(f"* GenerateContentRequest.contents[{index}].parts: contents.parts must not be empty.\n")
    for part_index, part in enumerate(parts):
        where = f"contents[{index}].parts[{part_index}]"
        inline = get(part, "inlineData")
        if inline is not None:
            _validate_inline(where, inline)
        response = get(part, "functionResponse")
        if response is not None and not isinstance(response.get("response"), dict):
            raise BadRequest(
                f"Invalid value at '{where}.function_response.response'"
                f" (type.googleapis.com/google.protobuf.Struct), {json.dumps(response.get('response'))}"
            )
    calls = [p for p in parts if get(p, "functionCall")]
    responses = [p for p in parts if get(p, "functionResponse")]
    previous = contents[index - 1] if index else {}
    previous_calls = [p for p in previous.get("parts") or [] if get(p, "functionCall")]
    if responses and len(responses) != len(previous_calls):
        raise BadRequest(
            "Please ensure that the number of function response parts is equal to the number of function call parts"
            " of the function call turn."
        )
    if calls and previous.get("role") == "model":
        raise BadRequest(
            "Please ensure that function call turn comes immediately after a user turn"
            " or after a function response turn."
        )


def _validate_inline(where: str, inline: dict[str, Any]) -> None:
    if not get(inline, "mimeType"):
        raise BadRequest(f"* GenerateContentRequest.{where}.inline_data.mime_type: mime_type is not specified\n")
    try:
        proto_bytes(inline.get("data") or "")
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(f"Invalid value at '{where}.inline_data.data' (TYPE_BYTES), Base64 decoding failed") from exc


def _validate_signatures(model: str, contents: list[dict[str, Any]]) -> None:
    """Gemini 3 models reject a current-turn function call without a thoughtSignature."""
    if not model.startswith("gemini-3"):
        return
    starts = [
        i
        for i, c in enumerate(contents)
        if c.get("role", "user") == "user" and any("text" in p for p in c.get("parts") or [])
    ]
    for content in contents[(starts[-1] if starts else 0) :]:
        calls = [p for p in content.get("parts") or [] if get(p, "functionCall")]
        if calls and not get(calls[0], "thoughtSignature"):
            name = get(calls[0], "functionCall").get("name")
            raise BadRequest(
                "Function call is missing a thought_signature in functionCall parts. This is required for tools"
                " to work correctly, and missing thought_signature may lead to degraded model performance."
                f" Additional data, function call `default_api:{name}` . Please refer to"
                " https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
            )


def _validate_schema(schema: Any, where: str) -> None:
    if not isinstance(schema, dict):
        raise BadRequest(f"Invalid value at '{where}' (type.googleapis.com/google.ai.generativelanguage.v1beta.Schema)")
    for key in schema:
        if key not in SCHEMA_FIELDS:
            raise BadRequest(f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': Cannot find field.")
    if "type" in schema and schema["type"] not in SCHEMA_TYPES:
        raise BadRequest(
            f"Invalid value at '{where}.type'"
            f' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), "{schema["type"]}"'
        )
    if schema.get("type") == "OBJECT" and not schema.get("properties"):
        raise BadRequest(f"* GenerateContentRequest.{where}.properties: should be non-empty for OBJECT type\n")
    for name, sub in (schema.get("properties") or {}).items():
        _validate_schema(sub, f"{where}.properties[{name}].value")
    if "items" in schema:
        _validate_schema(schema["items"], f"{where}.items")
    for index, sub in enumerate(schema.get("anyOf") or []):
        _validate_schema(sub, f"{where}.any_of[{index}]")


# --- response rendering ------------------------------------------------------------------------


def png_for(request: GeminiRequest, image_size: str, key: str) -> bytes:
    """A PNG at the Gemini output size: fresh (one colour from `key`), or an edit of the first input.

    An edit is the first input image resized, every pixel nudged and its middle repainted
    (`tests.fakes.imaging`), so a test can tell an edit of a given picture from a generation.
    """
    width, height = SIZES_1K[request.aspect_ratio]
    scale = SCALES[image_size]
    size = (int(width * scale), int(height * scale))
    inputs = request.input_images()
    source = decode(inputs[0]) if inputs else None
    if source is None:
        return solid(key, *size)
    return encode(derive_edit(source, key, size, centre_region(size)))


def _image_part(data: bytes, *, thought: bool = False) -> dict[str, Any]:
    part: dict[str, Any] = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}}
    if thought:
        part["thought"] = True
    return part


def reply_parts(request: GeminiRequest, reply: Reply) -> list[dict[str, Any]]:
    """The model's content parts for a reply: text, function calls, then images."""
    parts: list[dict[str, Any]] = []
    if reply.text and (not request.wants_image or "TEXT" in request.modalities):
        parts.append({"text": reply.text})
    for index, call in enumerate(reply.tool_calls):
        function_call: dict[str, Any] = {"name": call.name, "args": call.arguments}
        if call.id:
            function_call["id"] = call.id
        part: dict[str, Any] = {"functionCall": function_call}
        if index == 0:  # only the first call of a parallel set carries the signature
            part["thoughtSignature"] = THOUGHT_SIGNATURE
        parts.append(part)
    if request.wants_image:
        # Different sources or seeds give different pictures; without a seed the real model is
        # not repeatable, so neither is the fake.
        sources = hashlib.sha256(b"".join(request.input_images())).hexdigest()
        salt = os.urandom(8).hex() if request.seed is None else f"seed={request.seed}"
        key = request.prompt_text() + sources + salt
        if reply.thought_image:
            parts.append(_image_part(png_for(request, "1K", key + "#thought"), thought=True))
        for index in range(1 if reply.images is None else reply.images):
            parts.append(_image_part(png_for(request, request.image_size, f"{key}#{index}")))
    return parts


def usage_metadata(request: GeminiRequest, parts: list[dict[str, Any]]) -> dict[str, Any]:
    prompt_tokens = count_tokens(json.dumps(request.contents)[:4000])  # don't count base64 images as text
    text = "".join(p.get("text", "") + json.dumps(p.get("functionCall", "")) for p in parts)
    images = sum(1 for p in parts if "inlineData" in p)
    output = count_tokens(text) + images * IMAGE_TOKENS
    usage: dict[str, Any] = {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": output,
        "totalTokenCount": prompt_tokens + output,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
    }
    if images:
        usage["candidatesTokensDetails"] = [{"modality": "IMAGE", "tokenCount": images * IMAGE_TOKENS}]
    return usage


def build_response(request: GeminiRequest, reply: Reply, faults: Faults) -> dict[str, Any]:
    """The whole GenerateContentResponse, including safety blocks asked for by the faults."""
    envelope = {"modelVersion": request.model, "responseId": secrets.token_urlsafe(16)}
    if faults.block_reason:
        return {
            "promptFeedback": {"blockReason": faults.block_reason},
            "usageMetadata": usage_metadata(request, []),
            **envelope,
        }
    if faults.safety:
        reason = (
            faults.safety if isinstance(faults.safety, str) else ("IMAGE_SAFETY" if request.wants_image else "SAFETY")
        )
        candidate: dict[str, Any] = {"finishReason": reason, "index": 0}
        if reason.startswith("IMAGE"):
            candidate["finishMessage"] = (
                "Unable to show the generated image. The image was filtered out because it violated"
                " Google's Generative AI Prohibited Use policy."
            )
        return {"candidates": [candidate], "usageMetadata": usage_metadata(request, []), **envelope}
    parts = reply_parts(request, reply)
    candidate = {"content": {"parts": parts, "role": "model"}, "finishReason": reply.stop or "STOP", "index": 0}
    return {"candidates": [candidate], "usageMetadata": usage_metadata(request, parts), **envelope}


def stream_chunks(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Cut a response into stream chunks: text piece by piece, other parts whole, finish on the last."""
    candidates = response.get("candidates") or []
    parts = candidates[0].get("content", {}).get("parts", []) if candidates else []
    if not parts:
        return [response]
    envelope = {"modelVersion": response["modelVersion"], "responseId": response["responseId"]}
    usage = response["usageMetadata"]
    early_usage = {k: usage[k] for k in ("promptTokenCount", "promptTokensDetails")} | {
        "totalTokenCount": usage["promptTokenCount"]
    }
    pieces = [{"text": t} for p in parts if "text" in p for t in split_text(p["text"], 3)]
    pieces += [p for p in parts if "text" not in p]
    chunks = [
        {
            "candidates": [{"content": {"parts": [piece], "role": "model"}, "index": 0}],
            "usageMetadata": early_usage,
            **envelope,
        }
        for piece in pieces
    ]
    chunks[-1]["candidates"][0]["finishReason"] = candidates[0]["finishReason"]
    chunks[-1]["usageMetadata"] = usage
    return chunks


class GeminiHandler(VendorHandler):
    def handle_api(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        try:
            faults = self.server.take_faults()
        except ValueError as exc:
            self.send_error_body(500, str(exc))
            return
        if faults.delay:
            time.sleep(faults.delay)
        if faults.status:
            self.send_error_body(faults.status, faults.message, faults.retry_after)
            return
        match = _PATH.match(path)
        if method != "POST" or not match:
            self.send_error_body(404, f"{path} is not found for API version v1beta.")
            return
        if not (self.headers.get("x-goog-api-key") or query.get("key")):
            self.send_error_body(403, NO_KEY_MESSAGE)
            return
        streaming = match["method"] == "streamGenerateContent"
        self.answer(match["model"], body, streaming, query.get("alt") == ["sse"], faults)

    def answer(self, model: str, body: bytes, streaming: bool, sse_framing: bool, faults: Faults) -> None:
        try:
            request = GeminiRequest(model, json.loads(body))
            request.validate()
        except BadRequest as exc:
            self.send_error_body(400, str(exc))
            return
        except (ValueError, TypeError, AttributeError, KeyError):  # not JSON, or fields of the wrong type
            self.send_error_body(400, "Invalid JSON payload received.")
            return
        blocked = bool(faults.safety or faults.block_reason)  # a block leaves the script untouched
        reply = Reply() if blocked else self.server.next_reply() or default_reply(request)
        response = build_response(request, reply, faults)
        headers = {**GOOGLE_HEADERS, "server-timing": "gfet4t7; dur=412"}
        if streaming and sse_framing:
            frames = [sse(chunk) for chunk in stream_chunks(response)]
            self.stream_frames(frames, headers, faults)
            return
        payload: Any = stream_chunks(response) if streaming else response
        self.send_bytes(
            200,
            json.dumps(payload, indent=2).encode(),
            {"content-type": "application/json; charset=UTF-8", **headers},
            faults,
        )

    def send_error_body(self, code: int, message: str | None = None, retry_after: float | None = None) -> None:
        """The Google RPC error body, pretty-printed as the API does."""
        body = json.dumps(error_payload(code, message, retry_after), indent=2).encode()
        self.send_bytes(code, body, {"content-type": "application/json; charset=UTF-8", **GOOGLE_HEADERS})

    def malformed_frame(self) -> bytes:
        return b'data: {"candidates": [{"content": {"parts": [{"text": "cut off\r\n\r\n'

    def error_frame(self, error_type: str) -> bytes:
        """A mid-stream error chunk; `error_type` is a google.rpc status such as UNAVAILABLE."""
        return sse(error_payload(CODE_FOR_STATUS.get(error_type, 500)))


def default_reply(request: GeminiRequest) -> Reply:
    """Image models answer with a short text and one image; text models follow agent mode."""
    if request.wants_image:
        return Reply(text="Here is the image you asked for.")
    return agent_reply(request.last_turn())


class FakeGemini(VendorFakeServer):
    """The Gemini API on 127.0.0.1; `origin` is the SDK's `http_options.base_url`."""

    handler = GeminiHandler

    def received_images(self) -> list[tuple[str, bytes]]:
        """Every (mimeType, bytes) input image the fake was sent, in order."""
        images = []
        for body in self.json_bodies():
            for content in (body or {}).get("contents") or []:
                for part in content.get("parts") or []:
                    inline = get(part, "inlineData")
                    if inline:
                        images.append((get(inline, "mimeType"), proto_bytes(inline["data"])))
        return images


if __name__ == "__main__":
    serve_main(FakeGemini)
