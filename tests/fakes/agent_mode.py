"""What the Anthropic and Gemini fakes answer: a scripted reply, or the "agent mode" default.

Each fake reduces its vendor request to a `LastTurn` (what the conversation ends with) and the
names of the tools it offers, asks `agent_reply` for a vendor-neutral `Reply`, then renders that
reply in its own wire format. Tests can bypass the default by queueing replies (`reply_from_script`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

IMAGE_TOOL = "generate_image"
TOOL_RESULT_TEXT = "Here is your image."
TOOL_FAILED_TEXT = "Sorry, I could not make that image:"
TOOL_OUTPUT_TEXT = "The tool said:"  # then a caller's tool output, as the model relays it

# Words a user says when they want a picture made or changed (matched as whole words).
_IMAGE_ASK = re.compile(
    r"\b(generate|draw|drawing|image|picture|photo|paint|sketch|illustrate|edit|make it)\b",
    re.IGNORECASE,
)
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)


@dataclass(frozen=True)
class ToolUse:
    """One tool call the fake model makes; `arguments` is the decoded JSON object."""

    name: str
    arguments: dict[str, Any]
    id: str | None = None  # None: the fake invents one (Anthropic) or sends none (Gemini)
    # Chat Completions carry arguments as text, which a model may get wrong: when set, this text
    # goes on the wire as written instead of `arguments` (OpenAI-format fakes only).
    raw_arguments: str | None = None


@dataclass(frozen=True)
class Reply:
    """A vendor-neutral model answer.

    `stop` overrides the vendor's stop/finish reason (e.g. "max_tokens", "MAX_TOKENS").
    `images` (Gemini image output only) is how many final images to return; None means one.
    `thought_image` adds an interim `thought: true` image before the final ones (Gemini 3 style).
    """

    text: str = ""
    tool_calls: tuple[ToolUse, ...] = ()
    stop: str | None = None
    images: int | None = None
    thought_image: bool = False


@dataclass(frozen=True)
class LastTurn:
    """How the conversation ends: the user's last text, or a tool result."""

    text: str = ""
    is_tool_result: bool = False
    tool_names: tuple[str, ...] = field(default_factory=tuple)
    tool_result: str = ""  # the tool's result as JSON text, when the turn is one
    # The caller's own tools' JSON Schemas by name (everything offered but generate_image).
    tool_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What the caller's own tools returned, in order (the results of calls not to generate_image).
    caller_outputs: tuple[str, ...] = ()


def agent_reply(turn: LastTurn) -> Reply:
    """The default answer of a tool-using image assistant."""
    if turn.is_tool_result:
        outputs = [caller_output(output) for output in turn.caller_outputs]
        failure = tool_failure(turn.tool_result)
        text = f"{TOOL_FAILED_TEXT} {failure}" if failure else TOOL_RESULT_TEXT
        if outputs:  # a caller's tool answered: relay what it said
            text = " ".join(f"{TOOL_OUTPUT_TEXT} {output}" for output in outputs)
        return Reply(text=text)
    calls: list[ToolUse] = []
    if IMAGE_TOOL in turn.tool_names and _IMAGE_ASK.search(turn.text):
        calls.append(ToolUse(IMAGE_TOOL, image_tool_arguments(turn.text)))
    for name, schema in turn.tool_schemas.items():
        if name != IMAGE_TOOL and name.lower() in turn.text.lower():
            calls.append(ToolUse(name, schema_arguments(schema, turn.text)))
    if calls:
        return Reply(tool_calls=tuple(calls))
    return Reply(text=short_answer(turn.text))


def caller_output(result: str) -> str:
    """A caller's tool output as a model relays it (Gemini's {"result": ...} wrapper removed)."""
    try:
        value = json.loads(result)
    except ValueError:
        return result
    if isinstance(value, dict) and set(value) == {"result"}:
        value = value["result"]
    return value if isinstance(value, str) else json.dumps(value)


def schema_arguments(schema: dict[str, Any], text: str) -> dict[str, Any]:
    """Arguments a model would write for a tool: every string property gets the user's text,
    required numbers 1, required booleans true, enums their first value (types in any case:
    Gemini's schemas say STRING)."""
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    arguments: dict[str, Any] = {}
    for key, spec in properties.items():
        kind = str(spec.get("type", "")).lower()
        if spec.get("enum"):
            arguments[key] = spec["enum"][0]
        elif kind == "string":
            arguments[key] = text
        elif key in required and kind in ("integer", "number"):
            arguments[key] = 1
        elif key in required and kind == "boolean":
            arguments[key] = True
    return arguments


def tool_failure(result: str) -> str | None:
    """The error of a failed tool result ({"status": "error", "error": ...}), as a model would relay it."""
    try:
        value = json.loads(result)
    except ValueError:
        return None
    if isinstance(value, dict) and isinstance(value.get("result"), dict):
        value = value["result"]  # Gemini wraps a function response as {"result": ...}
    if isinstance(value, dict) and value.get("status") == "error":
        return str(value.get("error") or "unknown error")
    return None


def image_tool_arguments(user_text: str) -> dict[str, Any]:
    """`generate_image` arguments for a request: the text as prompt, plus the first UUID as source."""
    arguments: dict[str, Any] = {"prompt": user_text}
    match = _UUID.search(user_text)
    if match:
        arguments["input_image_document_id"] = match.group(0)
    return arguments


def short_answer(user_text: str) -> str:
    """A short, deterministic text answer that quotes the start of the user's text."""
    gist = " ".join(user_text.split()[:8]) or "nothing"
    return f"You said: {gist}. How can I help with images today?"


def reply_from_script(item: dict[str, Any]) -> Reply:
    """Turn one scripted JSON object into a Reply.

    Shape: {"text": str, "tool_calls": [{"name", "arguments": {...}, "raw_arguments"?: str,
    "id"?}], "stop": str, "images": int, "thought_image": bool}; every key is optional.
    """
    unknown = set(item) - {"text", "tool_calls", "stop", "images", "thought_image"}
    if unknown:
        raise ValueError(f"unknown scripted reply keys: {sorted(unknown)}")
    calls = tuple(
        ToolUse(call["name"], dict(call.get("arguments") or {}), call.get("id"), call.get("raw_arguments"))
        for call in item.get("tool_calls") or ()
    )
    return Reply(
        text=str(item.get("text") or ""),
        tool_calls=calls,
        stop=item.get("stop"),
        images=item.get("images"),
        thought_image=bool(item.get("thought_image")),
    )


def split_text(text: str, words_per_piece: int = 2) -> list[str]:
    """Split text into streaming pieces of a few words each; joining them gives the text back."""
    words = re.findall(r"\S+\s*|\s+", text)
    return ["".join(words[i : i + words_per_piece]) for i in range(0, len(words), words_per_piece)]


def count_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: roughly four characters a token, at least 1."""
    return max(1, len(text) // 4)
