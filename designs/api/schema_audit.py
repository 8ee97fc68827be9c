"""The audit trail's JSON shapes (`GET /api/audit`: designs/services/audit.py `entry_row`) as
OpenAPI components, as in `schema_components`; `schema_audit_drf` describes the routes."""

from __future__ import annotations

from designs.api.schema_components import EXAMPLE_UUID, STRING, UUID, WHEN, Schema, listing, nullable, obj, ref

AUDIT_ENTRY = obj(
    {
        "at": WHEN,
        "actor": {**STRING, "description": "A user's email, an API key by its prefix (`key esk_…`), or `Easel`."},
        "via": {"type": "string", "enum": ["ui", "api", "admin", "system"]},
        "action": {**STRING, "description": "decided, flagged, refused, commented, resolved, revised, policy_updated…"},
        "document_id": nullable(UUID),
        "from_status": STRING,
        "to_status": STRING,
        "reason": STRING,
        "reason_code": STRING,
        "prompt": STRING,
        "model": STRING,
    },
    description="One thing that happened to the project's images; entries never change.",
    examples=[
        {
            "at": "2026-06-01T12:00:03.512000Z",
            "actor": "rita@example.com",
            "via": "api",
            "action": "decided",
            "document_id": EXAMPLE_UUID,
            "from_status": "pending",
            "to_status": "approved",
            "reason": "On brief",
            "reason_code": "approved",
            "prompt": "a tiny red robot watering a sunflower",
            "model": "openai/gpt-image-1",
        }
    ],
)

AUDIT_COMPONENTS: dict[str, Schema] = {
    "AuditEntry": AUDIT_ENTRY,
    "AuditList": listing("entries", ref("AuditEntry")),
}
