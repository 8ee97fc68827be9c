"""JSON shapes the API returns, field for field as the Backboard SDK's models expect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from designs.media import media_urls
from designs.models import Assistant, Comment, Document, Message, ReviewDecision, ReviewPolicy, Run, Thread
from designs.services.documents import Lineage


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def assistant_payload(assistant: Assistant) -> dict[str, Any]:
    return {
        "assistant_id": str(assistant.id),
        "name": assistant.name,
        "description": assistant.description,
        "system_prompt": assistant.system_prompt,
        "tools": assistant.tools or [],
        "tok_k": assistant.tok_k,
        "embedding_provider": assistant.embedding_provider,
        "embedding_model_name": assistant.embedding_model_name,
        "embedding_dims": assistant.embedding_dims,
        "custom_fact_extraction_prompt": assistant.custom_fact_extraction_prompt,
        "custom_update_memory_prompt": assistant.custom_update_memory_prompt,
        "created_at": iso(assistant.created_at),
        "updated_at": iso(assistant.updated_at),
    }


# --- a document, in its three contract shapes -------------------------------------------------
# `attachment_payload` (a message's attachment), `media_payload` (the `media` object of events and
# `generated_media`) and `document_payload` (the SDK's Document, Easel's facts in `metadata_`) are
# the contract's shapes; each is built from the same two pieces below, so a fact is named once.


def parent_ids(document: Document) -> list[str]:
    """All inputs of the document, primary first (uses a prefetch of `parent_links` if there is one)."""
    return [str(link.parent_id) for link in sorted(document.parent_links.all(), key=lambda link: link.position)]


def _optional_id(value: Any) -> str | None:
    return str(value) if value else None


def document_summary(document: Document) -> dict[str, Any]:
    """What every shape starts with: which document, its file's name, size and status."""
    return {
        "document_id": str(document.id),
        "filename": document.filename,
        "status": document.status,
        "file_size_bytes": document.file_size_bytes,
        "summary": None,
    }


def image_facts(document: Document) -> dict[str, Any]:
    """How the image was made and what it is, under the names the media object uses."""
    return {
        "operation": document.operation,
        "prompt": document.prompt,
        "revised_prompt": document.revised_prompt,
        "model_provider": document.model_provider,
        "model_name": document.model_name,
        "seed": document.seed,
        "mime_type": document.mime_type,
        "width": document.width,
        "height": document.height,
        # Without a thumbnail yet, the thumbnail URL is the image's own (designs/media.py): its size.
        "thumbnail_width": document.thumbnail_width if document.thumbnail else document.width,
        "thumbnail_height": document.thumbnail_height if document.thumbnail else document.height,
        "sha256": document.sha256,
        "input_image_document_id": _optional_id(document.parent_id),
        "input_image_document_ids": parent_ids(document),
        "thread_id": _optional_id(document.thread_id),
        "run_id": _optional_id(document.run_id),
        "message_id": _optional_id(document.message_id),
        "edit_area": (document.metadata or {}).get("edit_area"),
        "sizing": (document.metadata or {}).get("sizing"),
        "review_status": document.review_status,
        "flags": document.flags or [],
    }


def _pick(facts: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: facts[name] for name in names}


def attachment_payload(document: Document) -> dict[str, Any]:
    return document_summary(document)


def input_payloads(message: Message) -> list[dict[str, Any]]:
    """A user message's images and its mask, in order, each with its `role` (source, reference, mask)."""
    links = sorted(message.inputs.all(), key=lambda link: link.position)
    return [
        {**attachment_payload(link.document), "role": link.role}
        for link in links
        if link.document.project_id == message.project_id
    ]


def media_payload(document: Document, base: str) -> dict[str, Any]:
    """The `media` object of `media_generated` events and `generated_media` lists."""
    urls = media_urls(document, base)
    facts = image_facts(document)
    return {
        **_pick(document_summary(document), "document_id", "file_size_bytes", "filename"),
        "url": urls["url"],
        "thumbnail_url": urls["thumbnail_url"],
        "media_type": "image",
        **_pick(
            facts,
            "mime_type",
            "width",
            "height",
            "thumbnail_width",
            "thumbnail_height",
            "model_provider",
            "model_name",
            "prompt",
            "revised_prompt",
            "seed",
            "operation",
            "input_image_document_id",
            "input_image_document_ids",
            "sha256",
            "edit_area",
            "sizing",
            "review_status",
            "flags",
        ),
        "expires_at": urls["expires_at"],
    }


def message_payload(message: Message, base_url: str) -> dict[str, Any]:
    """A stored message; generated images are re-signed on every read so URLs stay fresh."""
    metadata = dict(message.metadata or {})
    generated = [media_payload(d, base_url) for d in message.documents.all()] if message.role == "assistant" else []
    if generated:
        metadata["generated_media"] = generated
    attachments = input_payloads(message) if message.role == "user" else []
    payload: dict[str, Any] = {
        "message_id": str(message.id),
        "role": message.role,
        "content": message.content,
        "status": message.status,
        "created_at": iso(message.created_at),
        "metadata_": metadata,
        "attachments": attachments,
        "run_id": str(message.run_id) if message.run_id else None,
    }
    if message.role == "assistant":
        payload.update(
            model_provider=message.model_provider,
            model_name=message.model_name,
            input_tokens=message.input_tokens or 0,
            output_tokens=message.output_tokens or 0,
            total_tokens=(message.input_tokens or 0) + (message.output_tokens or 0),
            generated_media=generated,
        )
    return payload


def thread_payload(thread: Thread, *, messages: list[Message] | None, base_url: str) -> dict[str, Any]:
    first_user = next((m for m in messages or [] if m.role == "user"), None)
    payload: dict[str, Any] = {
        "thread_id": str(thread.id),
        "assistant_id": str(thread.assistant_id),
        "created_at": iso(thread.created_at),
        "updated_at": iso(thread.updated_at),
        "title": thread.title,
        "metadata_": thread.metadata,
        "messages": [message_payload(m, base_url) for m in messages] if messages is not None else [],
    }
    if messages is not None:
        payload["message_count"] = len(messages)
        payload["first_user_message"] = first_user.content if first_user else None
    return payload


SOURCES = {Document.Operation.UPLOAD: "upload", Document.Operation.MASK: "mask"}


def document_payload(document: Document, base_url: str) -> dict[str, Any]:
    """A document as the SDK's `Document` model reads it; Easel's facts live in `metadata_`."""
    urls = media_urls(document, base_url)
    facts = image_facts(document)
    stored = document.metadata or {}
    upload = {k: stored[k] for k in ("source_mime_type", "source_sha256", "source_bytes", "sanitized") if k in stored}
    summary = document_summary(document)
    return {
        **_pick(summary, "document_id", "filename", "status"),
        "status_message": None,
        "summary": None,
        "document_type": "image",
        "file_size_bytes": document.file_size_bytes,
        "total_tokens": None,
        "chunk_count": 0,
        "created_at": iso(document.created_at),
        "updated_at": iso(document.updated_at),
        "processing_started_at": None,
        "processing_completed_at": iso(document.created_at),
        "metadata_": {
            "source": SOURCES.get(document.operation, "generate_image"),
            **_pick(facts, "operation", "mime_type", "width", "height", "sha256", "prompt", "revised_prompt"),
            # The SDK's Document names the model `image_model_*`; the media object does not.
            "image_model_provider": facts["model_provider"],
            "image_model_name": facts["model_name"],
            **_pick(facts, "seed", "input_image_document_id", "input_image_document_ids", "thread_id"),
            "assistant_id": _optional_id(document.assistant_id),
            **_pick(facts, "message_id", "run_id"),
            "original_filename": stored.get("original_filename"),
            "upload": upload or None,
            **_pick(facts, "edit_area", "sizing", "review_status", "flags"),
            **({"regions": stored.get("regions") or []} if document.operation == Document.Operation.MASK else {}),
            "url": urls["url"],
            "url_expires_at": urls["expires_at"],
            "thumbnail_url": urls["thumbnail_url"],
            **_pick(facts, "thumbnail_width", "thumbnail_height"),
        },
    }


def lineage_node(document: Document, base_url: str, *, depth: int) -> dict[str, Any]:
    """One document in a lineage: how it was made and where to see it. `depth` is signed:
    negative for ancestors (-1 = a parent), positive for descendants, 0 for the document asked about."""
    urls = media_urls(document, base_url)
    facts = image_facts(document)
    return {
        "document_id": str(document.id),
        "depth": depth,
        **_pick(facts, "operation", "prompt", "revised_prompt", "model_provider", "model_name", "seed"),
        **_pick(facts, "mime_type", "width", "height", "input_image_document_ids", "thread_id", "run_id"),
        "message_id": facts["message_id"],
        "created_at": iso(document.created_at),
        "url": urls["url"],
        "thumbnail_url": urls["thumbnail_url"],
    }


def lineage_payload(lineage: Lineage, base_url: str) -> dict[str, Any]:
    """`GET /documents/{id}/lineage`: the document, its ancestors and descendants (nearest
    first), and every parent→child link between them, so a client can draw the graph."""
    return {
        "document_id": str(lineage.document.id),
        "document": lineage_node(lineage.document, base_url, depth=0),
        "ancestors": [lineage_node(d, base_url, depth=-depth) for d, depth in lineage.ancestors],
        "descendants": [lineage_node(d, base_url, depth=depth) for d, depth in lineage.descendants],
        "links": [
            {"parent_id": str(link.parent_id), "child_id": str(link.child_id), "position": link.position}
            for link in lineage.links
        ],
        "truncated": lineage.truncated,
    }


def context_usage(run: Run, context_limit: int) -> dict[str, Any]:
    used = run.total_tokens
    percent = round(100 * used / context_limit, 2) if context_limit else 0.0
    return {
        "percent": percent,
        "used_tokens": used,
        "context_limit": context_limit,
        "summary_tokens": 0,
        "model": run.llm_model,
    }


# --- review ----------------------------------------------------------------------------------


def review_payload(document: Document, base_url: str, *, approvals: int, approvals_needed: int) -> dict[str, Any]:
    """One image of `GET /reviews`: the document, and where its review stands (`comment_count`
    is the queue's annotation)."""
    return {
        **document_payload(document, base_url),
        "review_status": document.review_status,
        "flags": document.flags or [],
        "comment_count": getattr(document, "comment_count", 0),
        "parent_document_id": _optional_id(document.parent_id),
        "approvals": approvals,
        "approvals_needed": approvals_needed,
    }


def decision_payload(decision: ReviewDecision) -> dict[str, Any]:
    return {
        "decision_id": str(decision.id),
        "decision": decision.decision,
        "reason": decision.reason,
        "reason_code": decision.reason_code,
        "actor": decision.actor,
        "via": decision.via,
        "created_at": iso(decision.created_at),
    }


def comment_payload(comment: Comment) -> dict[str, Any]:
    return {
        "comment_id": str(comment.id),
        "document_id": str(comment.document_id),
        "text": comment.text,
        "regions": comment.regions or [],
        "actor": comment.actor,
        "via": comment.via,
        "created_at": iso(comment.created_at),
        "resolved": comment.resolved_at is not None,
        "resolved_at": iso(comment.resolved_at),
        "resolved_by_document_id": _optional_id(comment.resolved_by_document_id),
        "revise_run_id": _optional_id(comment.revise_run_id),
    }


def policy_payload(policy: ReviewPolicy) -> dict[str, Any]:
    return {
        "required": policy.required,
        "gate_delivery": policy.gate_delivery,
        "approvals_needed": policy.approvals_needed,
        "blocked_terms": policy.blocked_terms or [],
        "updated_at": iso(policy.updated_at),
    }
