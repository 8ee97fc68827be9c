"""A fake Anthropic Messages API (`POST /v1/messages`), byte-faithful to providers.md §6.

Streams the recorded event sequence (message_start, content_block_start, ping,
content_block_delta text_delta / input_json_delta, content_block_stop, message_delta,
message_stop) or answers with one JSON message; errors use the real compact body
`{"type":"error","error":{"type":...,"message":...},"request_id":...}` with `request-id`,
`x-should-retry` and (on 429) `retry-after`. Accepts `x-api-key` or `Authorization: Bearer`
and any `anthropic-version`. Validates the request the way the API does where adapters
commonly go wrong (tool_use / tool_result pairing, image media types, required fields).

    python -m tests.fakes.anthropic --port 8091
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.agent_mode import LastTurn, Reply, agent_reply, count_tokens, split_text
from tests.fakes.base import serve_main
from tests.fakes.vendor_fake import Faults, VendorFakeServer, VendorHandler

# status -> (error.type, usual message), per docs.claude.com/en/api/errors (providers.md §6.4)
ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request"),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "Not found"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of requests has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timeout"),
    529: ("overloaded_error", "Overloaded"),
}
MESSAGE_FOR_TYPE = {error_type: message for error_type, message in ERRORS.values()}
IMAGE_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
_BASE62 = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """An id shaped like Anthropic's (`msg_01…`, `toolu_01…`, `req_01…`)."""
    return prefix + "01" + "".join(secrets.choice(_BASE62) for _ in range(22))


def compact(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"))


def frame(event: str, payload: Any, *, data: str | None = None) -> bytes:
    """One SSE event: the `event:` line is mandatory for Anthropic (the SDK dispatches on it)."""
    return f"event: {event}\ndata: {data if data is not None else compact(payload)}\n\n".encode()


# --- request validation ------------------------------------------------------------------------


def validate(payload: Any) -> str | None:
    """The API's 400 message for a request it would reject, or None."""
    if not isinstance(payload, dict):
        return "Input should be a valid dictionary"
    for name in ("model", "max_tokens", "messages"):
        if name not in payload:
            return f"{name}: Field required"
    if not isinstance(payload["max_tokens"], int) or payload["max_tokens"] < 1:
        return "max_tokens: Input should be greater than or equal to 1"
    messages = payload["messages"]
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for index, tool in enumerate(payload.get("tools") or []):
        if "name" not in tool or not isinstance(tool.get("input_schema"), dict):
            return f"tools.{index}.custom.input_schema: Field required"
    for index, message in enumerate(messages):
        is_last = index == len(messages) - 1
        problem = _validate_message(index, message, is_last) or _validate_pairing(index, messages)
        if problem:
            return problem
    return None


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return content if isinstance(content, list) else []


def _validate_message(index: int, message: Any, is_last: bool) -> str | None:
    if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
        return f"messages.{index}.role: Input should be 'user' or 'assistant'"
    content = message.get("content")
    if not content and not (is_last and message["role"] == "assistant"):
        return (
            f"messages.{index}: all messages must have non-empty content"
            " except for the optional final assistant message"
        )
    for block_index, block in enumerate(_blocks(message)):
        where = f"messages.{index}.content.{block_index}"
        if block.get("type") == "text" and not block.get("text") and isinstance(content, list):
            return "messages: text content blocks must be non-empty"
        if block.get("type") == "image":
            problem = _validate_image(where, block.get("source") or {})
            if problem:
                return problem
        if block.get("type") == "tool_use" and not isinstance(block.get("input"), dict):
            return f"{where}.tool_use.input: Input should be a valid dictionary"
    return None


def _validate_image(where: str, source: dict[str, Any]) -> str | None:
    media_type = source.get("media_type")
    if source.get("type") != "base64" or media_type not in IMAGE_MAGIC:
        return (
            f"{where}.image.source.base64.media_type:"
            " Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
        )
    try:
        data = base64.b64decode(source.get("data") or "", validate=True)
    except (binascii.Error, ValueError):
        return (
            f"{where}.image.source.base64: The image was specified using the image/base64 source type,"
            " but the data is not valid base64."
        )
    if not data.startswith(IMAGE_MAGIC[media_type]):
        return f"{where}.image.source.base64.data: Image does not match the provided media type {media_type}"
    return None


def _tool_use_ids(message: dict[str, Any]) -> list[str]:
    return [b.get("id", "") for b in _blocks(message) if b.get("type") == "tool_use"]


def _tool_result_ids(message: dict[str, Any]) -> list[str]:
    return [b.get("tool_use_id", "") for b in _blocks(message) if b.get("type") == "tool_result"]


def _validate_pairing(index: int, messages: list[dict[str, Any]]) -> str | None:
    """Every tool_use needs a tool_result in the very next message, and vice versa."""
    message = messages[index]
    if message.get("role") == "assistant" and index + 1 < len(messages):
        following = messages[index + 1]
        missing = [
            i for i in _tool_use_ids(message) if following.get("role") != "user" or i not in _tool_result_ids(following)
        ]
        if missing:
            return (
                f"messages.{index + 1}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` block"
                " in the next message."
            )
    if message.get("role") == "user":
        previous = (
            _tool_use_ids(messages[index - 1]) if index > 0 and messages[index - 1].get("role") == "assistant" else []
        )
        stray = [i for i in _tool_result_ids(message) if i not in previous]
        if stray:
            return (
                f"messages.{index}.content.0: unexpected `tool_use_id` found in `tool_result` blocks: {stray[0]}. "
                "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
            )
    return None


def last_turn(payload: dict[str, Any]) -> LastTurn:
    """What the conversation ends with, for agent mode."""
    last = payload["messages"][-1]
    blocks = _blocks(last) if last.get("role") == "user" else []
    return LastTurn(
        text=" ".join(b.get("text", "") for b in blocks if b.get("type") == "text"),
        is_tool_result=any(b.get("type") == "tool_result" for b in blocks),
        tool_names=tuple(t.get("name", "") for t in payload.get("tools") or []),
        tool_result=next((_result_text(b) for b in blocks if b.get("type") == "tool_result"), ""),
        tool_schemas={
            t.get("name", ""): t.get("input_schema") or {}
            for t in payload.get("tools") or []
            if t.get("name") != "generate_image"
        },
        caller_outputs=tuple(_caller_outputs(payload["messages"], blocks)),
    )


def _caller_outputs(messages: list[dict[str, Any]], blocks: list[dict[str, Any]]) -> list[str]:
    """The tool_result blocks that answer tool_use blocks of tools other than generate_image."""
    previous = messages[-2] if len(messages) > 1 and messages[-2].get("role") == "assistant" else {}
    names = {b.get("id"): b.get("name") for b in _blocks(previous) if b.get("type") == "tool_use"} if previous else {}
    return [
        _result_text(b)
        for b in blocks
        if b.get("type") == "tool_result" and names.get(b.get("tool_use_id")) not in (None, "generate_image")
    ]


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, list):  # text blocks
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


# --- response rendering ------------------------------------------------------------------------


def build_message(payload: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """The complete Message object the API would return for this reply."""
    content: list[dict[str, Any]] = []
    if reply.text:
        content.append({"type": "text", "text": reply.text})
    for call in reply.tool_calls:
        content.append(
            {"type": "tool_use", "id": call.id or new_id("toolu_"), "name": call.name, "input": call.arguments}
        )
    stop = reply.stop or ("tool_use" if reply.tool_calls else "end_turn")
    prompt = compact([payload.get("system"), payload["messages"], payload.get("tools")])
    produced = reply.text + "".join(compact(c.arguments) for c in reply.tool_calls)
    return {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": payload["model"],
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": count_tokens(prompt),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": count_tokens(produced),
            "service_tier": "standard",
        },
    }


def stream_frames(message: dict[str, Any]) -> list[bytes]:
    """The event sequence of the recorded real stream (providers.md §6.2) for a message."""
    start = {**message, "content": [], "stop_reason": None, "usage": {**message["usage"], "output_tokens": 1}}
    frames = [frame("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        frames += _block_frames(index, block)
        if index == 0:
            frames.append(frame("ping", None, data='{"type": "ping"}'))  # the real ping has spaces
    if not message["content"]:
        frames.append(frame("ping", None, data='{"type": "ping"}'))
    frames.append(
        frame(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
        )
    )
    frames.append(frame("message_stop", {"type": "message_stop"}))
    return frames


def _block_frames(index: int, block: dict[str, Any]) -> list[bytes]:
    if block["type"] == "text":
        opening = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": piece} for piece in split_text(block["text"])]
    else:
        opening = {**block, "caller": {"type": "direct"}, "input": {}}
        raw = compact(block["input"]) if block["input"] else ""
        # The first input_json_delta is often empty, then the JSON arrives in arbitrary cuts;
        # a call without arguments gets only the empty delta.
        pieces = [""] + [raw[i : i + 9] for i in range(0, len(raw), 9)]
        deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in pieces]
    frames = [frame("content_block_start", {"type": "content_block_start", "index": index, "content_block": opening})]
    frames += [
        frame("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}) for d in deltas
    ]
    frames.append(frame("content_block_stop", {"type": "content_block_stop", "index": index}))
    return frames


def ratelimit_headers(*, exhausted: bool = False) -> dict[str, str]:
    """The `anthropic-ratelimit-*` headers every response carries (reset in RFC 3339)."""
    reset = (datetime.now(UTC) + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers: dict[str, str] = {}
    for scope, limit in (
        ("requests", 4000),
        ("tokens", 2_400_000),
        ("input-tokens", 2_000_000),
        ("output-tokens", 400_000),
    ):
        prefix = f"anthropic-ratelimit-{scope}"
        headers[f"{prefix}-limit"] = str(limit)
        headers[f"{prefix}-remaining"] = "0" if exhausted else str(limit - 1)
        headers[f"{prefix}-reset"] = reset
    return headers


class AnthropicHandler(VendorHandler):
    def handle_api(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        request_id = new_id("req_")
        try:
            faults = self.server.take_faults()
        except ValueError as exc:
            self.send_error_body(500, request_id, str(exc))
            return
        if faults.delay:
            time.sleep(faults.delay)
        if faults.status:
            self.send_error_body(faults.status, request_id, faults.message, faults.retry_after)
            return
        if (method, path) != ("POST", "/v1/messages"):
            self.send_error_body(404, request_id, f"{method} {path} not found")
            return
        if not (self.headers.get("x-api-key") or (self.headers.get("authorization") or "").startswith("Bearer ")):
            self.send_error_body(401, request_id, "x-api-key header is required")
            return
        self.answer(body, request_id, faults)

    def answer(self, body: bytes, request_id: str, faults: Faults) -> None:
        try:
            payload = json.loads(body)
            problem = validate(payload)
        except ValueError:
            problem = "There was an error parsing the body of your request as JSON."
        except (TypeError, AttributeError, KeyError):  # a field of the wrong type somewhere
            problem = "Input should be a valid dictionary"
        if problem:
            self.send_error_body(400, request_id, problem)
            return
        # Claude's streaming classifiers end a response with stop_reason "refusal" on HTTP 200.
        refusal = Reply(stop="refusal") if faults.safety else None
        reply = refusal or self.server.next_reply() or agent_reply(last_turn(payload))
        message = build_message(payload, reply)
        headers = {"request-id": request_id, "anthropic-organization-id": "00000000-0000-4000-8000-0000000e4531"}
        headers.update(ratelimit_headers())
        if payload.get("stream"):
            self.stream_frames(stream_frames(message), headers, faults)
        else:
            self.send_bytes(200, compact(message).encode(), {"content-type": "application/json", **headers}, faults)

    def send_error_body(
        self, status: int, request_id: str, message: str | None = None, retry_after: float | None = None
    ) -> None:
        """The real error response: compact JSON, `request-id`, `x-should-retry`, `retry-after` on 429."""
        error_type, usual = ERRORS.get(status, ("api_error" if status >= 500 else "invalid_request_error", "Error"))
        body = compact(
            {"type": "error", "error": {"type": error_type, "message": message or usual}, "request_id": request_id}
        )
        headers = {"content-type": "application/json", "request-id": request_id}
        headers["x-should-retry"] = "true" if status in (408, 409, 429) or status >= 500 else "false"
        if status == 429:
            headers["retry-after"] = f"{retry_after if retry_after is not None else 1:g}"
            headers.update(ratelimit_headers(exhausted=True))
        self.send_bytes(status, body.encode(), headers)

    def malformed_frame(self) -> bytes:
        return b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_de\n\n'

    def error_frame(self, error_type: str) -> bytes:
        # The documented mid-stream error uses spaced JSON (docs.claude.com streaming page).
        payload = {"type": "error", "error": {"type": error_type, "message": MESSAGE_FOR_TYPE.get(error_type, "Error")}}
        return frame("error", None, data=json.dumps(payload))


class FakeAnthropic(VendorFakeServer):
    """The Anthropic Messages API on 127.0.0.1; `origin` is the SDK's `base_url`."""

    handler = AnthropicHandler


if __name__ == "__main__":
    serve_main(FakeAnthropic)
