"""The SSE event catalogue as OpenAPI components: one schema per `designs.events.EventType`,
with the fields its producers send (workers/run_context.py, image_tool.py, tool_pause.py,
pipeline.py, customize.py, services/turns.py, services/runs.py, services/customizations.py,
designs/streaming.py).

Every frame is `id: <event_id>` then `data: <one line of compact JSON>`; the JSON repeats the
id as `event_id` (the SDK drops `id:` lines), which a client sends back as `Last-Event-ID`
(or `?after=`) to resume. `tests/openapi` checks that every EventType has its schema here.
"""

from __future__ import annotations

from designs.api.schema_components import (
    BOOL,
    COUNT,
    EXAMPLE_UUID,
    INT,
    NUMBER,
    OBJECT,
    REVIEW_STATUS,
    STRING,
    TEXT,
    UUID,
    Schema,
    array,
    nullable,
    ref,
)
from designs.events import EventType

EVENT_ID = {
    "type": "string",
    "pattern": r"^\d{1,20}-\d{1,20}$",
    "description": "The event's position in the run's log; send it as Last-Event-ID to resume after it.",
    "examples": ["1767225600000-0"],
}
# What every run event carries, besides its own fields (designs.events.publish).
ENVELOPE: dict[str, Schema] = {
    "thread_id": UUID,
    "assistant_id": UUID,
    "run_id": UUID,
    "event_id": EVENT_ID,
}
USAGE_FIELDS: dict[str, Schema] = {
    "input_tokens": COUNT,
    "output_tokens": COUNT,
    "total_tokens": COUNT,
    "cached_input_tokens": COUNT,
    "cache_write_input_tokens": COUNT,
    "cost_usd": NUMBER,
}

MEDIA_EXAMPLE = {
    "document_id": "33333333-3333-4333-8333-333333333333",
    "url": "http://127.0.0.1:8000/api/media/33333333-3333-4333-8333-333333333333.png?expires=1767225600&sig=3b1f",
    "thumbnail_url": None,
    "mime_type": "image/png",
    "file_size_bytes": 183422,
    "media_type": "image",
    "filename": "33333333-3333-4333-8333-333333333333.png",
    "operation": "generate",
    "prompt": "A tiny red robot watering a sunflower",
    "review_status": "unreviewed",
    "flags": [],
    "expires_at": "2026-01-01T00:00:00Z",
}

CUSTOMIZATION_EXAMPLE = "99999999-9999-4999-8999-999999999999"
VARIANT_EXAMPLE = "77777777-7777-4777-8777-777777777777"
VARIANT_SUMMARY_EXAMPLE = {
    "variant_id": VARIANT_EXAMPLE,
    "index": 0,
    "status": "completed",
    "document_id": "33333333-3333-4333-8333-333333333333",
    "seed": 1234,
    "failure_reason": None,
}
# The fields of both terminal customization events (services.customizations.customization_run_ended).
CUSTOMIZATION_ENDED: dict[str, Schema] = {
    "customization_id": UUID,
    "status": {"type": "string", "enum": ["running", "completed", "partial", "failed"]},
    "run_status": {"type": "string", "enum": ["completed", "partial", "failed"]},
    "variants": array(ref("VariantSummary")),
    "images_generated": COUNT,
}

# type -> (what it means, its own fields, which of them every such event carries, an example)
CATALOGUE: dict[EventType, tuple[str, dict[str, Schema], tuple[str, ...], dict]] = {
    EventType.USER_MESSAGE: (
        "First: the user's message is stored (it names the new thread).",
        {"message_id": UUID, "content": TEXT},
        ("message_id",),
        {"message_id": "66666666-6666-4666-8666-666666666666", "content": "Draw a tiny red robot"},
    ),
    EventType.CONTENT_STREAMING: (
        "A chunk of the answer: `content` is the new text, `accumulated_content` the answer so far.",
        {"content": STRING, "accumulated_content": STRING},
        ("content", "accumulated_content"),
        {"content": "tiny red robot!", "accumulated_content": "Here is your tiny red robot!"},
    ),
    EventType.TOOL_CALL_START: (
        "The LLM began a tool call (advisory). `hosted` is true for Easel's own generate_image.",
        {"tool_call_id": STRING, "name": STRING, "hosted": BOOL},
        ("tool_call_id", "name"),
        {"tool_call_id": "call_9x", "name": "generate_image", "hosted": True},
    ),
    EventType.TOOL_CALL_READY: (
        "The LLM finished writing a tool call, arguments and all (advisory).",
        {"tool_call": ref("ToolCall"), "hosted": BOOL},
        ("tool_call",),
        {
            "hosted": True,
            "tool_call": {
                "id": "call_9x",
                "type": "function",
                "function": {"name": "generate_image", "arguments": '{"prompt":"A tiny red robot"}'},
            },
        },
    ),
    EventType.MEDIA_PREVIEW: (
        "Easel's: a partial image while the image model works; never stored.",
        {
            "tool_call_id": STRING,
            "index": COUNT,
            "preview": {
                "type": "object",
                "properties": {"data_url": TEXT, "mime_type": STRING},
                "required": ["data_url", "mime_type"],
            },
        },
        ("preview",),
        {
            "tool_call_id": "call_9x",
            "index": 0,
            "preview": {"data_url": "data:image/jpeg;base64,...", "mime_type": "image/jpeg"},
        },
    ),
    EventType.MEDIA_GENERATED: (
        "One per stored image: its document and signed URL.",
        {"tool_call_id": nullable(STRING), "media": ref("Media")},
        ("media",),
        {"tool_call_id": "call_9x", "media": MEDIA_EXAMPLE},
    ),
    EventType.MEDIA_FAILED: (
        "Easel's: the image tool failed; the LLM hears why and the run goes on. `reason_code` is stable "
        "(`content_policy`, `safety`, ... for a provider's refusal, which is kept in the audit trail).",
        {"tool_call_id": STRING, "error": STRING, "reason_code": STRING},
        ("error",),
        {"tool_call_id": "call_9x", "error": "The image model refused the prompt", "reason_code": "content_policy"},
    ),
    EventType.TOOL_SUBMIT_REQUIRED: (
        "The run pauses for the outputs of the caller's own tools (never generate_image); the stream "
        "ends. Answer with POST /api/threads/{thread_id}/runs/{run_id}/submit-tool-outputs.",
        {
            "status": {"type": "string", "const": "REQUIRES_ACTION"},
            "message_id": UUID,
            "tool_calls": array(ref("ToolCall")),
            **USAGE_FIELDS,
        },
        ("status", "tool_calls"),
        {
            "status": "REQUIRES_ACTION",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                }
            ],
            "input_tokens": 120,
            "output_tokens": 18,
            "total_tokens": 138,
        },
    ),
    EventType.RUN_RESTARTED: (
        "Easel's: a lost worker's run starts over (it had shown nothing yet).",
        {"attempt": COUNT, "reason": STRING},
        (),
        {"attempt": 2, "reason": "worker_lost"},
    ),
    EventType.RUN_ENDED: (
        'Terminal: the run completed. `status` is always "completed"; `billing`: its images against the budget.',
        {
            "status": {"type": "string", "const": "completed"},
            "message_id": UUID,
            "content": TEXT,
            "final_content": TEXT,
            "model_provider": TEXT,
            "model_name": TEXT,
            **USAGE_FIELDS,
            "images_generated": COUNT,
            "memory_operation_id": {"type": "null"},
            "generated_media": array(ref("Media")),
            "context_usage": ref("ContextUsage"),
            "billing": ref("Billing"),
        },
        ("status",),
        {
            "status": "completed",
            "message_id": "44444444-4444-4444-8444-444444444444",
            "content": "Here is your tiny red robot!",
            "final_content": "Here is your tiny red robot!",
            "model_provider": "openai",
            "model_name": "gpt-4.1",
            "total_tokens": 560,
            "billing": {"estimated_usd": 0.0, "charged_usd": 0.0, "reconciliation_required": False},
        },
    ),
    EventType.RUN_FAILED: (
        "Terminal: the run failed; `error` says why (the SDK raises it).",
        {"error": STRING, "error_kind": STRING, "message_id": UUID},
        ("error",),
        {"error": "openai answered 401: invalid key", "error_kind": "provider"},
    ),
    EventType.RUN_CANCELLED: (
        "Terminal: the run was cancelled (POST .../cancel); `content` is what it had written.",
        {"message_id": UUID, "content": TEXT},
        (),
        {"message_id": "44444444-4444-4444-8444-444444444444", "content": "Here is"},
    ),
    EventType.REVIEW_UPDATED: (
        "Easel's, on the thread and project feeds only: an image's review status or flags changed (a "
        "decision, a flag, a new version waiting for review). `decision` is the one just made, if any.",
        {
            "document_id": UUID,
            "review_status": REVIEW_STATUS,
            "flags": array(ref("Flag")),
            "approvals": COUNT,
            "decision": nullable({"type": "string", "enum": ["approved", "changes_requested", "rejected"]}),
        },
        ("document_id", "review_status", "flags", "approvals"),
        {"document_id": EXAMPLE_UUID, "review_status": "approved", "flags": [], "approvals": 1, "decision": "approved"},
    ),
    EventType.COMMENT_ADDED: (
        "Easel's, on the thread and project feeds only: a review comment on an image.",
        {"document_id": UUID, "comment_id": UUID, "text": STRING, "regions": array(OBJECT), "actor": STRING},
        ("document_id", "comment_id", "text", "regions", "actor"),
        {
            "document_id": EXAMPLE_UUID,
            "comment_id": "77777777-7777-4777-8777-777777777777",
            "text": "Make the sky bluer here",
            "regions": [{"type": "rect", "x": 0, "y": 0, "width": 256, "height": 128}],
            "actor": "rita@example.com",
        },
    ),
    EventType.VARIANT_GENERATED: (
        "Easel's, in a customization's run: one variant was made and stored, as it arrived (its image, with "
        "every pixel outside the print area the template's). `parent_document_id` is what it edits.",
        {
            "customization_id": UUID,
            "variant_id": UUID,
            "index": COUNT,
            "seed": nullable(INT),
            "parent_document_id": UUID,
            "revised_prompt": TEXT,
            "review_status": REVIEW_STATUS,
            "media": ref("Media"),
        },
        (
            "customization_id",
            "variant_id",
            "index",
            "seed",
            "parent_document_id",
            "revised_prompt",
            "review_status",
            "media",
        ),
        {
            "customization_id": CUSTOMIZATION_EXAMPLE,
            "variant_id": VARIANT_EXAMPLE,
            "index": 0,
            "seed": 1234,
            "parent_document_id": "66666666-6666-4666-8666-666666666666",
            "revised_prompt": None,
            "review_status": "unreviewed",
            "media": {**MEDIA_EXAMPLE, "operation": "edit"},
        },
    ),
    EventType.VARIANT_FAILED: (
        "Easel's, in a customization's run: one variant failed alone; the others go on. `reason_code` is "
        "content_policy, timeout, low_resolution, cancelled or provider_error; `provider_error_kind` the "
        "provider's own kind of error.",
        {
            "customization_id": UUID,
            "variant_id": UUID,
            "index": COUNT,
            "reason_code": STRING,
            "provider_error_kind": STRING,
            "error": STRING,
        },
        ("customization_id", "variant_id", "index", "reason_code", "provider_error_kind", "error"),
        {
            "customization_id": CUSTOMIZATION_EXAMPLE,
            "variant_id": VARIANT_EXAMPLE,
            "index": 1,
            "reason_code": "content_policy",
            "provider_error_kind": "content_policy",
            "error": "The image model refused the prompt",
        },
    ),
    EventType.CUSTOMIZATION_COMPLETED: (
        "Terminal for a customization's stream: its run made some or all variants (`run_status` completed or "
        "partial). `status` is the customization's; run_ended follows on the feeds.",
        CUSTOMIZATION_ENDED,
        tuple(CUSTOMIZATION_ENDED),
        {
            "customization_id": CUSTOMIZATION_EXAMPLE,
            "status": "completed",
            "run_status": "completed",
            "variants": [VARIANT_SUMMARY_EXAMPLE],
            "images_generated": 1,
        },
    ),
    EventType.CUSTOMIZATION_FAILED: (
        "Terminal for a customization's stream: its run made no variant (`run_status` failed); each "
        "variant's failure_reason says why. run_failed (or run_ended) follows on the feeds.",
        CUSTOMIZATION_ENDED,
        tuple(CUSTOMIZATION_ENDED),
        {
            "customization_id": CUSTOMIZATION_EXAMPLE,
            "status": "failed",
            "run_status": "failed",
            "variants": [
                {**VARIANT_SUMMARY_EXAMPLE, "status": "failed", "document_id": None, "failure_reason": "timeout"}
            ],
            "images_generated": 0,
        },
    ),
    EventType.ERROR: (
        "Terminal, never logged: the reader could not follow the run (its log went away, or the wait "
        "timed out). Reconnect with Last-Event-ID.",
        {"error": STRING},
        ("error",),
        {"error": "Event log unavailable: ConnectionError"},
    ),
}

# The events a reader builds itself carry no id and maybe no thread (designs/streaming.py).
_READER_BUILT = {EventType.ERROR}
# Review news belongs to no run: only the feeds carry it, with its image's thread (if it has one).
_FEED_ONLY = {EventType.REVIEW_UPDATED, EventType.COMMENT_ADDED}


def _envelope(kind: EventType) -> tuple[dict[str, Schema], list[str], dict[str, str]]:
    """The fields every event of the kind carries besides its own, those required, and example ids."""
    event_id = {"event_id": "1767225600000-0"}
    if kind in _READER_BUILT:
        return {"run_id": UUID}, ["type", "run_id"], {"run_id": "55555555-5555-4555-8555-555555555555"}
    if kind in _FEED_ONLY:
        return (
            {"thread_id": nullable(UUID), "event_id": EVENT_ID},
            ["type", "thread_id"],
            {"thread_id": EXAMPLE_UUID, **event_id},
        )
    ids = {"thread_id": EXAMPLE_UUID, "assistant_id": "22222222-2222-4222-8222-222222222222"}
    return (
        ENVELOPE,
        ["type", "thread_id", "assistant_id", "run_id"],
        {"run_id": "55555555-5555-4555-8555-555555555555", **ids, **event_id},
    )


def _event_schema(kind: EventType) -> Schema:
    meaning, fields, required, example = CATALOGUE[kind]
    envelope, always, ids = _envelope(kind)
    sample = {"type": kind.value, **ids, **example}
    return {
        "type": "object",
        "title": kind.value,
        "description": meaning,
        "properties": {"type": {"type": "string", "const": kind.value}, **envelope, **fields},
        "required": [*always, *required],
        "examples": [sample],
    }


def event_component_name(kind: EventType) -> str:
    return "Event" + "".join(part.capitalize() for part in kind.value.split("_"))


EVENT_COMPONENTS: dict[str, Schema] = {event_component_name(kind): _event_schema(kind) for kind in CATALOGUE}
EVENT_COMPONENTS["StreamEvent"] = {
    "description": (
        "One SSE frame's `data:` JSON. A stream ends after run_ended, run_failed, run_cancelled, error, "
        "customization_completed, customization_failed, or tool_submit_required (the run waits for tool outputs)."
    ),
    "oneOf": [ref(event_component_name(kind)) for kind in CATALOGUE],
    "discriminator": {
        "propertyName": "type",
        "mapping": {kind.value: f"#/components/schemas/{event_component_name(kind)}" for kind in CATALOGUE},
    },
}

EVENT_COMPONENTS["ServerSentEvent"] = {
    "type": "object",
    "description": (
        "One event of a stream: `id:` (absent on a reader's own `error`), and a `data:` line of compact "
        "JSON. A `: ok` comment comes first and `: keepalive` comments while quiet; the response ends "
        "after the terminal or pause event."
    ),
    "properties": {
        "id": EVENT_ID,
        "event": {"type": "string", "const": "message", "description": "Never sent: the default."},
        "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": ref("StreamEvent")},
    },
    "required": ["data"],
}

SSE_EXAMPLE = (
    ": ok\n\n"
    'id: 1767225600000-0\ndata: {"type":"user_message","thread_id":"1111…","assistant_id":"2222…",'
    '"run_id":"5555…","message_id":"6666…","content":"Draw a robot","event_id":"1767225600000-0"}\n\n'
    'id: 1767225600001-0\ndata: {"type":"content_streaming","content":"Here","accumulated_content":"Here",'
    '"thread_id":"1111…","assistant_id":"2222…","run_id":"5555…","event_id":"1767225600001-0"}\n\n'
    'id: 1767225600002-0\ndata: {"type":"run_ended","status":"completed","content":"Here","thread_id":"1111…",'
    '"assistant_id":"2222…","run_id":"5555…","event_id":"1767225600002-0"}\n\n'
)


def sse_content() -> Schema:
    """The `text/event-stream` body of a streaming answer. Before OpenAPI 3.2 (`itemSchema`) a
    stream's `schema` describes one event, as schemathesis reads it: its `data` is JSON, one of
    the catalogue's events (contentSchema), which schemathesis checks event by event."""
    return {"text/event-stream": {"schema": ref("ServerSentEvent"), "example": SSE_EXAMPLE}}
