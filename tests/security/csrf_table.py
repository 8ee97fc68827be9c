"""Every session-authenticated write: the unsafe methods each route answers (anything but 405,
probed by test_csrf.test_the_write_table_matches_what_the_routes_answer), and a request body.

Each of them, from a signed-in member without the CSRF token, must be refused.
"""

from __future__ import annotations

from tests.security.table import CASES, Case

ALL = ("POST", "PUT", "PATCH", "DELETE")

WRITES: dict[str, tuple[str, ...]] = {
    "api/threads/messages": ("POST",),
    "api/threads/<uuid:thread_id>": ("DELETE",),
    "api/threads/<uuid:thread_id>/messages": ("POST",),
    "api/threads/<uuid:thread_id>/documents": ("POST",),
    "api/threads/<uuid:thread_id>/runs/<uuid:run_id>/cancel": ("POST",),
    "api/threads/<uuid:thread_id>/runs/<uuid:run_id>/submit-tool-outputs": ("POST",),
    "api/threads/tool-outputs": ("POST",),
    "api/assistants": ("POST",),
    "api/assistants/<uuid:assistant_id>": ("PUT", "DELETE"),
    "api/assistants/<uuid:assistant_id>/threads": ("POST",),
    "api/assistants/<uuid:assistant_id>/documents": ("POST",),
    "api/assistants/<uuid:assistant_id>/clone": ("POST",),
    "api/assistants/<str:assistant_id>/memories": ("POST", "DELETE"),
    "api/assistants/<str:assistant_id>/memories/search": ("POST",),
    "api/assistants/<str:assistant_id>/memories/<str:memory_id>": ("PUT", "DELETE"),
    "api/documents/<uuid:document_id>": ("DELETE",),
    "api/providers/<str:provider>/credentials": ("PUT", "DELETE"),
    "api/review/policy": ("PUT",),
    "api/reviews/bulk": ("POST",),
    "api/documents/<uuid:document_id>/review": ("POST",),
    "api/documents/<uuid:document_id>/comments": ("POST",),
    "api/documents/<uuid:document_id>/revise": ("POST",),
    "api/comments/<uuid:comment_id>/resolve": ("POST",),
    "api/templates": ("POST",),
    "api/templates/<uuid:template_id>": ("PUT", "DELETE"),
    "api/customizations": ("POST",),
    "api/customizations/<uuid:customization_id>/refine": ("POST",),
    "api/customizations/<uuid:customization_id>/select": ("POST",),
    "api/webhooks": ("POST",),
    "api/webhooks/<uuid:webhook_id>": ("PATCH", "DELETE"),
    "api/webhooks/<uuid:webhook_id>/rotate-secret": ("POST",),
    "api/webhooks/<uuid:webhook_id>/ping": ("POST",),
    "api/webhooks/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver": ("POST",),
    "api/limits": ("PUT",),
    # Answers every method (a storage write and delete of its own), sessions or not.
    "healthz": ALL,
    # Django's LoginView redirects a signed-in user whatever the method.
    "accounts/login": ALL,
    "accounts/logout": ("POST",),
    "accounts/invitations/<str:token>/join": ("POST",),
    "accounts/invitations/<str:token>/password": ("POST",),
    "projects/switch": ("POST",),
    "projects/<uuid:project_id>/threads/new": ("POST",),
    "projects/<uuid:project_id>/threads/<uuid:thread_id>/messages": ("POST",),
    "projects/<uuid:project_id>/members/invite": ("POST",),
    "projects/<uuid:project_id>/members/<int:membership_id>/role": ("POST",),
    "projects/<uuid:project_id>/members/<int:membership_id>/remove": ("POST",),
    "projects/<uuid:project_id>/invitations/<uuid:invitation_id>/revoke": ("POST",),
    "projects/<uuid:project_id>/invitations/<uuid:invitation_id>/renew": ("POST",),
    "projects/<uuid:project_id>/review/decide": ("POST",),
    "projects/<uuid:project_id>/review/<uuid:document_id>/decide": ("POST",),
    "projects/<uuid:project_id>/review/<uuid:document_id>/comments": ("POST",),
    "projects/<uuid:project_id>/review/<uuid:document_id>/revise": ("POST",),
    "projects/<uuid:project_id>/settings": ("POST",),
    "projects/<uuid:project_id>/settings/providers/<str:provider>": ("POST",),
    "projects/<uuid:project_id>/settings/providers/<str:provider>/remove": ("POST",),
    "projects/<uuid:project_id>/settings/review": ("POST",),
    "projects/<uuid:project_id>/keys/new": ("POST",),
    "projects/<uuid:project_id>/keys/<uuid:key_id>/revoke": ("POST",),
    "projects/<uuid:project_id>/templates/new": ("POST",),
    "projects/<uuid:project_id>/templates/photo": ("POST",),
    "projects/<uuid:project_id>/templates/<uuid:template_id>/edit": ("POST",),
    "projects/<uuid:project_id>/templates/<uuid:template_id>/archive": ("POST",),
    "projects/<uuid:project_id>/templates/<uuid:template_id>/customize": ("POST",),
    "projects/<uuid:project_id>/customizations/<uuid:customization_id>/select": ("POST",),
    "projects/<uuid:project_id>/customizations/<uuid:customization_id>/refine": ("POST",),
    "projects/<uuid:project_id>/settings/limits": ("POST",),
    "projects/<uuid:project_id>/webhooks/new": ("POST",),
    "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/ping": ("POST",),
    "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/rotate": ("POST",),
    "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/enabled": ("POST",),
    "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/delete": ("POST",),
    "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver": ("POST",),
}

# Routes Django's CSRF middleware skips (their views are csrf_exempt), and why that is safe.
_KEY_OR_CHECKED = (
    "the API: an X-API-Key caller has no ambient credential a page could ride, and a session "
    "caller's unsafe request is checked in designs/auth.py enforce_csrf (test_csrf proves both)"
)
MIDDLEWARE_EXEMPT: dict[str, str] = {
    route: _KEY_OR_CHECKED
    for route in (
        "api/threads/messages",
        "api/threads",
        "api/threads/<uuid:thread_id>",
        "api/threads/<uuid:thread_id>/messages",
        "api/threads/<uuid:thread_id>/documents",
        "api/threads/<uuid:thread_id>/runs/<uuid:run_id>/cancel",
        "api/threads/<uuid:thread_id>/runs/<uuid:run_id>/submit-tool-outputs",
        "api/threads/tool-outputs",
        "api/assistants",
        "api/assistants/<uuid:assistant_id>",
        "api/assistants/<uuid:assistant_id>/threads",
        "api/assistants/<uuid:assistant_id>/documents",
        "api/documents",
        "api/documents/<uuid:document_id>",
        "api/documents/<uuid:document_id>/status",
        "api/documents/<uuid:document_id>/lineage",
        "api/documents/<uuid:document_id>/content",
        "api/models/image/all",
        "api/models/image/providers",
        "api/models/image/(?P<model_name>.+)",
        "api/models/llm",
        "api/models",
        "api/models/providers",
        "api/models/provider/<str:provider>",
        "api/models/(?P<model_name>.+)",
        "api/models/embedding/all",
        "api/models/embedding/providers",
        "api/models/embedding/(?P<model_name>.+)",
        "api/models/video/all",
        "api/models/video/(?P<model_name>.+)",
        "api/assistants/<uuid:assistant_id>/clone",
        "api/assistants/memories/operations/<str:operation_id>",
        "api/assistants/<str:assistant_id>/memories",
        "api/assistants/<str:assistant_id>/memories/stats",
        "api/assistants/<str:assistant_id>/memories/insights",
        "api/assistants/<str:assistant_id>/memories/search",
        "api/assistants/<str:assistant_id>/memories/<str:memory_id>",
        "api/providers",
        "api/providers/<str:provider>/credentials",
        "api/usage",
        "api/audit",
        "api/review/policy",
        "api/reviews",
        "api/reviews/bulk",
        "api/documents/<uuid:document_id>/review",
        "api/documents/<uuid:document_id>/comments",
        "api/documents/<uuid:document_id>/revise",
        "api/comments/<uuid:comment_id>/resolve",
        "api/templates",
        "api/templates/<uuid:template_id>",
        "api/templates/<uuid:template_id>/versions",
        "api/customizations",
        "api/customizations/<uuid:customization_id>",
        "api/customizations/<uuid:customization_id>/events",
        "api/customizations/<uuid:customization_id>/refine",
        "api/customizations/<uuid:customization_id>/select",
        "api/customizations/<uuid:customization_id>/export",
        "api/webhooks",
        "api/webhooks/<uuid:webhook_id>",
        "api/webhooks/<uuid:webhook_id>/rotate-secret",
        "api/webhooks/<uuid:webhook_id>/ping",
        "api/webhooks/<uuid:webhook_id>/deliveries",
        "api/webhooks/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver",
        "api/limits",
    )
}
# The API reference (designs/api/schema_views.py): DRF views, so exempt; they answer GET alone.
MIDDLEWARE_EXEMPT.update(
    {
        route: "the public API reference: GET only, no key, nothing to write"
        for route in ("api/schema", "api/docs", "api/redoc")
    }
)

# Requests for routes the isolation table has no case for (it has none without ids).
EXTRA: dict[tuple[str, str], Case] = {
    ("api/assistants", "POST"): Case("POST", "/api/assistants", "makes an assistant", body={"name": "new"}),
    ("api/providers/<str:provider>/credentials", "PUT"): Case(
        "PUT", "/api/providers/{own.provider}/credentials", "stores a key", body={"api_key": "sk-ours-new-key-1234"}
    ),
    ("api/review/policy", "PUT"): Case(
        "PUT", "/api/review/policy", "requires review", body={"required": True, "approvals_needed": 2}
    ),
    # An address literal that is public: adding the webhook asks no DNS.
    ("api/webhooks", "POST"): Case(
        "POST", "/api/webhooks", "adds a webhook", body={"url": "https://93.184.215.14/hooks", "events": ["run.failed"]}
    ),
    ("accounts/logout", "POST"): Case("POST", "/accounts/logout", "signs out"),
    ("projects/switch", "POST"): Case(
        "POST", "/projects/switch", "switches project", body={"project": "{own.project}", "section": "keys"}
    ),
}

# Writes a key caller's own-object request is refused on purpose, with (status, words): features
# Easel does not have (400), and tool outputs for the table's run, which is not waiting (409).
REFUSED_WRITES: dict[str, tuple[int, str]] = {
    **{
        route: (400, "Memory is not supported by Easel")
        for route in (
            "api/assistants/<str:assistant_id>/memories",
            "api/assistants/<str:assistant_id>/memories/search",
            "api/assistants/<str:assistant_id>/memories/<str:memory_id>",
        )
    },
    "api/threads/<uuid:thread_id>/runs/<uuid:run_id>/submit-tool-outputs": (409, "is not waiting for tool outputs"),
    "api/threads/tool-outputs": (409, "waiting"),
}

# Routes the probe reaches through a URL the tables do not give.
EXAMPLE_URLS: dict[str, str] = {"api/models/image/(?P<model_name>.+)": "/api/models/image/local/easel-local-painter"}


def write_case(route: str, method: str) -> Case:
    """The request a write test sends: the route's own isolation case for that method (sent
    about our own objects), a request given above, or the bare route."""
    if (route, method) in EXTRA:
        return EXTRA[route, method]
    for case in CASES.get(route, []):
        if case.method == method:
            return case
    for case in CASES.get(route, []):
        return Case(method, case.url.split("?")[0], f"{method} {route}", body=dict(case.body))
    return Case(method, EXAMPLE_URLS.get(route, "/" + route), f"{method} {route}")
