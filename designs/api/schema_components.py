"""The JSON shapes of the API as OpenAPI 3.1 components: one schema per builder in
`designs.payloads` (and the few views that shape their own answer), field for field.

Read by `designs.api.schema`, which references them from every operation. Objects stay open
(`additionalProperties` is not closed): the SDK ignores extra keys, and Easel adds some.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], required: str = "", **extra: Any) -> Schema:
    """An object with these properties; `required` names (space-separated) the keys every
    answer carries: all of them unless it says otherwise."""
    return {"type": "object", "properties": properties, "required": required.split() or list(properties), **extra}


def nullable(schema: Schema) -> Schema:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema.get("type", "object")
    return {**schema, "type": [*(kind if isinstance(kind, list) else [kind]), "null"]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


STRING = {"type": "string"}
TEXT = nullable(STRING)
INT = {"type": "integer"}
COUNT = {"type": "integer", "minimum": 0}
NUMBER = {"type": "number"}
BOOL = {"type": "boolean"}
UUID = {"type": "string", "format": "uuid"}
WHEN = {"type": "string", "format": "date-time", "examples": ["2026-06-01T12:00:03.512000Z"]}
DAY = {"type": "string", "format": "date", "examples": ["2026-06-01"]}
OBJECT = {"type": "object"}
EXAMPLE_UUID = "11111111-1111-4111-8111-111111111111"

MESSAGE_STATUS = {"type": "string", "enum": ["COMPLETED", "IN_PROGRESS", "FAILED", "CANCELLED", "REQUIRES_ACTION"]}
DOCUMENT_STATUS = {"type": "string", "enum": ["pending", "processing", "indexed", "error"]}
OPERATION = {"type": "string", "enum": ["generate", "edit", "upload", "variation", "mask"]}

ERROR = obj(
    {"detail": {"type": "string", "description": "One readable sentence saying what went wrong."}},
    examples=[{"detail": "Thread not found"}],
)

TOOL_CALL = obj(
    {
        "id": STRING,
        "type": {"type": "string", "const": "function"},
        "function": obj({"name": STRING, "arguments": {"type": "string", "description": "JSON text"}}),
    },
    description="A call of one of the caller's own tools that the run waits for.",
    examples=[
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}
    ],
)

ASSISTANT = obj(
    {
        "assistant_id": UUID,
        "name": STRING,
        "description": TEXT,
        "system_prompt": TEXT,
        "tools": array(OBJECT),
        "tok_k": nullable(INT),
        "embedding_provider": TEXT,
        "embedding_model_name": TEXT,
        "embedding_dims": nullable(INT),
        "custom_fact_extraction_prompt": TEXT,
        "custom_update_memory_prompt": TEXT,
        "created_at": WHEN,
        "updated_at": nullable(WHEN),
    }
)

ATTACHMENT = obj(
    {
        "document_id": UUID,
        "filename": STRING,
        "status": DOCUMENT_STATUS,
        "file_size_bytes": COUNT,
        "summary": {"type": "null"},
        "role": {
            "type": "string",
            "enum": ["source", "reference", "mask"],
            "description": "source: the image a direct edit changes; reference: shown to the model; "
            "mask: where the edit may change it.",
        },
    },
    description="A document a user message attached.",
)

REVIEW_STATUS = {
    "type": "string",
    "enum": ["unreviewed", "pending", "approved", "changes_requested", "rejected"],
    "description": "unreviewed: no review policy applies and nobody decided; pending: waits for reviewers.",
}
FLAG = obj(
    {"code": STRING, "label": STRING, "score": NUMBER},
    description="What a moderation classifier found (code `blocked_term` for the project's blocked terms).",
    examples=[{"code": "blocked_term", "label": "Blocked term: dragon fire", "score": 1.0}],
)

EDIT_AREA = obj(
    {
        "mask_document_id": UUID,
        "method": {"type": "string", "enum": ["native", "composite"]},
        "feather_px": INT,
        "crop": nullable(array(INT)),
        "regions": array(OBJECT),
    },
    "method",
    description="Where the edit was allowed to change its source, and how the model was asked: every pixel "
    "farther than feather_px from the mask is the source's. A customization's variant has no mask_document_id "
    "or feather_px: its area is the template's print area less its protected pixels, with a hard edge.",
)
SIZING = obj(
    {"asked": OBJECT, "delivered": STRING, "resized_from": STRING},
    "asked delivered",
    description="The size or aspect ratio asked for and the size delivered (resized_from: what the model returned).",
)

MEDIA = obj(
    {
        "document_id": UUID,
        "file_size_bytes": COUNT,
        "filename": STRING,
        "url": {"type": "string", "description": "Easel's signed media URL (or the bucket's public URL)."},
        "thumbnail_url": TEXT,
        "media_type": {"type": "string", "const": "image"},
        "mime_type": STRING,
        "width": nullable(INT),
        "height": nullable(INT),
        "thumbnail_width": nullable(INT),
        "thumbnail_height": nullable(INT),
        "model_provider": TEXT,
        "model_name": TEXT,
        "prompt": TEXT,
        "revised_prompt": TEXT,
        "seed": nullable(INT),
        "operation": OPERATION,
        "input_image_document_id": nullable(UUID),
        "input_image_document_ids": array(UUID),
        "sha256": STRING,
        "edit_area": nullable(EDIT_AREA),
        "sizing": nullable(SIZING),
        "review_status": REVIEW_STATUS,
        "flags": array(ref("Flag")),
        "expires_at": nullable(WHEN),
    },
    "document_id file_size_bytes filename url thumbnail_url media_type mime_type operation review_status flags "
    "expires_at",
    description="A generated image: the `media` object of `media_generated` events and `generated_media` lists.",
)

MESSAGE = obj(
    {
        "message_id": UUID,
        "role": {"type": "string", "enum": ["user", "assistant", "system", "tool"]},
        "content": TEXT,
        "status": nullable(MESSAGE_STATUS),
        "created_at": WHEN,
        "metadata_": OBJECT,
        "attachments": array(ref("Attachment")),
        "run_id": nullable(UUID),
        "model_provider": TEXT,
        "model_name": TEXT,
        "input_tokens": COUNT,
        "output_tokens": COUNT,
        "total_tokens": COUNT,
        "generated_media": array(ref("Media")),
    },
    "message_id role content status created_at metadata_ attachments run_id",
    description="A stored message. Assistant messages also carry the model, token counts and generated_media.",
)

THREAD = obj(
    {
        "thread_id": UUID,
        "assistant_id": UUID,
        "created_at": WHEN,
        "updated_at": nullable(WHEN),
        "title": TEXT,
        "metadata_": nullable(OBJECT),
        "messages": array(ref("Message")),
        "message_count": COUNT,
        "first_user_message": TEXT,
    },
    "thread_id assistant_id created_at metadata_ messages",
)

CONTEXT_USAGE = obj(
    {"percent": NUMBER, "used_tokens": COUNT, "context_limit": COUNT, "summary_tokens": COUNT, "model": TEXT},
    examples=[{"percent": 0.4, "used_tokens": 560, "context_limit": 128000, "summary_tokens": 0, "model": "gpt-4.1"}],
)

_TURN_FIELDS = {
    "message": {"type": "string", "examples": ["Message added successfully"]},
    **MESSAGE["properties"],
    "thread_id": UUID,
    "assistant_id": UUID,
    "run_id": nullable(STRING),
    "tool_calls": nullable(array(ref("ToolCall"))),
    "reasoning": TEXT,
    "memory_operation_id": TEXT,
    "retrieved_memories": nullable(array(OBJECT)),
    "retrieved_files": nullable(array(STRING)),
    "timestamp": WHEN,
    "images_generated": COUNT,
    "cost_usd": NUMBER,
}
TURN = obj(
    {
        **_TURN_FIELDS,
        "messages": {
            **array({"type": "object", "description": "The same message fields as at the top level."}),
            "minItems": 1,
        },
        "context_usage": ref("ContextUsage"),
    },
    "message thread_id assistant_id message_id role content status tool_calls timestamp messages",
    description=(
        "The answer of a turn: the final message's fields at the top level and again as `messages[-1]` "
        "(the SDK reads either), with `context_usage` once a run answered. `status` is REQUIRES_ACTION "
        "and `tool_calls` lists the calls when the run waits for the caller's own tools."
    ),
    examples=[
        {
            "message": "Message added successfully",
            "thread_id": EXAMPLE_UUID,
            "assistant_id": "22222222-2222-4222-8222-222222222222",
            "message_id": "44444444-4444-4444-8444-444444444444",
            "role": "assistant",
            "status": "COMPLETED",
            "content": "Here is your tiny red robot!",
            "run_id": "55555555-5555-4555-8555-555555555555",
            "tool_calls": None,
            "generated_media": [],
            "timestamp": "2026-06-01T12:00:03.512000Z",
            "messages": [{"role": "assistant", "content": "Here is your tiny red robot!", "status": "COMPLETED"}],
        }
    ],
)

DOCUMENT = obj(
    {
        "document_id": UUID,
        "filename": STRING,
        "status": DOCUMENT_STATUS,
        "status_message": {"type": "null"},
        "summary": {"type": "null"},
        "document_type": {"type": "string", "const": "image"},
        "file_size_bytes": COUNT,
        "total_tokens": {"type": "null"},
        "chunk_count": COUNT,
        "created_at": WHEN,
        "updated_at": nullable(WHEN),
        "processing_started_at": {"type": "null"},
        "processing_completed_at": nullable(WHEN),
        "metadata_": obj(
            {
                "source": {"type": "string", "enum": ["generate_image", "upload", "mask"]},
                "operation": OPERATION,
                "mime_type": STRING,
                "width": nullable(INT),
                "height": nullable(INT),
                "sha256": STRING,
                "prompt": TEXT,
                "revised_prompt": TEXT,
                "image_model_provider": TEXT,
                "image_model_name": TEXT,
                "seed": nullable(INT),
                "input_image_document_id": nullable(UUID),
                "input_image_document_ids": array(UUID),
                "thread_id": nullable(UUID),
                "assistant_id": nullable(UUID),
                "message_id": nullable(UUID),
                "run_id": nullable(UUID),
                "original_filename": TEXT,
                "upload": nullable(OBJECT),
                "edit_area": nullable(EDIT_AREA),
                "sizing": nullable(SIZING),
                "review_status": REVIEW_STATUS,
                "flags": array(ref("Flag")),
                "regions": array(OBJECT),
                "url": STRING,
                "url_expires_at": nullable(WHEN),
                "thumbnail_url": TEXT,
                "thumbnail_width": nullable(INT),
                "thumbnail_height": nullable(INT),
            },
            "source operation mime_type review_status flags url",
            description="Easel's facts about the image, and its signed URLs.",
        ),
    },
    description="A stored image, as the SDK's Document reads it.",
)

LINEAGE_NODE = obj(
    {
        "document_id": UUID,
        "depth": {"type": "integer", "description": "Negative for ancestors, 0 for the document, positive below."},
        "operation": OPERATION,
        "prompt": TEXT,
        "revised_prompt": TEXT,
        "model_provider": TEXT,
        "model_name": TEXT,
        "seed": nullable(INT),
        "mime_type": STRING,
        "width": nullable(INT),
        "height": nullable(INT),
        "input_image_document_ids": array(UUID),
        "thread_id": nullable(UUID),
        "run_id": nullable(UUID),
        "message_id": nullable(UUID),
        "created_at": WHEN,
        "url": STRING,
        "thumbnail_url": TEXT,
    }
)

LINEAGE = obj(
    {
        "document_id": UUID,
        "document": ref("LineageNode"),
        "ancestors": array(ref("LineageNode")),
        "descendants": array(ref("LineageNode")),
        "links": array(obj({"parent_id": UUID, "child_id": UUID, "position": COUNT})),
        "truncated": BOOL,
    }
)


def listing(key: str, item: Schema) -> Schema:
    return obj({key: array(item), "total": COUNT})


def deleted(id_name: str) -> Schema:
    return obj(
        {"message": STRING, id_name: UUID}, examples=[{"message": "Deleted successfully", id_name: EXAMPLE_UUID}]
    )


COMPONENTS: dict[str, Schema] = {
    "Error": ERROR,
    "Flag": FLAG,
    "ToolCall": TOOL_CALL,
    "Assistant": ASSISTANT,
    "Attachment": ATTACHMENT,
    "Media": MEDIA,
    "Message": MESSAGE,
    "Thread": THREAD,
    "ContextUsage": CONTEXT_USAGE,
    "TurnResponse": TURN,
    "Document": DOCUMENT,
    "DocumentList": listing("documents", ref("Document")),
    "LineageNode": LINEAGE_NODE,
    "Lineage": LINEAGE,
    "AssistantDeleted": deleted("assistant_id"),
    "ThreadDeleted": deleted("thread_id"),
    "DocumentDeleted": deleted("document_id"),
    "RunCancelled": obj({"thread_id": UUID, "run_id": UUID, "cancelled": {"type": "boolean", "const": True}}),
    "AssistantClone": obj(
        {"assistant": ref("Assistant"), "documents_cloned": COUNT, "memories_cloned": COUNT},
        description="The new assistant, and how much of the original came with it.",
    ),
}
