"""The built-in `generate_image` tool: validate the call, run the image model, store documents.

Whatever ids the LLM invents, an input image must be a document of the run's own thread (and
so of its project); anything else becomes a tool error the LLM reads, never a crash or a leak.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import uuid
from typing import Any

from PIL import Image

from designs.db import release_connection
from designs.events import EventType
from designs.models import Document
from designs.services.documents import document_create
from designs.services.images import NotAnImage, inspect_image
from designs.services.model_choice import takes_input_images
from workers.adapters import image_for
from workers.providers.base import (
    ImagePreview,
    ImageRequest,
    InputImage,
    ProviderError,
    ToolCall,
)
from workers.run_context import RunContext

logger = logging.getLogger(__name__)

TOOL_NAME = "generate_image"
TOOL_SCHEMA: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": TOOL_NAME,
        "description": (
            "Generate a new image, or edit an existing image of this thread when "
            "input_image_document_id is given. Call only when the user asks for an image."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "prompt": {"type": "string", "description": "Full description of the desired image or of the edit"},
                "input_image_document_id": {
                    "type": "string",
                    "description": "document_id of a previously generated or uploaded image in THIS thread to edit",
                },
                "size": {"type": "string", "description": "Optional size as WIDTHxHEIGHT, e.g. 1024x1024"},
                "aspect_ratio": {"type": "string", "description": "Optional aspect ratio: 1:1, 16:9, 9:16, 4:3, 3:4"},
            },
            "required": ["prompt"],
        },
    },
}
# Refusals and bad requests are the LLM's to explain; other provider failures end the run.
TOOL_ERROR_KINDS = frozenset({"content_policy", "bad_request"})
PREVIEW_MAX_SIDE = 256


class ToolError(Exception):
    """A failure the LLM reads back as the tool's result; `kind` says why (direct mode reports it)."""

    def __init__(self, message: str, kind: str = "invalid_request") -> None:
        super().__init__(message)
        self.kind = kind


class ImageTool:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.run = ctx.run
        self.provider = image_for(self.run)

    def call(self, call: ToolCall) -> dict[str, Any]:
        """Run one LLM tool call; the result (success or error) is what the LLM reads back."""
        try:
            arguments = self._arguments(call)
            parent = self._input_document(arguments.get("input_image_document_id"))
            documents = self.generate(
                prompt=arguments["prompt"],
                parent=parent,
                tool_call_id=call.id,
                size_hint=arguments.get("size"),
                aspect_ratio_hint=arguments.get("aspect_ratio"),
            )
        except ToolError as exc:
            self.ctx.emit(EventType.MEDIA_FAILED, tool_call_id=call.id, error=str(exc))
            return {"status": "error", "error": str(exc)}
        first = documents[0]
        return {
            "status": "success",
            "document_id": str(first.id),
            "document_ids": [str(d.id) for d in documents],
            "mime_type": first.mime_type,
            "width": first.width,
            "height": first.height,
            "prompt": first.prompt,
            "input_image_document_id": str(parent.id) if parent else None,
        }

    def generate(
        self,
        *,
        prompt: str,
        parent: Document | None,
        tool_call_id: str,
        size_hint: str | None = None,
        aspect_ratio_hint: str | None = None,
    ) -> list[Document]:
        """Call the image model once and store each image it returns as a document."""
        if parent is not None and not takes_input_images(self.ctx.models.image):
            raise ToolError(
                f"image_model_vision_required: {self.run.image_provider}/{self.run.image_model} cannot edit images"
            )
        existing = list(Document.objects.filter(run=self.run, tool_call_id=tool_call_id).order_by("output_index"))
        if existing:  # a retried run: the images of this call are already stored
            for document in existing:
                self.ctx.add_document(document, tool_call_id)
            return existing
        request = ImageRequest(
            model=self.run.image_model,
            prompt=prompt,
            input_images=self._inputs(parent),
            config=self.run.image_config,
            size_hint=size_hint,
            aspect_ratio_hint=aspect_ratio_hint,
        )
        release_connection()  # an image takes 10 to 60 s
        try:
            results = self.provider.generate(
                request, on_preview=lambda p: self._preview(p, tool_call_id), cancelled=self.ctx.cancelled
            )
        except ProviderError as exc:
            if exc.kind in TOOL_ERROR_KINDS:
                raise ToolError(exc.message, exc.kind) from exc
            raise
        self.ctx.raise_if_cancelled()
        if not results:
            raise ProviderError("the image model returned no image", permanent=True, kind="malformed_response")
        return [self._store(result, index, prompt, parent, tool_call_id) for index, result in enumerate(results)]

    def _store(self, result: Any, index: int, prompt: str, parent: Document | None, tool_call_id: str) -> Document:
        try:
            facts = inspect_image(result.data)
        except NotAnImage as exc:
            raise ProviderError(
                f"the image model returned an unreadable image: {exc}", permanent=True, kind="malformed_response"
            ) from exc
        document = document_create(
            project=self.run.project,
            data=result.data,
            facts=facts,
            thread=self.run.thread,
            operation=Document.Operation.EDIT if parent else Document.Operation.GENERATE,
            prompt=prompt,
            run=self.run,
            parent=parent,
            revised_prompt=result.revised_prompt,
            model_provider=self.run.image_provider,
            model_name=self.run.image_model,
            seed=result.seed,
            tool_call_id=tool_call_id,
            output_index=index,
        )
        self.ctx.add_document(document, tool_call_id)
        return document

    def _arguments(self, call: ToolCall) -> dict[str, Any]:
        try:
            arguments = json.loads(call.arguments or "{}")
        except ValueError as exc:
            raise ToolError("the tool arguments were not valid JSON") from exc
        if not isinstance(arguments, dict):
            raise ToolError("the tool arguments must be a JSON object")
        prompt = arguments.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ToolError("prompt is required and must be a non-empty string")
        for key in ("input_image_document_id", "size", "aspect_ratio"):
            if arguments.get(key) is not None and not isinstance(arguments[key], str):
                raise ToolError(f"{key} must be a string")
        return arguments

    def _input_document(self, document_id: str | None) -> Document | None:
        if not document_id:
            return None
        try:
            key = uuid.UUID(document_id.strip())
        except ValueError as exc:
            raise ToolError(f"'{document_id}' is not a document_id") from exc
        # One query scoped to this run's project and thread: a foreign id looks just like an unknown one.
        document = Document.objects.filter(id=key, project_id=self.run.project_id, thread_id=self.run.thread_id).first()
        if document is None:
            raise ToolError(f"No image with document_id {document_id} in this thread")
        return document

    def _inputs(self, parent: Document | None) -> tuple[InputImage, ...]:
        if parent is None:
            return ()
        with parent.file.open("rb") as handle:
            return (InputImage(data=handle.read(), mime_type=parent.mime_type),)

    def _preview(self, preview: ImagePreview, tool_call_id: str) -> None:
        self.ctx.emit(
            EventType.MEDIA_PREVIEW,
            tool_call_id=tool_call_id,
            index=preview.index,
            preview={"data_url": _thumbnail_data_url(preview.data), "mime_type": "image/jpeg"},
        )


def _thumbnail_data_url(data: bytes) -> str | None:
    """A small JPEG of a partial image, inline: previews are transient, never stored."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=70)
    except Exception:
        logger.warning("unreadable partial image skipped")
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()
