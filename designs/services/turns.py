"""Accepting a conversation turn: store the user's message, decide what will run, start it.

Generation never runs here: the run is queued and started after the transaction commits.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from designs import events, trace
from designs.catalog import ImageModel
from designs.exceptions import Conflict, Invalid
from designs.models import ApiKey, Document, Message, Project, Run, Thread
from designs.services.budgets import estimate_for, reserve
from designs.services.documents import document_create
from designs.services.image_config import validate_image_config
from designs.services.images import read_upload
from designs.services.limits import run_slots_check
from designs.services.messages import message_create, message_inputs_add
from designs.services.model_choice import Choice, resolve_image_model, resolve_llm, takes_input_images
from designs.services.threads import (
    assistant_default,
    assistant_get,
    thread_create,
    thread_get,
)
from designs.services.tools import tools_validate
from designs.services.turn_images import (
    LEADING_UPLOADS,
    TRAILING_UPLOADS,
    area_request,
    check_inputs,
    named_documents,
    store_mask,
    upload_order,
)

logger = logging.getLogger(__name__)

UNSUPPORTED_UPLOAD_FIELDS = ("input_last_frame", "input_video", "audio_file")
IMAGE_UPLOADS = ("input_image", "input_references", "files", "mask")


@dataclass
class Turn:
    """What `turn_accept` decided: the stored user message and, unless send_to_llm=false, a run."""

    thread: Thread
    user_message: Message
    run: Run | None
    stream: bool
    attachments: list[Document] = field(default_factory=list)


def turn_accept(
    *, project: Project, data: dict[str, Any], uploads: dict[str, list], base_url: str, api_key: ApiKey | None = None
) -> Turn:
    """Validate and store one turn; a DomainError for anything wrong (LimitReached when the project or
    `api_key`, the key that sent it, has too many runs in progress), with nothing written."""
    operation = data.get("operation") or "chat"
    _check_uploads(operation, uploads)
    named = _named(project, data, operation, uploads)
    content = data.get("content") or ""
    has_input = bool(uploads.get("input_image") or uploads.get("files") or uploads.get("input_references"))
    if not content.strip() and not has_input:
        raise Invalid("content: may not be empty")
    if data.get("tools") is not None:
        # The turn's tools replace the assistant's for this turn ([] offers none).
        data = {**data, "tools": tools_validate(data["tools"])}
    plan = _plan(project, data, operation, uploads, has_source=bool(named))
    if plan is not None and uploads:
        # Refuse before reading and storing uploads; _run_create checks again holding the lock
        # (and a turn without uploads is refused there, its transaction rolled back).
        run_slots_check(project=project, api_key=api_key)
    images = {name: [read_upload(f, field=name) for f in files] for name, files in uploads.items()}
    mask_upload = images.pop("mask", [None])[0]
    lead, trail = upload_order(images)
    if plan is not None and operation == "generate_image":
        # A chat turn's images are the LLM's to look at; a call naming too many is a tool error.
        check_inputs(plan.image_entry, len(lead) + len(named) + len(trail))
    first = lead[0].facts if lead else named[0] if named else trail[0].facts if trail else None
    area = area_request(
        data=data,
        mask_upload=mask_upload,
        project=project,
        target_size=(first.width, first.height) if first is not None else None,
        entry=plan.image_entry if plan is not None else None,
    )
    # The run's id is known before its row: the user message names it when it is written.
    run_id = uuid.uuid4() if plan is not None else None
    with transaction.atomic():
        thread, fresh = _thread_for(project, data, named[0] if operation == "generate_image" and named else None)
        if plan is not None and not fresh:  # a thread made just now has no run
            _check_idle(thread)
        # The client's `metadata` is stored exactly as sent; what the turn carries is `inputs`.
        user_message = message_create(
            thread,
            role=Message.Role.USER,
            content=content,
            metadata=data.get("metadata") or {},
            run_id=run_id,
            first=fresh,
        )

        def stored(items: list) -> list[Document]:
            return [_store_upload(project, thread, user_message, upload, image) for upload, image in items]

        # Existing documents are carried like uploads, without a copy.
        attachments = [
            *stored(_with_uploads(uploads, LEADING_UPLOADS, lead)),
            *named,
            *stored(_with_uploads(uploads, TRAILING_UPLOADS, trail)),
        ]
        mask = None
        if area is not None:
            mask = store_mask(area, project=project, thread=thread, message=user_message, applies_to=attachments[0])
        if attachments:
            message_inputs_add(
                user_message, attachments, direct_edit=operation == Run.Operation.GENERATE_IMAGE, mask=mask
            )
        run = (
            _run_create(run_id, project, thread, user_message, data, plan, base_url, api_key, len(attachments))
            if plan
            else None
        )
        if run is not None and run.operation == Run.Operation.GENERATE_IMAGE:
            # Held before any provider call; BudgetSpent (a 429) rolls the whole turn back.
            n = int(run.image_config.get("n") or 1)
            reserve(run, images=n, estimated_usd=estimate_for(run, n=n, input_images=len(attachments)))
        if run is not None:
            transaction.on_commit(lambda: run_start(run))
    return Turn(thread, user_message, run, bool(data.get("stream")), attachments)


def _check_uploads(operation: str, uploads: dict[str, list]) -> None:
    for name in UNSUPPORTED_UPLOAD_FIELDS:
        if uploads.get(name):
            raise Invalid(f"{name}: uploads of this kind are not supported by Easel")
    if uploads.get("input_image") and operation != "generate_image":
        raise Invalid("input_image is only allowed with operation=generate_image")
    if uploads.get("input_references") and operation != "generate_image":
        raise Invalid("input_references is only allowed with operation=generate_image (in a chat turn, use files)")
    for name in ("input_image", "mask"):
        if len(uploads.get(name) or []) > 1:
            raise Invalid(f"{name}: send one image")
    unknown = set(uploads) - {*IMAGE_UPLOADS, *UNSUPPORTED_UPLOAD_FIELDS}
    if unknown:
        raise Invalid(f"Unexpected file field(s): {', '.join(sorted(unknown))}")


@dataclass(frozen=True)
class _Plan:
    llm: Choice | None
    image: Choice | None
    image_config: dict[str, Any]
    image_entry: ImageModel | None = None


def _named(project: Project, data: dict[str, Any], operation: str, uploads: dict[str, list]) -> list[Document]:
    """The documents the turn names; the image to edit is named or uploaded, not both."""
    if data.get("input_image_document_id") is not None and uploads.get("input_image"):
        raise Invalid("Send either input_image or input_image_document_id, not both")
    return named_documents(project, data, operation)


def _with_uploads(uploads: dict[str, list], names: tuple[str, ...], images: list) -> list[tuple[Any, Any]]:
    files = [upload for name in names for upload in uploads.get(name, [])]
    return list(zip(files, images, strict=True))


def _store_upload(project: Project, thread: Thread, message: Message, upload: Any, image: Any) -> Document:
    return document_create(
        project=project,
        data=image.data,
        facts=image.facts,
        thread=thread,
        message=message,
        operation=Document.Operation.UPLOAD,
        original_filename=getattr(upload, "name", None),
        metadata=image.provenance(),
    )


def _plan(
    project: Project, data: dict[str, Any], operation: str, uploads: dict[str, list], *, has_source: bool = False
) -> _Plan | None:
    """Resolve providers (the project's own keys count) and validate image_config; None when no run is wanted."""
    if not data.get("send_to_llm", True) and operation == "chat":
        return None
    llm = None
    if operation == "chat":
        llm = resolve_llm(data.get("llm_provider"), data.get("model_name"), project_id=project.id)
    wants_images = operation == "generate_image" or data.get("image_generation") == "auto"
    image, entry = (None, None)
    if wants_images:
        image, entry = resolve_image_model(
            data.get("image_model_provider"), data.get("image_model_name"), project_id=project.id
        )
    config: dict[str, Any] = {}
    if entry is not None:
        config = validate_image_config(data.get("image_config") or {}, entry)
        has_reference = any(uploads.get(name) for name in ("input_image", "input_references", "files")) or has_source
        if has_reference and not takes_input_images(entry):
            raise Invalid(f"image_model_vision_required: {entry.key} cannot take input images")
    elif data.get("image_config"):
        raise Invalid("image_config needs image_generation=auto or operation=generate_image")
    return _Plan(llm, image, config, entry)


def _thread_for(project: Project, data: dict[str, Any], source: Document | None = None) -> tuple[Thread, bool]:
    """The turn's thread, and whether it was made for this turn."""
    if data.get("thread_id"):
        return thread_get(project=project, thread_id=data["thread_id"], for_update=True), False
    if source is not None and source.thread_id:
        # Editing a document without naming a thread continues the document's own thread.
        return thread_get(project=project, thread_id=source.thread_id, for_update=True), False
    if data.get("assistant_id"):
        assistant = assistant_get(project=project, assistant_id=data["assistant_id"])
    else:
        assistant = assistant_default(project=project)
    return thread_create(project=project, assistant=assistant), True


def _check_idle(thread: Thread) -> None:
    busy = [Run.Status.QUEUED, Run.Status.RUNNING, Run.Status.REQUIRES_ACTION]
    active = Run.objects.filter(thread=thread, status__in=busy).first()
    if active is not None and active.status == Run.Status.REQUIRES_ACTION:
        raise Conflict(
            f"Thread {thread.id} has a run waiting for tool outputs ({active.id}); submit them "
            f"(POST /api/threads/{thread.id}/runs/{active.id}/submit-tool-outputs) or cancel the run"
        )
    if active is not None:
        raise Conflict(
            f"Thread {thread.id} already has a run in progress ({active.id}); wait for it to end or cancel it"
        )


def _run_create(
    run_id: uuid.UUID,
    project: Project,
    thread: Thread,
    user_message: Message,
    data: dict[str, Any],
    plan: _Plan,
    base_url: str,
    api_key: ApiKey | None,
    inputs: int,
) -> Run:
    # Last, so the project's lock is held only from here to the commit.
    run_slots_check(project=project, api_key=api_key, lock=True)
    run = Run.objects.create(
        id=run_id,
        project=project,
        api_key=api_key,
        thread=thread,
        assistant=thread.assistant,
        user_message=user_message,
        operation=data.get("operation") or "chat",
        llm_provider=plan.llm.provider if plan.llm else "",
        llm_model=plan.llm.model if plan.llm else "",
        image_generation=plan.image is not None,
        image_provider=plan.image.provider if plan.image else "",
        image_model=plan.image.model if plan.image else "",
        image_config=plan.image_config,
        fallback=bool((plan.llm and plan.llm.fallback) or (plan.image and plan.image.fallback)),
        params={
            "system_prompt": data.get("system_prompt"),
            "tools": data.get("tools"),
            "openrouter": data.get("openrouter"),
            "thinking": data.get("thinking"),
            "json_output": data.get("json_output", False),
            # How many images the user message carries: none, and the worker need not look.
            "input_images": inputs,
        },
        public_base_url=base_url,
    )
    user_message.run = run  # its row already names the run (message_create's run_id)
    return run


def run_start(run: Run) -> None:
    """After commit: the first event (so a stream shows the thread at once), then the work."""
    from workers.dispatch import enqueue_run

    trace.mark("committed")
    events.publish(
        project_id=run.project_id,
        thread_id=run.thread_id,
        run_id=run.id,
        assistant_id=run.assistant_id,
        type=events.EventType.USER_MESSAGE,
        message_id=str(run.user_message_id),
        content=run.user_message.content,
    )
    trace.mark("published")
    enqueue_run(str(run.id))
    trace.mark("enqueued")
