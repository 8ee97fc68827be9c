"""The built-in `generate_image` tool: validate the call, run the image model, store documents.

Whatever ids the LLM invents, an input image must be a document of the run's own project (any
of its threads); anything else becomes a tool error the LLM reads, never a crash or a leak.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import transaction
from PIL import Image

from designs.db import release_connection
from designs.events import EventType
from designs.exceptions import BudgetSpent, Invalid, NotFound
from designs.models import Document, Reservation
from designs.services.budgets import estimate_for, held_for, image_charge, release, reserve, settle
from designs.services.comments import resolve_revised
from designs.services.documents import document_bytes, document_create, document_derivatives_add
from designs.services.images import NotAnImage, check_decodes, inspect_header
from designs.services.model_choice import takes_input_images
from designs.services.review import record_refusal, review_new_image
from designs.services.webhooks import webhook_emit
from designs.trace import Span
from designs.webhook_payloads import image_data
from workers.adapters import image_for
from workers.image_inputs import Area, call_area, named_documents, turn_inputs
from workers.image_plan import Plan
from workers.providers.base import ImagePreview, ProviderError, ToolCall
from workers.run_context import RunContext

logger = logging.getLogger(__name__)

TOOL_NAME = "generate_image"
TOOL_SCHEMA: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": TOOL_NAME,
        "description": (
            "Generate a new image, or edit images of this project when input_image_document_ids is given "
            "(the first is the image to edit, the others are references such as a character or a style). "
            "To change only part of the image, give regions in the first input image's pixels (its size is "
            "in the image list). Call only when the user asks for an image."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "prompt": {"type": "string", "description": "Full description of the desired image or of the edit"},
                "input_image_document_ids": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "document_ids of images to edit or follow, the image to edit first",
                },
                "input_image_document_id": {
                    "type": "string",
                    "description": "document_id of one image to edit (same as a one-item input_image_document_ids)",
                },
                "regions": {
                    "type": "array",
                    "description": (
                        "Optional: confine the edit to these areas of the first input image; everything else stays "
                        "exactly as it is. Pixel coordinates, origin at the top left. A rectangle is "
                        "{x, y, width, height}: the top-left quarter of a 1024x1024 image is "
                        "{x: 0, y: 0, width: 512, height: 512}; its right half is {x: 512, y: 0, width: 512, "
                        "height: 1024}. A polygon is {points: [[x, y], ...]}."
                    ),
                    "items": {
                        "type": "object",
                        "properties": {
                            "x": {"type": "number"},
                            "y": {"type": "number"},
                            "width": {"type": "number"},
                            "height": {"type": "number"},
                            "points": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
                        },
                    },
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
        self._turn: tuple[list[Document], Document | None] | None = None

    def turn(self) -> tuple[list[Document], Document | None]:
        """The images the user's message carries and its mask, read once."""
        if self._turn is None:
            self._turn = turn_inputs(self.run)
        return self._turn

    def call(self, call: ToolCall) -> dict[str, Any]:
        """Run one LLM tool call; the result (success or error) is what the LLM reads back."""
        try:
            arguments = self._arguments(call)
            inputs = self._documents(arguments)
            documents = self.generate(
                prompt=arguments["prompt"],
                inputs=inputs,
                tool_call_id=call.id,
                size_hint=arguments.get("size"),
                aspect_ratio_hint=arguments.get("aspect_ratio"),
                regions=arguments.get("regions"),
            )
        except ToolError as exc:
            self.ctx.emit(EventType.MEDIA_FAILED, tool_call_id=call.id, error=str(exc), reason_code=exc.kind)
            return {"status": "error", "error": str(exc), "reason_code": exc.kind}
        first = documents[0]
        return {
            "status": "success",
            "document_id": str(first.id),
            "document_ids": [str(d.id) for d in documents],
            "mime_type": first.mime_type,
            "width": first.width,
            "height": first.height,
            "prompt": first.prompt,
            "input_image_document_id": str(inputs[0].id) if inputs else None,
            "input_image_document_ids": [str(d.id) for d in inputs],
            "edit_area": (first.metadata or {}).get("edit_area"),
        }

    def generate(
        self,
        *,
        prompt: str,
        inputs: Sequence[Document] = (),
        tool_call_id: str,
        size_hint: str | None = None,
        aspect_ratio_hint: str | None = None,
        regions: Any = None,
    ) -> list[Document]:
        """Call the image model once and store each image it returns as a document.

        `inputs` are the images to work from, the one to edit first; `regions` (and the turn's
        mask, for its first image) confine the edit, and the stored result keeps every pixel
        outside them.
        """
        self._check(inputs)
        existing = list(Document.objects.filter(run=self.run, tool_call_id=tool_call_id).order_by("output_index"))
        if existing:  # a retried run: the images of this call are already stored
            for document in existing:
                self.ctx.add_document(document, tool_call_id)
            self._thumbnails([(d, None) for d in existing if not d.thumbnail])
            return existing
        area = self._area(inputs, regions, tool_call_id)
        plan = Plan.make(self, prompt, inputs, area, size_hint, aspect_ratio_hint)
        reservation = self._reserve(len(inputs), size_hint)
        release_connection()  # an image takes 10 to 60 s
        try:
            results = self.provider.generate(
                plan.request, on_preview=lambda p: self._preview(p, tool_call_id), cancelled=self.ctx.cancelled
            )
        except ProviderError as exc:
            if reservation is not None:
                release(reservation)  # refused or failed: nothing made, nothing charged
            if exc.kind == "content_policy":
                record_refusal(
                    project_id=self.run.project_id,
                    prompt=prompt,
                    model=f"{self.run.image_provider}/{self.run.image_model}",
                    reason=exc.message,
                    reason_code=exc.kind,
                )
            if exc.kind in TOOL_ERROR_KINDS:
                raise ToolError(exc.message, exc.kind) from exc
            raise
        returned = time.time()
        self.ctx.raise_if_cancelled()
        if not results:
            raise ProviderError("the image model returned no image", permanent=True, kind="malformed_response")
        stored = [
            self._store(result, index, plan, tool_call_id, Span("media_trace", returned=returned))
            for index, result in enumerate(results)
        ]
        # Every image's event is out: now the work nobody waits for (its URL falls back meanwhile).
        self._thumbnails(stored)
        documents = [document for document, _ in stored]
        if reservation is not None:
            settle(reservation, images=len(documents), charged_usd=image_charge(self.run, len(documents)))
        wanted = int(self.run.image_config.get("n") or 1)
        if len(documents) < wanted:  # said, not hidden: the run is charged for what was made
            self.ctx.emit(
                EventType.MEDIA_FAILED,
                tool_call_id=tool_call_id,
                error=f"the image model made {len(documents)} of the {wanted} images asked for",
            )
        return documents

    def _reserve(self, inputs: int, size_hint: str | None) -> Reservation | None:
        """A chat turn's call holds its images against the budget before the provider is asked
        (a direct request held them when it was accepted). A spent budget is the LLM's to explain."""
        if held_for(self.run):
            return None
        n = int(self.run.image_config.get("n") or 1)
        try:
            with transaction.atomic():
                return reserve(
                    self.run, images=n, estimated_usd=estimate_for(self.run, n=n, input_images=inputs, size=size_hint)
                )
        except BudgetSpent as exc:
            raise ToolError(exc.detail, "budget_exceeded") from exc

    def _check(self, inputs: Sequence[Document]) -> None:
        entry = self.ctx.models.image
        label = f"{self.run.image_provider}/{self.run.image_model}"
        if inputs and not takes_input_images(entry):
            raise ToolError(f"image_model_vision_required: {label} cannot edit images")
        if entry is not None and len(inputs) > entry.max_reference_images:
            raise ToolError(
                f"{label} takes at most {entry.max_reference_images} input images; {len(inputs)} were given"
            )

    def _area(self, inputs: Sequence[Document], regions: Any, tool_call_id: str) -> Area | None:
        turn_images, turn_mask = self.turn()
        if not inputs:
            if regions is not None:
                raise ToolError("regions need an image to edit: give input_image_document_ids")
            return None
        try:
            area = call_area(
                self.run,
                inputs[0],
                turn_mask=turn_mask,
                turn_target=turn_images[0] if turn_images else None,
                regions=regions,
                tool_call_id=tool_call_id,
            )
        except Invalid as exc:
            raise ToolError(exc.detail) from exc
        entry = self.ctx.models.image
        if area is not None and (entry is None or entry.mask == "none"):
            raise ToolError(f"{self.run.image_provider}/{self.run.image_model} cannot edit part of an image")
        return area

    def _store(self, result: Any, index: int, plan: Plan, tool_call_id: str, trace: Span) -> tuple[Document, bytes]:
        """Verify and store one image and announce it: its file is written and its row committed
        before `media_generated` names its URL. Its thumbnail comes after (`_thumbnails`)."""
        data, metadata = plan.finish(result.data)
        trace.mark("finished")
        try:
            facts = inspect_header(data)
        except NotAnImage as exc:
            raise _unreadable(exc) from exc
        # The full decode runs while the file is written (Pillow decodes outside the GIL); the
        # row waits for it, and an image that does not decode leaves nothing stored.
        decoding = _decoders().submit(check_decodes, data)

        def decoded() -> None:
            trace.mark("stored")
            try:
                decoding.result()
            except NotAnImage as exc:
                raise _unreadable(exc) from exc
            trace.mark("verified")

        with transaction.atomic():  # the image, its review state and its webhook event, together
            document = self._create(data, facts, metadata, plan, result, index, tool_call_id, decoded)
            trace.mark("row")
            review_new_image(document)  # flags, and pending when the project's policy says so
            webhook_emit(self.run.project_id, "image.generated", lambda: image_data(document, self.run))
        trace.mark("committed")
        resolve_revised(document)  # a revise run resolves the comments it applied
        self.ctx.add_document(document, tool_call_id)
        trace.mark("published")
        trace.log(document_id=str(document.id), bytes=len(data))
        return document, data

    def _thumbnails(self, stored: Sequence[tuple[Document, bytes | None]]) -> None:
        """Each document's derivatives, after its event; a failure leaves the fallback URL, never the run."""
        for document, data in stored:
            try:
                document_derivatives_add(document, data if data is not None else document_bytes(document))
            except Exception:
                logger.exception("could not make the thumbnail or display size of document %s", document.id)

    def _create(
        self,
        data: bytes,
        facts: Any,
        metadata: dict[str, Any],
        plan: Plan,
        result: Any,
        index: int,
        tool_call_id: str,
        on_stored: Any,
    ) -> Document:
        inputs = plan.inputs
        return document_create(
            project=self.run.project,
            data=data,
            facts=facts,
            thread=self.run.thread,
            operation=Document.Operation.EDIT if inputs else Document.Operation.GENERATE,
            prompt=plan.prompt,
            run=self.run,
            parent=inputs[0] if inputs else None,
            parents=inputs[1:],
            revised_prompt=result.revised_prompt,
            model_provider=self.run.image_provider,
            model_name=self.run.image_model,
            seed=result.seed,
            tool_call_id=tool_call_id,
            output_index=index,
            metadata=metadata,
            thumbnail=False,
            on_stored=on_stored,
        )

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
        ids = arguments.get("input_image_document_ids")
        if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
            raise ToolError("input_image_document_ids must be a list of document_id strings")
        return arguments

    def _documents(self, arguments: dict[str, Any]) -> list[Document]:
        ids = [arguments["input_image_document_id"]] if arguments.get("input_image_document_id") else []
        ids += arguments.get("input_image_document_ids") or []
        try:
            return named_documents(self.run, ids)
        except (Invalid, NotFound) as exc:
            raise ToolError(exc.detail) from exc

    def _preview(self, preview: ImagePreview, tool_call_id: str) -> None:
        self.ctx.emit(
            EventType.MEDIA_PREVIEW,
            tool_call_id=tool_call_id,
            index=preview.index,
            preview={"data_url": _thumbnail_data_url(preview.data), "mime_type": "image/jpeg"},
        )


def _unreadable(exc: NotAnImage) -> ProviderError:
    return ProviderError(
        f"the image model returned an unreadable image: {exc}", permanent=True, kind="malformed_response"
    )


_decoder_pool: list[ThreadPoolExecutor] = []
_decoder_lock = threading.Lock()


def _decoders() -> ThreadPoolExecutor:
    """The process's threads that check a stored image decodes while its file is written."""
    with _decoder_lock:
        if not _decoder_pool:
            _decoder_pool.append(ThreadPoolExecutor(max_workers=4, thread_name_prefix="easel-decode"))
        return _decoder_pool[0]


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
