"""The conversation an LLM sees for a run: system prompt, an image note, and the thread so far."""

from __future__ import annotations

import json

from django.db.models import Q

from designs.models import Document, Message, Run
from designs.services.documents import document_bytes
from workers.providers.base import ChatMessage, ToolCall
from workers.providers.local_agent import IMAGE_NOTE_MARKER

MAX_HISTORY_MESSAGES = 60
IMAGE_TOOL_GUIDE = (
    "You can create and edit images with the generate_image tool. Call it only when the user asks "
    "for an image or for a change to one. To edit an image, pass its document_id first in "
    "input_image_document_ids (more ids after it are references); when the user says 'it' they mean "
    "the latest image. To change only part of it, pass regions in its pixels."
)


def conversation(run: Run) -> tuple[ChatMessage, ...]:
    """Oldest first. Only finished turns and this run's own tool round-trips are included."""
    system = run.params.get("system_prompt") or run.assistant.system_prompt or ""
    prelude = [ChatMessage(role="system", content=system)] if system else []
    if run.image_generation:
        prelude.append(ChatMessage(role="system", content=_image_note(run)))
    rows = list(
        Message.objects.filter(thread_id=run.thread_id)
        .exclude(status__in=[Message.Status.FAILED, Message.Status.CANCELLED])
        .order_by("-seq")[:MAX_HISTORY_MESSAGES]
    )
    rows.reverse()
    return (*prelude, *_paired(_chat_message(m, run) for m in rows))


def _paired(messages) -> list[ChatMessage]:
    """Every tool call with its result and every result with its call: vendors reject either
    alone, and a run that expired or was cancelled while it waited for the caller's tool
    outputs leaves calls nobody answered (and the window may cut a round-trip in two)."""
    messages = list(messages)
    answered = {m.tool_call_id for m in messages if m.role == "tool"}
    kept: list[ChatMessage] = []
    called: set[str | None] = set()
    for message in messages:
        if message.role == "assistant" and message.tool_calls:
            calls = tuple(c for c in message.tool_calls if c.id in answered)
            called.update(c.id for c in calls)
            if not calls and not message.content:
                continue
            message = ChatMessage(role="assistant", content=message.content, tool_calls=calls)
        elif message.role == "tool" and message.tool_call_id not in called:
            continue
        kept.append(message)
    return kept


def _image_note(run: Run) -> str:
    """The images the LLM may name: the thread's and those its messages brought from elsewhere in
    the project, with their sizes (regions are given in the image's pixels)."""
    in_thread = Q(thread_id=run.thread_id) | Q(message_inputs__message__thread_id=run.thread_id)
    documents = (
        Document.objects.filter(in_thread, project_id=run.project_id)
        .exclude(operation=Document.Operation.MASK)
        .distinct()
        .order_by("created_at")
    )
    lines = [IMAGE_TOOL_GUIDE]
    if documents:
        lines.append(f"{IMAGE_NOTE_MARKER}, oldest first (document_id: how it was made, width x height):")
        lines += [
            f"- {d.id}: {d.operation}, {d.width}x{d.height} \u2014 {(d.prompt or d.filename)[:200]}" for d in documents
        ]
    return "\n".join(lines)


def _chat_message(message: Message, run: Run) -> ChatMessage:
    metadata = message.metadata or {}
    if message.role == Message.Role.TOOL:
        return ChatMessage(
            role="tool",
            content=message.content or "",
            tool_call_id=metadata.get("tool_call_id"),
            name=metadata.get("tool_name"),
        )
    if message.role == Message.Role.ASSISTANT:
        calls = tuple(
            ToolCall(c["id"], c["function"]["name"], c["function"]["arguments"])
            for c in metadata.get("tool_calls") or []
        )
        return ChatMessage(role="assistant", content=message.content or "", tool_calls=calls)
    images: tuple[tuple[str, bytes], ...] = ()
    # A turn stored with no image says so (`input_images`: 0); others are looked up.
    if message.id == run.user_message_id and run.params.get("input_images") != 0:
        images = tuple(_input_bytes(message))
    return ChatMessage(role="user", content=message.content or "", images=images)


def _input_bytes(message: Message) -> list[tuple[str, bytes]]:
    """Every image the run's own user message carries, in order: the LLM sees them all."""
    out = []
    for document in message.input_documents():
        out.append((document.mime_type, document_bytes(document)))
    return out


def tool_call_dicts(calls: list[ToolCall]) -> list[dict]:
    return [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in calls]


def tool_result_json(result: dict) -> str:
    return json.dumps(result, separators=(",", ":"))
