"""JSON shapes the API returns, field for field as the Backboard SDK's models expect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from designs.media import media_payload, media_urls, parent_ids
from designs.models import Assistant, Document, Message, Run, Thread
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


def attachment_payload(document: Document) -> dict[str, Any]:
    return {
        "document_id": str(document.id),
        "filename": document.filename,
        "status": document.status,
        "file_size_bytes": document.file_size_bytes,
        "summary": None,
    }


def message_payload(message: Message, base_url: str) -> dict[str, Any]:
    """A stored message; generated images are re-signed on every read so URLs stay fresh."""
    metadata = dict(message.metadata or {})
    generated = [media_payload(d, base_url) for d in message.documents.all()] if message.role == "assistant" else []
    if generated:
        metadata["generated_media"] = generated
    attachments = [attachment_payload(d) for d in _attachments(message)]
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


def _attachments(message: Message) -> list[Document]:
    ids = message.attached_ids()
    if not ids:
        return []
    return list(Document.objects.filter(project_id=message.project_id, id__in=ids))


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


def document_payload(document: Document, base_url: str) -> dict[str, Any]:
    """A document as the SDK's `Document` model reads it; Easel's facts live in `metadata_`."""
    urls = media_urls(document, base_url)
    stored = document.metadata or {}
    upload = {k: stored[k] for k in ("source_mime_type", "source_sha256", "source_bytes", "sanitized") if k in stored}
    return {
        "document_id": str(document.id),
        "filename": document.filename,
        "status": document.status,
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
            "source": "generate_image" if document.operation != Document.Operation.UPLOAD else "upload",
            "operation": document.operation,
            "mime_type": document.mime_type,
            "width": document.width,
            "height": document.height,
            "sha256": document.sha256,
            "prompt": document.prompt,
            "revised_prompt": document.revised_prompt,
            "image_model_provider": document.model_provider,
            "image_model_name": document.model_name,
            "seed": document.seed,
            "input_image_document_id": str(document.parent_id) if document.parent_id else None,
            "input_image_document_ids": parent_ids(document),
            "thread_id": str(document.thread_id) if document.thread_id else None,
            "assistant_id": str(document.assistant_id) if document.assistant_id else None,
            "message_id": str(document.message_id) if document.message_id else None,
            "run_id": str(document.run_id) if document.run_id else None,
            "original_filename": stored.get("original_filename"),
            "upload": upload or None,
            "url": urls["url"],
            "url_expires_at": urls["expires_at"],
            "thumbnail_url": urls["thumbnail_url"],
            "thumbnail_width": document.thumbnail_width,
            "thumbnail_height": document.thumbnail_height,
        },
    }


def lineage_node(document: Document, base_url: str, *, depth: int) -> dict[str, Any]:
    """One document in a lineage: how it was made and where to see it. `depth` is signed:
    negative for ancestors (-1 = a parent), positive for descendants, 0 for the document asked about."""
    urls = media_urls(document, base_url)
    return {
        "document_id": str(document.id),
        "depth": depth,
        "operation": document.operation,
        "prompt": document.prompt,
        "revised_prompt": document.revised_prompt,
        "model_provider": document.model_provider,
        "model_name": document.model_name,
        "seed": document.seed,
        "mime_type": document.mime_type,
        "width": document.width,
        "height": document.height,
        "input_image_document_ids": parent_ids(document),
        "thread_id": str(document.thread_id) if document.thread_id else None,
        "run_id": str(document.run_id) if document.run_id else None,
        "message_id": str(document.message_id) if document.message_id else None,
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
