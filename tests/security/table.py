"""The isolation table: for every route that takes an id (in its path, query or body), the
requests that name another project's object, and how each must be refused.

A URL or body is a template: `{own.x}` is always the caller's project (see conftest.World),
`{target.x}` is the other project's in the attack and the caller's own in the control (the
same request about our own object must be answered, so a refusal is about whose id it is, not
a typo in the case). test_route_table.py fails while a route of the URL configuration has no
entry here, in EXEMPT (no id at all) or in NOT_PROJECT_IDS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Refusal:
    status: int | None = 404  # None: a websocket closed before accept
    says: str | None = None  # text the answer must contain
    location: str | None = None  # a redirect's target (a template)


NOT_FOUND = Refusal(404)
BAD_SIGNATURE = Refusal(403)
CLOSED = Refusal(None)
# A feature Easel does not have: the same 400 whoever's id the path names. (Naming their project
# in X-Easel-Project is refused before any route, 404 "Project not found", as for every other.)
REFUSED_ALIKE: dict[str, Any] = {
    "refused": Refusal(400, says="not supported by Easel"),
    "control": False,
    "modes": ("key", "session+header", "session"),
}


@dataclass(frozen=True)
class Case:
    method: str  # GET, POST, PUT, DELETE; WS for a websocket handshake
    url: str
    what: str  # what the request tries, in words (the test id)
    body: dict[str, Any] = field(default_factory=dict)  # JSON for the API, a form for pages
    upload: str | None = None  # a multipart field that carries a PNG
    refused: Refusal = NOT_FOUND
    modes: tuple[str, ...] = ()  # () = every mode of the route's kind (conftest: API_MODES, PAGE_MODES)
    control: bool = True


def get(url: str, what: str, **kw: Any) -> Case:
    return Case("GET", url, what, **kw)


def post(url: str, what: str, **kw: Any) -> Case:
    return Case("POST", url, what, **kw)


def put(url: str, what: str, **kw: Any) -> Case:
    return Case("PUT", url, what, **kw)


def delete(url: str, what: str, **kw: Any) -> Case:
    return Case("DELETE", url, what, **kw)


def patch(url: str, what: str, **kw: Any) -> Case:
    return Case("PATCH", url, what, **kw)


def ws(url: str, what: str, **kw: Any) -> Case:
    return Case("WS", url, what, refused=CLOSED, modes=("key", "session"), **kw)


SAY = {"content": "hello", "send_to_llm": False}
TOOL_OUTPUTS = {"tool_outputs": [{"tool_call_id": "call_1", "output": "sunny"}]}
EDIT = {
    "content": "make it blue",
    "operation": "generate_image",
    "image_model_provider": "local",
    "image_model_name": "easel-local-painter",
    "stream": True,  # the control's run is queued, never awaited
}
TEMPLATE = {
    "name": "tee",
    "print_area": {"x": 2, "y": 2, "width": 8, "height": 8},
    "output": {"width_px": 80, "height_px": 80, "dpi": 72},
}
# The new-template form as a page sends it: the print area as four numbers, on a world's photo.
TEMPLATE_FORM = {
    "name": "tee",
    "area_x": "4",
    "area_y": "4",
    "area_width": "8",
    "area_height": "8",
    "width_px": "80",
    "height_px": "80",
    "dpi": "72",
    "format": "png",
    "max_variants": "4",
}
# The add-a-webhook form; the URL is an address literal, so adding one asks no DNS.
WEBHOOK_FORM = {"url": "https://93.184.215.14/hooks", "events": "run.completed"}
P = "/projects/{own.project}"  # our own project's pages
T = "/projects/{target.project}"  # their project's pages (ours in the control)

CASES: dict[str, list[Case]] = {
    # --- The API ----------------------------------------------------------------------------
    "api/threads/messages": [
        post("/api/threads/messages", "posts into their thread", body={**SAY, "thread_id": "{target.thread}"}),
        post(
            "/api/threads/messages",
            "starts a thread with their assistant",
            body={**SAY, "assistant_id": "{target.assistant}"},
        ),
        post(
            "/api/threads/messages", "edits their image", body={**EDIT, "input_image_document_id": "{target.document}"}
        ),
        post(
            "/api/threads/messages",
            "edits their image in our thread",
            body={**EDIT, "thread_id": "{own.thread}", "input_image_document_id": "{target.document}"},
        ),
        post(
            "/api/threads/messages",
            "takes their image as a reference",
            body={**EDIT, "input_image_document_ids": ["{target.document}"]},
        ),
        post(
            "/api/threads/messages",
            "confines an edit of ours with their image as the mask",
            body={**EDIT, "input_image_document_id": "{own.document}", "mask_document_id": "{target.document}"},
        ),
        post(
            "/api/threads/messages",
            "uploads into their thread",
            body={"content": "look", "send_to_llm": "false", "thread_id": "{target.thread}"},
            upload="files",
        ),
    ],
    "api/threads/<uuid:thread_id>/messages": [
        post("/api/threads/{target.thread}/messages", "posts into their thread", body=SAY),
        post(
            "/api/threads/{target.thread}/messages",
            "uploads into their thread",
            body={"content": "look", "send_to_llm": "false"},
            upload="files",
        ),
    ],
    "api/threads/<uuid:thread_id>": [
        get("/api/threads/{target.thread}", "reads their thread"),
        delete("/api/threads/{target.thread}", "deletes their thread"),
    ],
    "api/threads/<uuid:thread_id>/documents": [
        get("/api/threads/{target.thread}/documents", "lists their thread's images"),
        post("/api/threads/{target.thread}/documents", "uploads into their thread", upload="file"),
    ],
    "api/events": [get("/api/events?thread_id={target.thread}", "follows their thread's feed")],
    "api/threads/<uuid:thread_id>/runs/<uuid:run_id>/events": [
        get("/api/threads/{target.thread}/runs/{target.run}/events", "follows their run"),
        get("/api/threads/{own.thread}/runs/{target.run}/events", "follows their run under our thread"),
        get("/api/threads/{target.thread}/runs/{own.run}/events", "follows our run under their thread"),
    ],
    "api/threads/<uuid:thread_id>/runs/<uuid:run_id>/cancel": [
        post("/api/threads/{target.thread}/runs/{target.run}/cancel", "cancels their run"),
        post("/api/threads/{own.thread}/runs/{target.run}/cancel", "cancels their run under our thread"),
    ],
    # Our own runs are not waiting for tool outputs, so a control would be a 409: the answered
    # case for a waiting run of ours is in tests/api/test_tool_outputs_bad_input.py.
    "api/threads/<uuid:thread_id>/runs/<uuid:run_id>/submit-tool-outputs": [
        post(
            "/api/threads/{target.thread}/runs/{target.run}/submit-tool-outputs",
            "answers their run's tool calls",
            body=TOOL_OUTPUTS,
            control=False,
        ),
        post(
            "/api/threads/{own.thread}/runs/{target.run}/submit-tool-outputs",
            "answers their run's tool calls under our thread",
            body=TOOL_OUTPUTS,
            control=False,
        ),
    ],
    "api/threads/tool-outputs": [
        post(
            "/api/threads/tool-outputs",
            "answers tool calls in their thread",
            body={**TOOL_OUTPUTS, "thread_id": "{target.thread}"},
            control=False,
        ),
    ],
    "api/assistants/<uuid:assistant_id>": [
        get("/api/assistants/{target.assistant}", "reads their assistant"),
        put("/api/assistants/{target.assistant}", "renames their assistant", body={"name": "ours now"}),
        delete("/api/assistants/{target.assistant}", "deletes their assistant"),
    ],
    "api/assistants/<uuid:assistant_id>/threads": [
        get("/api/assistants/{target.assistant}/threads", "lists their assistant's threads"),
        post("/api/assistants/{target.assistant}/threads", "opens a thread on their assistant", body={"metadata": {}}),
    ],
    "api/assistants/<uuid:assistant_id>/documents": [
        get("/api/assistants/{target.assistant}/documents", "lists their assistant's images"),
        post("/api/assistants/{target.assistant}/documents", "uploads to their assistant", upload="file"),
    ],
    "api/assistants/<uuid:assistant_id>/clone": [
        post("/api/assistants/{target.assistant}/clone", "clones their assistant", body={"copy_documents": True}),
    ],
    # Memory is refused alike for anyone's assistant (no control: ours is refused too).
    "api/assistants/<str:assistant_id>/memories": [
        get("/api/assistants/{target.assistant}/memories", "lists their memories", **REFUSED_ALIKE),
        post("/api/assistants/{target.assistant}/memories", "adds a memory", body={"content": "x"}, **REFUSED_ALIKE),
        delete("/api/assistants/{target.assistant}/memories", "resets their memories", **REFUSED_ALIKE),
    ],
    "api/assistants/<str:assistant_id>/memories/stats": [
        get("/api/assistants/{target.assistant}/memories/stats", "reads their memory stats", **REFUSED_ALIKE)
    ],
    "api/assistants/<str:assistant_id>/memories/insights": [
        get("/api/assistants/{target.assistant}/memories/insights", "reads their insights", **REFUSED_ALIKE)
    ],
    "api/assistants/<str:assistant_id>/memories/search": [
        post("/api/assistants/{target.assistant}/memories/search", "searches", body={"query": "x"}, **REFUSED_ALIKE)
    ],
    "api/assistants/<str:assistant_id>/memories/<str:memory_id>": [
        get("/api/assistants/{target.assistant}/memories/m1", "reads a memory", **REFUSED_ALIKE),
        put("/api/assistants/{target.assistant}/memories/m1", "edits a memory", body={"content": "x"}, **REFUSED_ALIKE),
        delete("/api/assistants/{target.assistant}/memories/m1", "deletes a memory", **REFUSED_ALIKE),
    ],
    "api/documents": [get("/api/documents?thread_id={target.thread}", "filters by their thread")],
    "api/documents/<uuid:document_id>": [
        get("/api/documents/{target.document}", "reads their image"),
        delete("/api/documents/{target.document}", "deletes their image"),
    ],
    "api/documents/<uuid:document_id>/status": [get("/api/documents/{target.document}/status", "reads its status")],
    "api/documents/<uuid:document_id>/lineage": [get("/api/documents/{target.document}/lineage", "reads its lineage")],
    "api/documents/<uuid:document_id>/content": [get("/api/documents/{target.document}/content", "fetches its bytes")],
    # A deleted document's id still finds its entries; another project's is not found.
    "api/audit": [get("/api/audit?document_id={target.document}", "reads their image's audit trail")],
    # Review: their image, their comment, in a path, a body or a filter; a bulk decision answers
    # each id on its own, so theirs fails alone, as not found (their header: 404 before any of it).
    "api/reviews": [get("/api/reviews?thread_id={target.thread}", "filters the review queue by their thread")],
    "api/reviews/bulk": [
        post(
            "/api/reviews/bulk",
            "approves their image among ours",
            body={"document_ids": ["{target.document}"], "decision": "approved"},
            refused=Refusal(200, says="Document not found"),
            modes=("key", "session+header", "session"),
        )
    ],
    "api/documents/<uuid:document_id>/review": [
        post("/api/documents/{target.document}/review", "approves their image", body={"decision": "approved"})
    ],
    "api/documents/<uuid:document_id>/comments": [
        get("/api/documents/{target.document}/comments", "reads their image's comments"),
        post(
            "/api/documents/{target.document}/comments",
            "comments on their image",
            body={"text": "bluer", "regions": [{"x": 1, "y": 1, "width": 4, "height": 4}]},
        ),
    ],
    "api/documents/<uuid:document_id>/revise": [
        post(
            "/api/documents/{target.document}/revise",
            "revises their image with their comment",
            body={"comment_ids": ["{target.comment}"], "stream": True},  # the control's run is never awaited
        ),
        post(
            "/api/documents/{own.document}/revise",
            "revises our image with their comment",
            body={"comment_ids": ["{target.comment}"], "stream": True},
        ),
    ],
    "api/comments/<uuid:comment_id>/resolve": [
        post("/api/comments/{target.comment}/resolve", "resolves their comment")
    ],
    # Media URLs need no key: the signature is the permission, so another document's is refused.
    "api/media/<uuid:document_id>.thumb.webp": [
        get(
            "/api/media/{target.document}.thumb.webp?expires={own.expires}&sig={own.thumb_sig}",
            "fetches their thumbnail with our signature",
            refused=BAD_SIGNATURE,
        ),
        get(
            "/api/media/{target.document}.thumb.webp",
            "fetches their thumbnail unsigned",
            refused=BAD_SIGNATURE,
            control=False,
        ),
    ],
    "api/media/<uuid:document_id>.<str:ext>": [
        get(
            "/api/media/{target.document}.png?expires={own.expires}&sig={own.sig}",
            "fetches their image with our signature",
            refused=BAD_SIGNATURE,
        ),
        get("/api/media/{target.document}.png", "fetches their image unsigned", refused=BAD_SIGNATURE, control=False),
    ],
    # Provider keys are named by provider, scoped to the caller: only they stored one for theirs.
    "api/providers/<str:provider>/credentials": [
        get("/api/providers/{target.provider}/credentials", "reads the provider key only they stored"),
        delete("/api/providers/{target.provider}/credentials", "deletes the provider key only they stored"),
    ],
    # --- The dashboard ----------------------------------------------------------------------
    "projects/switch": [
        post(
            "/projects/switch",
            "switches to their project",
            body={"project": "{target.project}", "section": "keys"},
            refused=Refusal(302, location="/"),
        )
    ],
    "projects/<uuid:project_id>/threads": [get(T + "/threads", "lists their threads")],
    "projects/<uuid:project_id>/threads/new": [post(T + "/threads/new", "starts a thread in their project")],
    "projects/<uuid:project_id>/threads/<uuid:thread_id>": [
        get(T + "/threads/{target.thread}", "opens their thread"),
        get(P + "/threads/{target.thread}", "opens their thread under our project"),
    ],
    "projects/<uuid:project_id>/threads/<uuid:thread_id>/messages": [
        post(T + "/threads/{target.thread}/messages", "posts into their thread", body={"content": "hi"}),
        post(
            P + "/threads/{target.thread}/messages", "posts into their thread under our project", body={"content": "hi"}
        ),
        post(
            P + "/threads/{own.thread}/messages",
            "refines their image in our thread",
            body={"content": "bluer", "refine_document_id": "{target.document}"},
            refused=Refusal(200, says="Document not found"),
        ),
        post(
            P + "/threads/{own.thread}/messages",
            "attaches their image to our message",
            body={"content": "look", "input_image_document_ids": "{target.document}"},
            refused=Refusal(200, says="not found (input_image_document_ids)"),
        ),
    ],
    "projects/<uuid:project_id>/gallery": [
        get(T + "/gallery", "opens their gallery"),
        get(
            P + "/gallery?thread={target.thread}",
            "filters our gallery by their thread",
            refused=Refusal(200, says="No such thread in this project."),
        ),
    ],
    "projects/<uuid:project_id>/images/<uuid:document_id>": [
        get(T + "/images/{target.document}", "opens their image"),
        get(P + "/images/{target.document}", "opens their image under our project"),
    ],
    # Review pages: their image in a path, a filter or a form; their comment applied to ours. A
    # page shows a refusal in words (200) where a form names their object, as the gallery does.
    "projects/<uuid:project_id>/review": [
        get(T + "/review", "opens their review queue"),
        get(
            P + "/review?thread={target.thread}",
            "filters our queue by their thread",
            refused=Refusal(200, says="No such thread in this project."),
        ),
    ],
    "projects/<uuid:project_id>/review/decide": [
        post(
            T + "/review/decide",
            "decides in their project",
            body={"decision": "approved", "document_ids": "{own.document}"},
        ),
        post(
            P + "/review/decide",
            "approves their image from our queue",
            body={"decision": "approved", "document_ids": "{target.document}"},
            refused=Refusal(302, location=P + "/review"),  # with "Document not found" for that image
        ),
    ],
    "projects/<uuid:project_id>/review/<uuid:document_id>": [
        get(T + "/review/{target.document}", "reviews their image"),
        get(P + "/review/{target.document}", "reviews their image under our project"),
    ],
    "projects/<uuid:project_id>/review/<uuid:document_id>/card": [
        get(P + "/review/{target.document}/card", "fetches their image's queue card"),
    ],
    "projects/<uuid:project_id>/review/<uuid:document_id>/decide": [
        post(T + "/review/{target.document}/decide", "approves their image", body={"decision": "approved"}),
        post(
            P + "/review/{target.document}/decide",
            "approves their image under our project",
            body={"decision": "approved"},
        ),
    ],
    "projects/<uuid:project_id>/review/<uuid:document_id>/comments": [
        post(P + "/review/{target.document}/comments", "comments on their image", body={"text": "bluer"}),
    ],
    "projects/<uuid:project_id>/review/<uuid:document_id>/revise": [
        post(T + "/review/{target.document}/revise", "revises their image", body={"comment_ids": "{target.comment}"}),
        post(
            P + "/review/{own.document}/revise",
            "applies their comment to our image",
            body={"comment_ids": "{target.comment}"},
            refused=Refusal(200, says="Comment not found"),
        ),
    ],
    "projects/<uuid:project_id>/activity": [
        get(T + "/activity", "reads their activity"),
        get(
            P + "/activity?document_id={target.document}",
            "reads their image's activity in ours",
            refused=Refusal(200, says="Nothing matches these filters"),
        ),
    ],
    # The Settings area: their project in the path; a provider is a name, not an object.
    "projects/<uuid:project_id>/settings": [
        get(T + "/settings", "reads their settings"),
        post(T + "/settings", "renames their project", body={"name": "ours now"}),
    ],
    "projects/<uuid:project_id>/settings/providers": [get(T + "/settings/providers", "reads their provider keys")],
    "projects/<uuid:project_id>/settings/providers/<str:provider>": [
        post(
            T + "/settings/providers/{target.provider}",
            "replaces their provider key",
            body={"api_key": "sk-ours-new-key-1234"},
        ),
    ],
    "projects/<uuid:project_id>/settings/providers/<str:provider>/remove": [
        post(T + "/settings/providers/{target.provider}/remove", "removes their provider key"),
    ],
    "projects/<uuid:project_id>/settings/review": [
        get(T + "/settings/review", "reads their review policy"),
        post(T + "/settings/review", "changes their review policy", body={"required": "on", "approvals_needed": "2"}),
    ],
    "projects/<uuid:project_id>/members": [get(T + "/members", "lists their members")],
    "projects/<uuid:project_id>/members/invite": [
        post(T + "/members/invite", "invites into their project", body={"email": "new@ours.example", "role": "admin"})
    ],
    "projects/<uuid:project_id>/members/<int:membership_id>/role": [
        post(
            T + "/members/{target.membership}/role",
            "promotes their member",
            body={"m{target.membership}-role": "admin"},
        ),
        post(
            P + "/members/{target.membership}/role",
            "promotes their member under our project",
            body={"m{target.membership}-role": "admin"},
        ),
    ],
    "projects/<uuid:project_id>/members/<int:membership_id>/remove": [
        post(T + "/members/{target.membership}/remove", "removes their member"),
        post(P + "/members/{target.membership}/remove", "removes their member under our project"),
    ],
    "projects/<uuid:project_id>/invitations/<uuid:invitation_id>/revoke": [
        post(T + "/invitations/{target.invitation}/revoke", "revokes their invitation"),
        post(P + "/invitations/{target.invitation}/revoke", "revokes their invitation under our project"),
    ],
    "projects/<uuid:project_id>/invitations/<uuid:invitation_id>/renew": [
        post(T + "/invitations/{target.invitation}/renew", "renews their invitation (a new link)"),
        post(P + "/invitations/{target.invitation}/renew", "renews their invitation under our project"),
    ],
    "projects/<uuid:project_id>/keys": [get(T + "/keys", "lists their API keys")],
    "projects/<uuid:project_id>/keys/new": [
        post(T + "/keys/new", "mints a key of their project", body={"name": "mine"})
    ],
    "projects/<uuid:project_id>/keys/<uuid:key_id>/revoke": [
        post(T + "/keys/{target.key}/revoke", "revokes their key"),
        post(P + "/keys/{target.key}/revoke", "revokes their key under our project"),
    ],
    # Product pages: their template, photo, customization or variant in a path or a form.
    "projects/<uuid:project_id>/templates": [get(T + "/templates", "lists their templates")],
    "projects/<uuid:project_id>/templates/new": [
        get(P + "/templates/new?photo={target.document2}", "draws a template on their photo"),
        post(
            P + "/templates/new",
            "makes a template on their photo",
            body={**TEMPLATE_FORM, "base_document_id": "{target.document2}"},
        ),
        post(
            T + "/templates/new",
            "makes a template in their project",
            body={**TEMPLATE_FORM, "base_document_id": "{target.document2}"},
        ),
    ],
    "projects/<uuid:project_id>/templates/photo": [
        post(T + "/templates/photo", "uploads a product photo into their project", upload="photo")
    ],
    "projects/<uuid:project_id>/templates/<uuid:template_id>": [
        get(T + "/templates/{target.template}", "opens their template"),
        get(P + "/templates/{target.template}?version=1", "opens their template under our project"),
    ],
    "projects/<uuid:project_id>/templates/<uuid:template_id>/edit": [
        get(P + "/templates/{target.template}/edit", "opens their template's editor"),
        post(
            P + "/templates/{target.template}/edit",
            "makes a new version of their template",
            body={**TEMPLATE_FORM, "base_document_id": "{target.document2}"},
        ),
        post(
            P + "/templates/{own.template}/edit",
            "moves our template onto their photo",
            body={**TEMPLATE_FORM, "base_document_id": "{target.document2}"},
        ),
    ],
    "projects/<uuid:project_id>/templates/<uuid:template_id>/archive": [
        post(T + "/templates/{target.template}/archive", "archives their template"),
        post(P + "/templates/{target.template}/archive", "archives their template under our project"),
    ],
    "projects/<uuid:project_id>/templates/<uuid:template_id>/customize": [
        post(
            P + "/templates/{target.template}/customize",
            "customizes their template",
            body={"prompt": "a dragon", "n": "1", "tier": "preview"},
        ),
    ],
    "projects/<uuid:project_id>/customizations/<uuid:customization_id>": [
        get(T + "/customizations/{target.customization}", "opens their customization"),
        get(P + "/customizations/{target.customization}", "opens their customization under our project"),
    ],
    "projects/<uuid:project_id>/customizations/<uuid:customization_id>/select": [
        post(
            P + "/customizations/{target.customization}/select",
            "selects in theirs",
            body={"document_id": "{target.variant}"},
        ),
        post(
            P + "/customizations/{own.customization}/select",
            "selects their variant in ours",
            body={"document_id": "{target.variant}"},
            refused=Refusal(302, location=P + "/customizations/{own.customization}"),  # "no made variant …"
        ),
    ],
    "projects/<uuid:project_id>/customizations/<uuid:customization_id>/refine": [
        post(
            P + "/customizations/{target.customization}/refine",
            "refines their customization",
            body={"document_id": "{target.variant}", "prompt": "green", "n": "1"},
        ),
        post(
            P + "/customizations/{own.customization}/refine",
            "refines their variant in ours",
            body={"document_id": "{target.variant}", "prompt": "green", "n": "1"},
            refused=Refusal(200, says="no made variant of this customization"),
        ),
    ],
    # Usage, limits and webhook pages: their project in the path, their key or webhook in a form or path.
    "projects/<uuid:project_id>/usage": [get(T + "/usage?days=90", "reads their usage")],
    "projects/<uuid:project_id>/usage.csv": [get(T + "/usage.csv?days=90", "exports their usage")],
    "projects/<uuid:project_id>/settings/limits": [
        get(T + "/settings/limits", "reads their limits"),
        post(T + "/settings/limits", "changes their limits", body={"images_per_day": "5"}),
        post(
            P + "/settings/limits",
            "limits their key from our form",
            body={"key-{target.key}": "5"},
            refused=Refusal(302, location=P + "/settings/limits"),  # "Nothing changed": no such field of ours
        ),
    ],
    "projects/<uuid:project_id>/webhooks": [get(T + "/webhooks", "lists their webhooks")],
    "projects/<uuid:project_id>/webhooks/new": [
        post(T + "/webhooks/new", "adds a webhook to their project", body=WEBHOOK_FORM),
    ],
    "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>": [
        get(T + "/webhooks/{target.webhook}", "opens their webhook"),
        get(P + "/webhooks/{target.webhook}", "opens their webhook under our project"),
    ],
    "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/ping": [
        post(T + "/webhooks/{target.webhook}/ping", "pings their webhook"),
        post(P + "/webhooks/{target.webhook}/ping", "pings their webhook under our project"),
    ],
    "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/rotate": [
        post(T + "/webhooks/{target.webhook}/rotate", "rotates their secret"),
        post(P + "/webhooks/{target.webhook}/rotate", "rotates their secret under our project"),
    ],
    "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/enabled": [
        post(T + "/webhooks/{target.webhook}/enabled", "disables their webhook", body={"enabled": "false"}),
        post(P + "/webhooks/{target.webhook}/enabled", "disables theirs under our project", body={"enabled": "false"}),
    ],
    "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/delete": [
        post(T + "/webhooks/{target.webhook}/delete", "deletes their webhook"),
        post(P + "/webhooks/{target.webhook}/delete", "deletes their webhook under our project"),
    ],
    "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver": [
        post(T + "/webhooks/{target.webhook}/deliveries/{target.delivery}/redeliver", "redelivers theirs"),
        post(
            P + "/webhooks/{own.webhook}/deliveries/{target.delivery}/redeliver",
            "redelivers their delivery to our webhook",
        ),
    ],
    # An invitation link's token is the capability; holding another project's link for someone
    # else's address must not let the signed-in caller in. (Their invitee is not our caller, so
    # there is no control: our own invitation is for someone else too.)
    "accounts/invitations/<str:token>": [
        get(
            "/accounts/invitations/{target.invite_token}",
            "opens their invitation for someone else",
            refused=Refusal(200, says='data-state="other_account"'),
            control=False,
        ),
        get("/accounts/invitations/not-{target.invite_token}", "guesses an invitation token", control=False),
    ],
    "accounts/invitations/<str:token>/join": [
        post(
            "/accounts/invitations/{target.invite_token}/join",
            "joins their project on someone else's invitation",
            refused=Refusal(403),
            control=False,
        ),
    ],
    "accounts/invitations/<str:token>/password": [
        post(
            "/accounts/invitations/{target.invite_token}/password",
            "sets the password of their invitee",
            body={"new_password1": "a new Pass phrase 42", "new_password2": "a new Pass phrase 42"},
            refused=Refusal(302, location="/accounts/invitations/{target.invite_token}"),
            control=False,
        ),
    ],
    # --- Product customization ---------------------------------------------------------------
    "api/templates": [
        post(
            "/api/templates",
            "makes a template on their photo",
            body={**TEMPLATE, "base_document_id": "{target.document}"},
        ),
        post(
            "/api/templates",
            "protects our photo with their mask",
            body={**TEMPLATE, "base_document_id": "{own.document}", "protect_mask_document_id": "{target.document}"},
        ),
    ],
    "api/templates/<uuid:template_id>": [
        get("/api/templates/{target.template}", "reads their template"),
        get("/api/templates/{target.template}?version=1", "reads an old version of their template"),
        put("/api/templates/{target.template}", "makes a new version of their template", body={"name": "mine now"}),
        put(
            "/api/templates/{own.template}",
            "moves our template onto their photo",
            body={"base_document_id": "{target.document2}"},
        ),
        delete("/api/templates/{target.template}", "archives their template"),
    ],
    "api/templates/<uuid:template_id>/versions": [get("/api/templates/{target.template}/versions", "lists versions")],
    "api/customizations": [
        post(
            "/api/customizations",
            "customizes their template",
            body={"template_id": "{target.template}", "prompt": "a dragon", "stream": True},
        ),
    ],
    "api/customizations/<uuid:customization_id>": [get("/api/customizations/{target.customization}", "reads theirs")],
    "api/customizations/<uuid:customization_id>/events": [
        get("/api/customizations/{target.customization}/events", "follows their customization")
    ],
    "api/customizations/<uuid:customization_id>/refine": [
        post(
            "/api/customizations/{target.customization}/refine",
            "refines their customization",
            body={"document_id": "{target.variant}", "prompt": "green", "stream": True},
        ),
        post(
            "/api/customizations/{own.customization}/refine",
            "refines our customization from their variant",
            body={"document_id": "{target.variant}", "prompt": "green", "stream": True},
        ),
    ],
    "api/customizations/<uuid:customization_id>/select": [
        post(
            "/api/customizations/{target.customization}/select",
            "selects in theirs",
            body={"document_id": "{target.variant}"},
        ),
        post(
            "/api/customizations/{own.customization}/select",
            "selects their variant in ours",
            body={"document_id": "{target.variant}"},
        ),
    ],
    "api/customizations/<uuid:customization_id>/export": [
        get(
            "/api/customizations/{target.customization}/export?document_id={target.variant}", "exports their print file"
        ),
        get(
            "/api/customizations/{own.customization}/export?document_id={target.variant}&kind=mockup",
            "exports their variant through ours",
        ),
    ],
    # --- Webhooks and limits ------------------------------------------------------------------
    "api/webhooks/<uuid:webhook_id>": [
        get("/api/webhooks/{target.webhook}", "reads their webhook"),
        patch("/api/webhooks/{target.webhook}", "changes their webhook", body={"description": "mine now"}),
        patch("/api/webhooks/{target.webhook}", "disables their webhook", body={"enabled": False}),
        delete("/api/webhooks/{target.webhook}", "deletes their webhook"),
    ],
    "api/webhooks/<uuid:webhook_id>/rotate-secret": [
        post("/api/webhooks/{target.webhook}/rotate-secret", "rotates their webhook's secret")
    ],
    "api/webhooks/<uuid:webhook_id>/ping": [post("/api/webhooks/{target.webhook}/ping", "pings their webhook")],
    "api/webhooks/<uuid:webhook_id>/deliveries": [
        get("/api/webhooks/{target.webhook}/deliveries?status=succeeded", "reads their delivery log")
    ],
    "api/webhooks/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver": [
        post("/api/webhooks/{target.webhook}/deliveries/{target.delivery}/redeliver", "redelivers theirs"),
        post(
            "/api/webhooks/{own.webhook}/deliveries/{target.delivery}/redeliver",
            "redelivers their event to our webhook",
        ),
    ],
    "api/limits": [
        put(
            "/api/limits",
            "sets their key's quota",
            body={"api_keys": {"{target.key}": {"images_per_day": 5}}},
            # The key's id is the body's, not the project's: the same 400 as an id that is nobody's.
            refused=Refusal(400, says="is not an API key of this project"),
            modes=("key", "session+header", "session"),
        ),
    ],
    # --- Websockets -------------------------------------------------------------------------
    "ws/threads/<uuid:target_id>": [ws("/ws/threads/{target.thread}", "follows their thread")],
    "ws/projects/<uuid:target_id>": [ws("/ws/projects/{target.project}", "follows their project")],
}

# Methods of a class-based view that name no other project's object, with the reason.
METHOD_EXEMPT: dict[tuple[str, str], str] = {
    ("api/templates", "GET"): "names no object: the caller's project's templates (a list, in LISTS)",
    ("api/limits", "GET"): "names no object: the caller's project's limits and its keys' quotas (in LISTS)",
    ("api/providers/<str:provider>/credentials", "PUT"): (
        "names no object: it stores the caller's own key for a provider "
        "(test_body_ids: storing a provider key leaves the other project's alone)"
    ),
}

# Routes with no id anywhere (path, query or body). Lists among them are checked to show only
# the caller's project in test_isolation: test_lists_show_only_the_callers_project.
EXEMPT: dict[str, str] = {
    "": "no id: sends a signed-in user to one of their own projects",
    "healthz": "no id and no project data: the service's health",
    "accounts/login": "no id: signs in",
    "accounts/logout": "no id: signs out",
    "api/threads": "no id: the caller's project's threads (a list)",
    "api/assistants": "no id: the caller's project's assistants; POST makes one in the caller's project",
    "api/models/image/all": "no id: the model catalog, the same for every project",
    "api/models/image/providers": "no id: the model catalog",
    "api/models/llm": "no id: the model catalog",
    "api/models": "no id: the model catalog",
    "api/models/providers": "no id: the model catalog",
    "api/models/embedding/all": "no id: refused, Easel has no embeddings",
    "api/models/embedding/providers": "no id: refused, Easel has no embeddings",
    "api/models/video/all": "no id: refused, Easel has no video",
    "api/providers": "no id: the caller's project's providers (a list)",
    "api/usage": "no id: the caller's project's usage (dates only)",
    "api/review/policy": "no id: the caller's project's review policy; PUT changes it",
    "api/webhooks": "no id: the caller's project's webhooks (a list); POST adds one to the caller's project",
    "api/threads/realtime": "no id: the SDK's realtime voice socket, refused after the key is checked",
    "api/schema": "no id and no project data: the public OpenAPI document",
    "api/docs": "no id and no project data: the API reference page (Swagger UI)",
    "api/redoc": "no id and no project data: the API reference page (ReDoc)",
}

# Routes whose path parameters are not a project's objects.
NOT_PROJECT_IDS: dict[str, str] = {
    "api/models/image/(?P<model_name>.+)": "a catalog model name, the same for every project",
    "api/models/(?P<model_name>.+)": "a catalog model name, the same for every project",
    "api/models/provider/<str:provider>": "a catalog provider name, the same for every project",
    "api/models/embedding/(?P<model_name>.+)": "a model name, refused: Easel has no embeddings",
    "api/models/video/(?P<model_name>.+)": "a model name, refused: Easel has no video",
    "api/assistants/memories/operations/<str:operation_id>": "an operation id, refused: Easel has no memory",
}

# The Django admin is for staff accounts, not project members: test_isolation checks that a
# member is sent to its sign-in for every admin route, whatever ids it names.
ADMIN_PREFIX = "admin/"

# GET routes without ids whose answers list a project's data: none may show the other project's.
LISTS = [
    "/api/threads?include_messages=true",
    "/api/assistants",
    "/api/documents",
    "/api/providers",
    "/api/usage",
    "/api/reviews",
    "/api/review/policy",
    "/api/models/image/all",
    "/api/models/llm",
    "/api/models",
    "/api/templates?include_archived=true",
    "/api/customizations",
    "/api/webhooks",
    "/api/limits",
]
