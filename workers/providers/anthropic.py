"""Anthropic's Messages API as a thread LLM: streaming text and `tool_use` (providers.md §6).

`base_url` follows the official SDK: the origin without a version (https://api.anthropic.com);
requests go to `POST {base_url}/v1/messages` with `x-api-key` and `anthropic-version: 2023-06-01`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx2

from workers.providers._json_stream import json_events
from workers.providers.base import (
    ChatMessage,
    ChatRequest,
    Finished,
    LLMEvent,
    MalformedResponseError,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolCallStarted,
    Usage,
)
from workers.providers.http import ProviderSettings, build_client, default_error, open_response

VENDOR = "anthropic"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096  # required by the API; request.extra["max_tokens"] overrides it

STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "content_filter",
}
# error.type -> (ProviderError kind, permanent), from docs.claude.com/en/api/errors
ERROR_KINDS: dict[str, tuple[str, bool]] = {
    "rate_limit_error": ("rate_limited", False),
    "overloaded_error": ("server_error", False),
    "api_error": ("server_error", False),
    "timeout_error": ("timeout", False),
    "authentication_error": ("auth", True),
    "permission_error": ("auth", True),
    "billing_error": ("bad_request", True),
    "invalid_request_error": ("bad_request", True),
    "not_found_error": ("bad_request", True),
    "request_too_large": ("bad_request", True),
}


class AnthropicChat:
    """A thread LLM on `POST {base_url}/v1/messages` with `stream: true`."""

    name: ClassVar[str] = "anthropic"

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def stream(self, request: ChatRequest, *, cancelled: Callable[[], bool] = lambda: False) -> Iterator[LLMEvent]:
        """Yield TextDelta / ToolCallStarted / ToolCallReady, then Usage and one Finished.

        Returns early, closing the stream and without Finished, once `cancelled()` is true.
        """
        body = build_body(request)
        if cancelled():
            return
        # A client per call: the registry makes an adapter per use and never closes it.
        headers = {"x-api-key": self.settings.api_key, "anthropic-version": API_VERSION}
        with (
            build_client(self.settings, headers=headers) as client,
            open_response(
                client, "POST", "v1/messages", settings=self.settings, vendor=VENDOR, map_error=map_error, json=body
            ) as response,
        ):
            assembler = _Assembler()
            for event, data in json_events(response, vendor=VENDOR):
                if cancelled():
                    return
                yield from assembler.feed(event, data)
                if assembler.done:
                    return
        raise ProviderError(f"{VENDOR}: stream ended before message_stop", kind="connection")


# --- request -----------------------------------------------------------------------------------


def build_body(request: ChatRequest) -> dict[str, Any]:
    """The Messages API request body for a neutral ChatRequest."""
    body: dict[str, Any] = {
        "model": request.model,
        "max_tokens": int(request.extra.get("max_tokens") or DEFAULT_MAX_TOKENS),
        "messages": convert_messages(request.messages),
        "stream": True,
    }
    # All system turns (the pipeline adds an image note after the prompt); request.system if none.
    system = "\n\n".join(m.content for m in request.messages if m.role == "system" and m.content) or request.system
    if system:
        body["system"] = system
    if request.tools:
        body["tools"] = [convert_tool(tool) for tool in request.tools]
    return body


def convert_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI-style function tool as an Anthropic tool: {name, description, input_schema}."""
    function = tool.get("function", tool)
    converted: dict[str, Any] = {
        "name": function["name"],
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        converted["description"] = function["description"]
    return converted


def convert_messages(messages: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    """Neutral history as Messages API turns (system dropped: it goes top-level).

    Consecutive turns of one role are merged, so parallel tool results share one user turn;
    in a user turn tool_result blocks go first, as the API requires.
    """
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _content_blocks(message)
        if not blocks:
            continue  # the API rejects empty turns
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:
        if turn["role"] == "user":
            turn["content"].sort(key=lambda block: block["type"] != "tool_result")  # stable
    return turns


def _content_blocks(message: ChatMessage) -> list[dict[str, Any]]:
    if message.role == "tool":
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id or ""}
        if message.content:
            result["content"] = message.content
        return [result]
    blocks: list[dict[str, Any]] = [
        {"type": "image", "source": {"type": "base64", "media_type": mime, "data": base64.b64encode(data).decode()}}
        for mime, data in message.images
    ]
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    for call in message.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": _tool_input(call.arguments)})
    return blocks


def _tool_input(arguments: str) -> dict[str, Any]:
    """The JSON object of a past call; `input` must be an object, so anything else becomes {}."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# --- response ----------------------------------------------------------------------------------


def map_error(response: httpx2.Response, body: bytes) -> ProviderError:
    """An HTTP error as a ProviderError whose kind comes from Anthropic's `error.type`."""
    base = default_error(response, body, vendor=VENDOR)
    error_type = _error_type(body)
    kind, permanent = ERROR_KINDS.get(error_type, (base.kind, base.permanent))
    should_retry = response.headers.get("x-should-retry")
    if should_retry in ("true", "false"):
        permanent = should_retry == "false"  # the server's own verdict wins
    return ProviderError(
        f"{base.message} ({error_type})" if error_type else base.message,
        kind=kind,
        permanent=permanent,
        status_code=base.status_code,
        retry_after=base.retry_after,
    )


def _error_type(body: bytes) -> str:
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return ""
    return str(error.get("type") or "") if isinstance(error, dict) else ""


def stream_error(data: dict[str, Any]) -> ProviderError:
    """A mid-stream `event: error` (e.g. overloaded_error) as a ProviderError."""
    error = data.get("error") or {}
    error_type = str(error.get("type") or "api_error")
    kind, permanent = ERROR_KINDS.get(error_type, ("server_error", False))
    message = f"{VENDOR}: stream failed: {error.get('message') or error_type} ({error_type})"
    return ProviderError(message, kind=kind, permanent=permanent)


@dataclass
class _ToolBuffer:
    id: str
    name: str
    json_parts: list[str] = field(default_factory=list)


@dataclass
class _Assembler:
    """Turns Messages API stream events into LLM events; `done` after message_stop."""

    tools: dict[int, _ToolBuffer] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    stop_reason: str | None = None
    done: bool = False

    def feed(self, event: str, data: Any) -> Iterator[LLMEvent]:
        try:
            yield from self._feed(event, data)
        except (KeyError, TypeError, AttributeError) as exc:
            raise MalformedResponseError(f"{VENDOR}: unexpected {event} event shape") from exc

    def _feed(self, event: str, data: dict[str, Any]) -> Iterator[LLMEvent]:
        if event == "message_start":
            self._count(data["message"].get("usage") or {})
        elif event == "content_block_start":
            yield from self._block_start(data["index"], data["content_block"])
        elif event == "content_block_delta":
            yield from self._delta(data["index"], data["delta"])
        elif event == "content_block_stop":
            tool = self.tools.pop(data["index"], None)
            if tool:
                # Anthropic sends `input: {}` and no delta for a call without arguments.
                arguments = "".join(tool.json_parts).strip() or "{}"
                yield ToolCallReady(ToolCall(tool.id, tool.name, arguments))
        elif event == "message_delta":
            self.stop_reason = data["delta"].get("stop_reason") or self.stop_reason
            self._count(data.get("usage") or {})
        elif event == "message_stop":
            self.done = True
            yield Usage(input_tokens=self.input_tokens, output_tokens=self.output_tokens)
            yield Finished(STOP_REASONS.get(self.stop_reason or "", "stop"))
        elif event == "error":
            raise stream_error(data)
        # ping and event types added later (thinking, citations...) need nothing from us

    def _block_start(self, index: int, block: dict[str, Any]) -> Iterator[LLMEvent]:
        if block["type"] == "tool_use":
            self.tools[index] = _ToolBuffer(block["id"], block["name"])
            yield ToolCallStarted(id=block["id"], name=block["name"])
        elif block["type"] == "text" and block.get("text"):
            yield TextDelta(block["text"])

    def _delta(self, index: int, delta: dict[str, Any]) -> Iterator[LLMEvent]:
        if delta["type"] == "text_delta" and delta["text"]:
            yield TextDelta(delta["text"])
        elif delta["type"] == "input_json_delta" and index in self.tools:
            self.tools[index].json_parts.append(delta["partial_json"])

    def _count(self, usage: dict[str, Any]) -> None:
        # message_delta usage is cumulative; input counts include cached prompt tokens.
        if "input_tokens" in usage:
            self.input_tokens = sum(
                int(usage.get(key) or 0)
                for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
            )
        if "output_tokens" in usage:
            self.output_tokens = int(usage["output_tokens"] or 0)
