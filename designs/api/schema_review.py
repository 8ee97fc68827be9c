"""The review API's JSON shapes as OpenAPI components (designs.payloads' review builders and
designs/api/review.py, revise.py), and the bodies its routes read, as in `schema_components`."""

from __future__ import annotations

from designs.api.schema_components import (
    BOOL,
    COUNT,
    DOCUMENT,
    EXAMPLE_UUID,
    NUMBER,
    OBJECT,
    REVIEW_STATUS,
    STRING,
    UUID,
    WHEN,
    Schema,
    array,
    nullable,
    obj,
    ref,
)

DECISION = {"type": "string", "enum": ["approved", "changes_requested", "rejected"]}
VIA = {"type": "string", "enum": ["ui", "api", "admin", "system"], "description": "dashboard, API, Django admin, Easel"}
APPROVALS_NEEDED = {"type": "integer", "minimum": 1, "maximum": 10}
REASON = {"type": ["string", "null"], "maxLength": 2000}

# --- answers ------------------------------------------------------------------------------------

POLICY = obj(
    {
        "required": {**BOOL, "description": "Every generated image starts pending."},
        "gate_delivery": {**BOOL, "description": "Media URLs of an image that is not approved answer 403."},
        "approvals_needed": {**APPROVALS_NEEDED, "description": "Distinct reviewers who must approve."},
        "blocked_terms": {**array(STRING), "description": "Words or phrases that flag an image's prompt."},
        "updated_at": nullable(WHEN),
    },
    examples=[
        {"required": True, "gate_delivery": True, "approvals_needed": 2, "blocked_terms": [], "updated_at": None}
    ],
)

_REVIEW_FIELDS: dict[str, Schema] = {
    "review_status": REVIEW_STATUS,
    "flags": array(ref("Flag")),
    "comment_count": COUNT,
    "parent_document_id": nullable(UUID),
    "approvals": {**COUNT, "description": "Distinct reviewers who approved it so far."},
    "approvals_needed": APPROVALS_NEEDED,
}
REVIEW = obj(
    {**DOCUMENT["properties"], **_REVIEW_FIELDS},
    " ".join([*DOCUMENT["required"], *_REVIEW_FIELDS]),
    description="An image in review: the document, and where its review stands.",
)

DECISION_RECORD = obj(
    {
        "decision_id": UUID,
        "decision": DECISION,
        "reason": STRING,
        "reason_code": STRING,
        "actor": {**STRING, "description": "A user's email, or an API key by its prefix (`key esk_…`)."},
        "via": VIA,
        "created_at": WHEN,
    }
)

DECIDED = obj(
    {
        "document_id": UUID,
        "review_status": REVIEW_STATUS,
        "decision": nullable(ref("Decision")),
        "approvals": COUNT,
        "approvals_needed": APPROVALS_NEEDED,
    },
    description="The image's status after the decision (pending while it waits for more approvals).",
    examples=[
        {
            "document_id": EXAMPLE_UUID,
            "review_status": "pending",
            "decision": None,
            "approvals": 1,
            "approvals_needed": 2,
        }
    ],
)

BULK = obj(
    {
        "results": array(
            obj(
                {"document_id": STRING, "ok": BOOL, "review_status": REVIEW_STATUS, "detail": STRING},
                "document_id ok",
                description="ok: its new review_status; otherwise why not (`detail`, as its own 404 or 409 would).",
            )
        )
    },
    examples=[
        {
            "results": [
                {"document_id": EXAMPLE_UUID, "ok": True, "review_status": "approved"},
                {"document_id": "22222222-2222-4222-8222-222222222222", "ok": False, "detail": "Document not found"},
            ]
        }
    ],
)

COMMENT = obj(
    {
        "comment_id": UUID,
        "document_id": UUID,
        "text": STRING,
        "regions": {
            **array(OBJECT),
            "description": "Normalised: {type: rect, x, y, width, height} or {type: polygon, points}.",
        },
        "actor": STRING,
        "via": VIA,
        "created_at": WHEN,
        "resolved": BOOL,
        "resolved_at": nullable(WHEN),
        "resolved_by_document_id": {**nullable(UUID), "description": "The revised image that applied it."},
        "revise_run_id": nullable(UUID),
    }
)

REVISION = obj(
    {
        "run_id": UUID,
        "thread_id": UUID,
        "status": {"type": "string", "enum": ["queued", "running", "completed", "failed", "cancelled"]},
    },
    description="The revise run, started: follow it at /api/threads/{thread_id}/runs/{run_id}/events.",
)

REVIEW_COMPONENTS: dict[str, Schema] = {
    "ReviewPolicy": POLICY,
    "Review": REVIEW,
    "ReviewList": obj({"reviews": array(ref("Review")), "total": COUNT}),
    "Decision": DECISION_RECORD,
    "ReviewDecided": DECIDED,
    "BulkReview": BULK,
    "Comment": COMMENT,
    "CommentList": obj({"comments": array(ref("Comment")), "total": COUNT}),
    "Revision": REVISION,
}

# --- bodies -------------------------------------------------------------------------------------

POLICY_BODY = {
    "type": "object",
    "properties": {
        "required": BOOL,
        "gate_delivery": BOOL,
        "approvals_needed": APPROVALS_NEEDED,
        "blocked_terms": {"type": "array", "items": {"type": "string", "maxLength": 100}, "maxItems": 200},
    },
    "minProperties": 1,
    "additionalProperties": False,
    "description": "The fields to change; the others stay as they are.",
}
DECISION_BODY = {
    "type": "object",
    "properties": {
        "decision": DECISION,
        "reason": REASON,
        "reason_code": {"type": ["string", "null"], "maxLength": 64},
    },
    "required": ["decision"],
}
BULK_BODY = {
    "type": "object",
    "properties": {
        "document_ids": {"type": "array", "items": UUID, "minItems": 1, "maxItems": 500},
        "decision": DECISION,
        "reason": REASON,
    },
    "required": ["document_ids", "decision"],
}
POINT = {"type": "array", "items": NUMBER, "minItems": 2, "maxItems": 2}
REGION = {
    "oneOf": [
        obj({"x": NUMBER, "y": NUMBER, "width": NUMBER, "height": NUMBER}, title="A rectangle"),
        obj({"polygon": {"type": "array", "items": POINT, "minItems": 3}}, title="A polygon"),
    ],
    "description": "In the image's pixels: inside it, with an area.",
}
COMMENT_BODY = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 2000},
        "regions": {"type": ["array", "null"], "items": REGION, "maxItems": 32},
    },
    "required": ["text"],
}
REVISE_BODY = {
    "type": "object",
    "properties": {
        "comment_ids": {"type": "array", "items": UUID, "minItems": 1, "maxItems": 32},
        "prompt": {**REASON, "description": "Words added to the prompt built from the comments."},
        "stream": {"type": "boolean", "default": False},
    },
    "required": ["comment_ids"],
}
