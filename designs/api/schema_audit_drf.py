"""The descriptions of the audit trail (`GET /api/audit`) and of an image's bytes for the
project's callers (`GET /api/documents/{id}/content`), as in `schema_drf`."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from designs.api.schema import MEDIA_ANSWERS, PAGE, READ, errors, path_id, query
from designs.api.schema_components import STRING, ref
from designs.api.schema_drf import described

MOMENT = {"type": "string", "examples": ["2026-06-01", "2026-06-01T12:00:00Z"]}
GATED = (
    'Refused: a key of the member role asking for an image the review policy holds back ({"detail", '
    '"review_status", "blockers": ["review: pending", "approvals: 0 of 1", "flag: …"]}), or a caller '
    "that may not read it."
)

EXTENSIONS = [
    described(
        "designs.api.audit.AuditApi",
        "review",
        get={
            "summary": "The project's audit trail, newest first (JSON, or a CSV export)",
            "description": (
                "Every decision, flag, refusal, comment, revise and policy change, as it happened; entries never "
                "change. For owners, admins and reviewers, and keys of the reviewer or admin role. `format=csv` "
                "streams every matching entry (skip and limit are for JSON), a header row first."
            ),
            "parameters": [
                *PAGE,
                query("document_id", {"type": "string", "format": "uuid"}, "One image's entries (kept once deleted)."),
                query("actor", {"type": "string", "maxLength": 200}, "Who: an email, `Easel`, or a key's prefix."),
                query("action", {"type": "string", "pattern": "^[a-z_]{1,32}$"}, "decided, flagged, refused, …"),
                query("from", MOMENT, "From this date or moment (UTC when no offset is given)."),
                query("to", MOMENT, "Up to this moment, or the whole of this date."),
                query("format", {"type": "string", "enum": ["json", "csv"], "default": "json"}, ""),
            ],
            "responses": {
                (200, "application/json"): OpenApiResponse(response=ref("AuditList"), description="A page of entries."),
                (200, "text/csv"): OpenApiResponse(
                    response=STRING, description="format=csv: at, actor, via, action, document_id, …, one per line."
                ),
                **errors(*READ),
            },
        },
    ),
    described(
        "designs.api.documents.DocumentContentApi",
        "documents",
        get={
            "summary": "An image's bytes, for the project's callers",
            "description": (
                "The image itself, with the caller's key or session instead of a signed URL. Keys of the "
                "reviewer or admin role and signed-in members get it whatever its review status."
            ),
            "parameters": [path_id("document_id")],
            "responses": {
                **{status: answer for status, answer in MEDIA_ANSWERS.items() if status != 403},
                **errors(*READ),
                403: OpenApiResponse(response=ref("Error"), description=GATED),
            },
        },
    ),
]
