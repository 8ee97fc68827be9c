"""The local LLM: a small rule-based agent for offline development and tests.

It behaves like a tool-calling chat model: when the user asks for a picture it calls
`generate_image`; when the user asks to change a picture it calls it with
`input_image_document_id` (an id written in the message, else the thread's latest image, which
it reads from the same system note a real LLM gets), confined to a region when the message names
one ("the top-left quarter", "the left half"); when the message names one of the
caller's own tools it calls that tool (arguments built from its schema), and reads the output
back ("get_weather said: ..."); otherwise it answers in text. Replies
stream in word-sized chunks. Deterministic: the same conversation gives the same output.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import ClassVar

from workers.providers.base import (
    ChatMessage,
    ChatRequest,
    Finished,
    LLMEvent,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolCallStarted,
    Usage,
)

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
IMAGE_NOTE_MARKER = "Images in this thread"
_PICTURE_NOUNS = (
    r"image|picture|photo|drawing|illustration|painting|sketch|render|logo|icon|poster|wallpaper|artwork"
    r"|banner|portrait"
)
_MAKE_VERBS = r"generate|create|make|produce|design|give me|show me|render|draw|paint|sketch|illustrate"
_EDIT_WORDS = (
    r"\bedit\b|\bmake (it|the|them|this|that)\b|\bchange\b|\badd\b|\bremove\b|\bturn (it|the)\b|"
    r"\brecolou?r\b|\bdarker\b|\bbrighter\b|\binstead\b|\bmodify\b|\badjust\b|\breplace\b|\bflip\b|"
    r"\bmirror\b|\brotate\b|\bblur\b|\bgr[ae]yscale\b|\bblack and white\b|\brefine\b"
)
_ASPECTS = (("square", "1:1"), ("landscape", "16:9"), ("wide", "16:9"), ("portrait", "9:16"), ("tall", "9:16"))
# Words that name part of a picture, as (left, top, width, height) shares of it.
_AREAS = (
    (r"\b(top|upper)[- ]left\b", (0, 0, 0.5, 0.5)),
    (r"\b(top|upper)[- ]right\b", (0.5, 0, 0.5, 0.5)),
    (r"\b(bottom|lower)[- ]left\b", (0, 0.5, 0.5, 0.5)),
    (r"\b(bottom|lower)[- ]right\b", (0.5, 0.5, 0.5, 0.5)),
    (r"\bleft half\b", (0, 0, 0.5, 1)),
    (r"\bright half\b", (0.5, 0, 0.5, 1)),
    (r"\b(top|upper) half\b", (0, 0, 1, 0.5)),
    (r"\b(bottom|lower) half\b", (0, 0.5, 1, 0.5)),
    (r"\b(centre|center|middle)\b", (0.25, 0.25, 0.5, 0.5)),
)
_SIZE_RE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
QUOTED = 200  # characters of a message or a tool's output a reply repeats: replies stay short


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= QUOTED else text[: QUOTED - 1].rstrip() + "\u2026"


def _wants_new_image(text: str) -> bool:
    lowered = text.lower()
    if re.search(r"\b(draw|paint|sketch|illustrate)\b", lowered):
        return True
    return bool(re.search(rf"\b({_MAKE_VERBS})\b", lowered) and re.search(rf"\b({_PICTURE_NOUNS})s?\b", lowered))


def _wants_edit(text: str) -> bool:
    return bool(re.search(_EDIT_WORDS, text.lower()))


def _known_images(messages: tuple[ChatMessage, ...]) -> list[str]:
    """Image ids the conversation knows, oldest first: the system note, then tool results."""
    ids: list[str] = []
    for message in messages:
        if message.role == "system" and IMAGE_NOTE_MARKER in message.content:
            ids += [m.group(0) for line in message.content.splitlines() if (m := UUID_RE.search(line))]
        elif message.role == "tool":
            try:
                result = json.loads(message.content)
            except ValueError:
                continue
            if isinstance(result, dict) and result.get("document_id"):
                ids.append(str(result["document_id"]))
    return list(dict.fromkeys(ids))


def _known_sizes(messages: tuple[ChatMessage, ...]) -> dict[str, tuple[int, int]]:
    """Each known image's width and height: from the system note's lines and the tool results."""
    sizes: dict[str, tuple[int, int]] = {}
    for message in messages:
        if message.role == "system" and IMAGE_NOTE_MARKER in message.content:
            for line in message.content.splitlines():
                if (key := UUID_RE.search(line)) and (size := _SIZE_RE.search(line)):
                    sizes[key.group(0)] = (int(size.group(1)), int(size.group(2)))
        elif message.role == "tool":
            try:
                result = json.loads(message.content)
            except ValueError:
                continue
            if isinstance(result, dict) and result.get("document_id") and result.get("width"):
                sizes[str(result["document_id"])] = (int(result["width"]), int(result["height"]))
    return sizes


def _area(text: str, size: tuple[int, int] | None) -> list[dict[str, int]] | None:
    """The region a message names ("the top-left quarter", "the left half"), in the image's pixels."""
    if size is None:
        return None
    for pattern, (left, top, width, height) in _AREAS:
        if re.search(pattern, text.lower()):
            w, h = size
            return [{"x": round(left * w), "y": round(top * h), "width": round(width * w), "height": round(height * h)}]
    return None


def _clean_prompt(text: str) -> str:
    """The user's words minus ids and instructions meant for the tool plumbing."""
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    kept = [s for s in sentences if "document_id" not in s and "input_image" not in s]
    cleaned = UUID_RE.sub("", " ".join(kept) or text)
    return re.sub(r"\s+", " ", cleaned).strip(" .") or text.strip()


def caller_tool_calls(request: ChatRequest) -> list[ToolCall]:
    """Calls of the caller's own tools the user's last message names (as written, or with
    spaces for underscores), with arguments built from each tool's schema."""
    last = request.messages[-1] if request.messages else None
    if last is None or last.role != "user":
        return []
    text, calls = last.content, []
    for tool in request.tools:
        function = tool.get("function") or {}
        name = function.get("name") or ""
        if name == "generate_image" or not _names(text, name):
            continue
        arguments = schema_arguments(function.get("parameters") or {}, _without(text, name))
        digest = hashlib.sha256(f"{name}:{text}".encode()).hexdigest()
        calls.append(ToolCall(id=f"call_{digest[:24]}", name=name, arguments=json.dumps(arguments)))
    return calls


def _names(text: str, name: str) -> bool:
    lowered = text.lower()
    return bool(name) and (name.lower() in lowered or name.lower().replace("_", " ") in lowered)


def _without(text: str, name: str) -> str:
    for spelling in (name, name.replace("_", " ")):
        text = re.sub(re.escape(spelling), "", text, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", text).strip(" .,:;!?") or text


def schema_arguments(schema: dict, text: str) -> dict:
    """Arguments that fit `schema`: `key: value` (or `key=value`) written in the text for a
    property, else the text itself for strings; numbers, booleans and enums get a plain value.
    Only required properties and strings are filled."""
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = set(schema.get("required") or [])
    arguments: dict = {}
    for key, spec in properties.items():
        spec = spec if isinstance(spec, dict) else {}
        kind = spec.get("type")
        written = re.search(rf"\b{re.escape(key)}\s*[:=]\s*([^,;\n]+)", text, flags=re.IGNORECASE)
        if spec.get("enum"):
            arguments[key] = spec["enum"][0]
        elif kind == "string":
            arguments[key] = written.group(1).strip(" .!?\"'") if written else text
        elif key not in required:
            continue
        elif kind in ("integer", "number"):
            arguments[key] = int(float(written.group(1))) if written and _number(written.group(1)) else 1
        elif kind == "boolean":
            arguments[key] = True
        elif kind == "array":
            arguments[key] = []
        elif kind == "object":
            arguments[key] = {}
    return arguments


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _last_results(messages: tuple[ChatMessage, ...]) -> list[ChatMessage]:
    """The tool results the conversation ends with, in order."""
    results: list[ChatMessage] = []
    for message in reversed(messages):
        if message.role != "tool":
            break
        results.append(message)
    return results[::-1]


class LocalAgent:
    name: ClassVar[str] = "local"

    def __init__(self, settings: object | None = None, *, chunk_delay: float | None = None) -> None:
        if chunk_delay is None:
            from django.conf import settings as django_settings

            chunk_delay = django_settings.EASEL_LOCAL_STREAM_DELAY
        self.chunk_delay = chunk_delay

    def stream(self, request: ChatRequest, *, cancelled: Callable[[], bool] = lambda: False) -> Iterator[LLMEvent]:
        """Yield a tool call or a streamed text answer, then usage and one Finished."""
        input_tokens = sum(len(m.content) for m in request.messages) // 4 + 1
        calls = [c for c in (self._tool_call(request), *caller_tool_calls(request)) if c is not None]
        if calls:
            for call in calls:
                yield ToolCallStarted(call.id, call.name)
                yield ToolCallReady(call)
            yield Usage(input_tokens, sum(len(c.arguments) for c in calls) // 4 + 1)
            yield Finished("tool_calls")
            return
        text = self._answer(request.messages)
        for chunk in re.findall(r"\S+\s*", text):
            if cancelled():
                break
            if self.chunk_delay:
                time.sleep(self.chunk_delay)
            yield TextDelta(chunk)
        yield Usage(input_tokens, len(text) // 4 + 1)
        yield Finished("stop")

    def _tool_call(self, request: ChatRequest) -> ToolCall | None:
        last = request.messages[-1] if request.messages else None
        offers_tool = any(t.get("function", {}).get("name") == "generate_image" for t in request.tools)
        if last is None or last.role != "user" or not offers_tool:
            return None
        text = last.content
        known = _known_images(request.messages)
        explicit = UUID_RE.search(text)
        asks_for_new = bool(re.search(r"\b(new|another|different)\b", text.lower()))
        arguments: dict[str, object] = {"prompt": _clean_prompt(text)}
        if explicit:
            # Passed through even if unknown: the tool, not the agent, decides what is valid.
            arguments["input_image_document_id"] = explicit.group(0)
        elif known and _wants_edit(text) and not asks_for_new:
            arguments["input_image_document_id"] = known[-1]
        elif not _wants_new_image(text):
            return None
        source = arguments.get("input_image_document_id")
        if source and (regions := _area(text, _known_sizes(request.messages).get(source))):
            arguments["regions"] = regions  # type: ignore[assignment]
        for word, ratio in _ASPECTS:
            if re.search(rf"\b{word}\b", text.lower()):
                arguments["aspect_ratio"] = ratio
                break
        digest = hashlib.sha256(repr([(m.role, m.content) for m in request.messages]).encode()).hexdigest()
        return ToolCall(id=f"call_{digest[:24]}", name="generate_image", arguments=json.dumps(arguments))

    def _answer(self, messages: tuple[ChatMessage, ...]) -> str:
        last = messages[-1] if messages else ChatMessage(role="user", content="")
        if last.role == "tool":
            return " ".join(
                self._caption(m.content) if m.name == "generate_image" else f"{m.name} said: {_clip(m.content)}"
                for m in _last_results(messages)
            )
        return (
            "I'm Easel's local development agent. I can draw pictures and edit them: "
            "try \u201cdraw a tiny red robot watering a sunflower\u201d, then \u201cmake it blue\u201d. "
            f"You said: \u201c{_clip(last.content)}\u201d."
        )

    @staticmethod
    def _caption(result_text: str) -> str:
        try:
            result = json.loads(result_text)
        except ValueError:
            result = {}
        if not isinstance(result, dict) or result.get("status") != "success":
            error = result.get("error") if isinstance(result, dict) else None
            return f"I couldn't make that image: {error or 'the image tool failed'}."
        # Short whatever the prompt (the image card shows it): a 40,000-character prompt echoed
        # back streamed for minutes. The thread's note gives the LLM the id; people need no UUID.
        if result.get("input_image_document_id"):
            return "Here is the edited image. Tell me what else to change."
        return "Here is your image. Tell me what to change."
