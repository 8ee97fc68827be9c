"""Who may do what, for each member role signed in and each key role: owners, admins and
reviewers decide; members comment and see status; only owners and admins (and admin keys)
change the policy and provider keys; reviewers never start a turn, and otherwise only write
to the review routes. A refusal is a 403 that stores nothing."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest
from django.core.management import call_command

from designs.models import ApiKey, AuditEntry, Message, Run, Thread
from tests.review.conftest import CALLERS, review_state

DECIDERS = {"owner session", "admin session", "reviewer session", "admin key", "reviewer key"}
POLICY_EDITORS = {"owner session", "admin session", "admin key"}
REVIEWERS = {"reviewer session", "reviewer key"}
KEY_MANAGERS = POLICY_EDITORS


def stored() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Thread, Message, Run, AuditEntry)}


@pytest.mark.parametrize("who", CALLERS)
def test_owners_admins_and_reviewers_decide_and_members_are_refused(studio, who):
    document = studio.image()
    before = review_state()

    response = studio.call(who, "POST", f"/api/documents/{document.id}/review", {"decision": "approved"})

    if who in DECIDERS:
        assert response.status_code == 200, response.content
        entry = AuditEntry.objects.get(document_id=document.id, action="decided")
        assert entry.via == ("api" if who.endswith("key") else "ui")
    else:
        assert response.status_code == 403
        assert response.json()["detail"].startswith("Only owners, admins and reviewers decide")
        assert review_state() == before


@pytest.mark.parametrize("who", CALLERS)
def test_members_and_member_keys_cannot_decide_in_bulk_either(studio, who):
    document = studio.image()
    before = review_state()

    response = studio.call(
        who, "POST", "/api/reviews/bulk", {"document_ids": [str(document.id)], "decision": "rejected"}
    )

    if who in DECIDERS:
        assert response.json()["results"] == [
            {"document_id": str(document.id), "ok": True, "review_status": "rejected"}
        ]
    else:
        assert response.status_code == 403 and review_state() == before


@pytest.mark.parametrize("who", CALLERS)
def test_only_owners_admins_and_admin_keys_change_the_policy(studio, who):
    before = review_state()

    response = studio.call(who, "PUT", "/api/review/policy", {"required": True})

    if who in POLICY_EDITORS:
        assert response.status_code == 200 and response.json()["required"] is True
    else:
        assert response.status_code == 403, response.content
        assert review_state() == before
    assert studio.call(who, "GET", "/api/review/policy").status_code == 200


@pytest.mark.parametrize("who", CALLERS)
def test_everyone_comments_resolves_and_revises(studio, who):
    document = studio.image()
    comment = studio.call(who, "POST", f"/api/documents/{document.id}/comments", {"text": "bluer sky"})
    assert comment.status_code == 201, comment.content
    comment_id = comment.json()["comment_id"]

    revised = studio.call(who, "POST", f"/api/documents/{document.id}/revise", {"comment_ids": [comment_id]})
    resolved = studio.call(who, "POST", f"/api/comments/{comment_id}/resolve")

    assert revised.status_code == 202, revised.content
    assert revised.json()["status"] == "queued" and revised.json()["thread_id"] == str(document.thread_id)
    assert resolved.status_code == 200 and resolved.json()["revise_run_id"] == revised.json()["run_id"]
    via = "api" if who.endswith("key") else "ui"
    actions = AuditEntry.objects.filter(document_id=document.id).order_by("id").values_list("action", "via")
    assert list(actions) == [("commented", via), ("revised", via), ("resolved", via)]


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("where", ["/api/threads/messages", "thread alias"])
def test_reviewers_cannot_generate_and_nothing_is_stored(studio, who, where):
    thread = studio.image().thread
    url = f"/api/threads/{thread.id}/messages" if where == "thread alias" else "/api/threads/messages"
    before = stored()

    response = studio.call(who, "POST", url, {"content": "a blue robot", "send_to_llm": False})

    if who in REVIEWERS:
        assert response.status_code == 403
        assert response.json() == {"detail": "Reviewers cannot generate images"}
        assert stored() == before
    else:
        assert response.status_code == 200, response.content


@pytest.mark.parametrize("who", sorted(REVIEWERS))
def test_reviewers_cannot_continue_a_run_with_tool_outputs(studio, who):
    thread = studio.image().thread
    outputs = {"tool_outputs": [{"tool_call_id": "call_1", "output": "sunny"}]}
    run = "00000000-0000-4000-8000-000000000000"

    for url, body in (
        (f"/api/threads/{thread.id}/runs/{run}/submit-tool-outputs", outputs),
        ("/api/threads/tool-outputs", {**outputs, "thread_id": str(thread.id)}),
    ):
        response = studio.call(who, "POST", url, body)
        assert response.status_code == 403 and response.json()["detail"] == "Reviewers cannot generate images"


@pytest.mark.parametrize("who", CALLERS)
def test_reviewers_read_but_write_nothing_outside_review(studio, who):
    before = stored()

    made = studio.call(who, "POST", "/api/assistants", {"name": "poster studio"})
    listed = studio.call(who, "GET", "/api/documents")

    assert listed.status_code == 200
    if who in REVIEWERS:
        assert made.status_code == 403 and made.json()["detail"] == "Reviewers have read-only access to a project"
        assert stored() == before
    else:
        assert made.status_code == 200, made.content


@pytest.mark.parametrize("who", CALLERS)
def test_provider_keys_are_managed_by_owners_admins_and_admin_keys_only(studio, who):
    response = studio.call(who, "PUT", "/api/providers/openai/credentials", {"api_key": "sk-test-key-1234"})

    assert response.status_code == (200 if who in KEY_MANAGERS else 403), response.content
    assert studio.call(who, "GET", "/api/providers").status_code == (200 if who in KEY_MANAGERS else 403)


def test_keys_made_before_roles_and_by_create_api_key_are_admin_keys(studio):
    out = io.StringIO()
    with redirect_stdout(out):
        call_command("create_api_key", studio.project.name)
    secret = out.getvalue().strip().splitlines()[-1]

    made = [
        key for key in ApiKey.objects.filter(project=studio.project) if key.prefix and secret.startswith(key.prefix)
    ]
    assert [key.role for key in made] == ["admin"]
    assert ApiKey._meta.get_field("role").default == "admin"
