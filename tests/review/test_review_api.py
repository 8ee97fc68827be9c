"""The review API in-process: the policy, the queue, every decision and transition, bulk
decisions, comments with regions, and what bad input and other projects' ids change (nothing)."""

from __future__ import annotations

import pytest

from designs import events
from designs.models import AuditEntry, Comment, ReviewDecision
from tests.review.conftest import Studio, review_state

RECT = {"x": 4, "y": 4, "width": 20, "height": 16}


def decide(studio: Studio, who: str, document, decision: str, **extra):
    return studio.call(who, "POST", f"/api/documents/{document.id}/review", {"decision": decision, **extra})


def require_review(studio: Studio, **changes) -> None:
    response = studio.call("owner session", "PUT", "/api/review/policy", {"required": True, **changes})
    assert response.status_code == 200, response.content


# --- the policy ------------------------------------------------------------------------------


def test_the_policy_is_all_off_until_an_owner_or_admin_key_changes_the_fields_sent(studio):
    assert studio.call("member key", "GET", "/api/review/policy").json() == {
        "required": False,
        "gate_delivery": False,
        "approvals_needed": 1,
        "blocked_terms": [],
        "updated_at": None,
    }

    changed = studio.call("admin key", "PUT", "/api/review/policy", {"approvals_needed": 2, "blocked_terms": ["gore"]})
    assert changed.status_code == 200
    again = studio.call("owner session", "PUT", "/api/review/policy", {"gate_delivery": True})

    body = again.json()
    assert (body["required"], body["gate_delivery"], body["approvals_needed"], body["blocked_terms"]) == (
        False,
        True,
        2,
        ["gore"],
    )
    entries = AuditEntry.objects.filter(action="policy_updated").order_by("id")
    assert [(e.via, e.actor_key_prefix != "") for e in entries] == [("api", True), ("ui", False)]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"approvals_needed": 0},
        {"approvals_needed": "2"},
        {"required": "yes"},
        {"blocked_terms": "gore"},
        {"blocked_terms": ["x" * 101]},
        {"surprise": True},
        ["required"],
    ],
    ids=str,
)
def test_a_bad_policy_is_a_400_that_changes_nothing(studio, body):
    before = review_state()
    response = studio.call("owner session", "PUT", "/api/review/policy", body)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert review_state() == before


# --- decisions -------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", ["approved", "changes_requested", "rejected"])
def test_each_decision_moves_a_pending_image_and_says_who_decided(studio, decision, django_capture_on_commit_callbacks):
    require_review(studio)
    document = studio.image()
    assert document.review_status == "pending"

    with django_capture_on_commit_callbacks(execute=True):
        response = decide(studio, "reviewer key", document, decision, reason="on brief", reason_code="brand_ok")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["document_id"] == str(document.id) and body["review_status"] == decision
    assert body["approvals"] == (1 if decision == "approved" else 0) and body["approvals_needed"] == 1
    assert body["decision"]["decision"] == decision and body["decision"]["reason"] == "on brief"
    assert body["decision"]["via"] == "api" and body["decision"]["actor"].startswith("key esk_")
    entry = AuditEntry.objects.get(document_id=document.id, action="decided")
    assert (entry.via, entry.from_status, entry.to_status, entry.reason_code) == (
        "api",
        "pending",
        decision,
        "brand_ok",
    )
    assert entry.actor_key_prefix == studio.keys["reviewer"].prefix
    feed = [event for _id, event in events.get_log().entries(events.project_stream(studio.project.id))]
    news = [e for e in feed if e["type"] == "review_updated" and e["document_id"] == str(document.id)]
    assert news[-1]["review_status"] == decision and news[-1]["decision"] == decision
    detail = studio.call("member key", "GET", f"/api/documents/{document.id}").json()
    assert detail["metadata_"]["review_status"] == decision and detail["metadata_"]["flags"] == []


def test_an_image_no_policy_covers_can_still_be_decided(studio):
    document = studio.image()
    assert document.review_status == "unreviewed"

    response = decide(studio, "owner session", document, "approved")

    assert response.json()["review_status"] == "approved"
    assert AuditEntry.objects.get(document_id=document.id, action="decided").via == "ui"


def test_two_approvals_need_two_distinct_reviewers(studio):
    require_review(studio, approvals_needed=2)
    document = studio.image()

    first = decide(studio, "reviewer key", document, "approved")
    assert (first.json()["review_status"], first.json()["approvals"]) == ("pending", 1)
    same = decide(studio, "reviewer key", document, "approved")
    assert same.status_code == 409 and "already decided" in same.json()["detail"]
    second = decide(studio, "reviewer session", document, "approved")

    assert second.status_code == 200
    assert (second.json()["review_status"], second.json()["approvals"], second.json()["approvals_needed"]) == (
        "approved",
        2,
        2,
    )
    assert ReviewDecision.objects.filter(document=document).count() == 2


def test_deciding_a_decided_image_is_a_409_naming_its_state(studio):
    require_review(studio)
    document = studio.image()
    decide(studio, "reviewer session", document, "rejected", reason="off brand")
    before = review_state()

    again = decide(studio, "admin key", document, "approved")

    assert again.status_code == 409 and "already rejected" in again.json()["detail"]
    assert review_state() == before


def test_deciding_on_a_superseded_version_is_a_409_naming_the_newer_one(studio):
    require_review(studio)
    parent = studio.image()
    child = studio.image("bluer", parent=parent)
    assert (parent.review_status, child.review_status) == ("pending", "pending")
    before = review_state()

    superseded = decide(studio, "admin key", parent, "approved")

    assert superseded.status_code == 409, superseded.content
    assert "superseded" in superseded.json()["detail"] and str(child.id) in superseded.json()["detail"]
    assert review_state() == before
    assert decide(studio, "admin key", child, "approved").json()["review_status"] == "approved"


def test_a_new_version_of_a_decided_image_starts_pending_whatever_the_policy(studio):
    parent = studio.image()
    decide(studio, "reviewer key", parent, "changes_requested", reason="bluer")

    child = studio.image("bluer", parent=parent)

    assert child.review_status == "pending"
    listed = studio.call("reviewer key", "GET", "/api/reviews?status=pending").json()["reviews"]
    assert [(r["document_id"], r["parent_document_id"]) for r in listed] == [(str(child.id), str(parent.id))]


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "maybe"},
        {},
        {"decision": "approved", "reason": "x" * 2001},
        {"decision": "approved", "reason": 42},
        {"decision": "approved", "reason_code": "c" * 65},
        ["approved"],
    ],
    ids=str,
)
def test_a_bad_decision_is_a_400_that_changes_nothing_and_writes_no_audit(studio, body):
    require_review(studio)
    document = studio.image()
    before = review_state()

    response = studio.call("reviewer key", "POST", f"/api/documents/{document.id}/review", body)

    assert response.status_code == 400, response.content
    assert review_state() == before


def test_a_mask_or_an_unknown_or_foreign_image_is_not_found(studio, stranger):
    theirs = stranger.image()
    before = review_state()
    for document_id in (theirs.id, "00000000-0000-4000-8000-000000000000"):
        response = studio.call(
            "owner session", "POST", f"/api/documents/{document_id}/review", {"decision": "approved"}
        )
        assert response.status_code == 404 and response.json() == {"detail": "Document not found"}
    assert review_state() == before


# --- bulk --------------------------------------------------------------------------------------


def test_bulk_decides_each_image_on_its_own_and_a_foreign_id_fails_alone(studio, stranger):
    require_review(studio)
    ours = [studio.image(f"robot {n}") for n in range(3)]
    decide(studio, "owner session", ours[2], "rejected")
    theirs = stranger.image()
    ids = [str(ours[0].id), str(theirs.id), str(ours[1].id), str(ours[2].id), "not-an-id"]

    response = studio.call("reviewer key", "POST", "/api/reviews/bulk", {"document_ids": ids, "decision": "approved"})

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["ok"] for r in results] == [True, False, True, False, False]
    assert results[0] == {"document_id": str(ours[0].id), "ok": True, "review_status": "approved"}
    assert results[1] == {"document_id": str(theirs.id), "ok": False, "detail": "Document not found"}
    assert "already rejected" in results[3]["detail"]
    theirs.refresh_from_db()
    assert theirs.review_status == "unreviewed" and not ReviewDecision.objects.filter(document=theirs).exists()
    assert AuditEntry.objects.filter(action="decided", via="api").count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"document_ids": ["00000000-0000-4000-8000-000000000000"] * 501, "decision": "approved"},
        {"document_ids": [], "decision": "approved"},
        {"document_ids": "all", "decision": "approved"},
        {"document_ids": [], "decision": "approved"},
        {"document_ids": ["00000000-0000-4000-8000-000000000000"], "decision": "maybe"},
        {"document_ids": ["00000000-0000-4000-8000-000000000000"], "decision": "rejected", "reason": "x" * 2001},
    ],
    ids=["501 ids", "none", "not a list", "empty", "unknown decision", "long reason"],
)
def test_a_bad_bulk_request_is_a_400_that_changes_nothing(studio, body):
    require_review(studio)
    document = studio.image()
    if body["document_ids"] and isinstance(body["document_ids"], list) and len(body["document_ids"]) == 1:
        body = {**body, "document_ids": [str(document.id)]}
    before = review_state()

    response = studio.call("admin key", "POST", "/api/reviews/bulk", body)

    assert response.status_code == 400, response.content
    assert review_state() == before


# --- the queue ---------------------------------------------------------------------------------


def test_the_queue_lists_images_newest_first_with_where_their_review_stands(studio, stranger):
    require_review(studio, approvals_needed=2, blocked_terms=["dragon"])
    older = studio.image("a robot")
    flagged = studio.image("a dragon")
    child = studio.image("a bluer robot", parent=older)
    decide(studio, "reviewer key", child, "approved")
    studio.call("member key", "POST", f"/api/documents/{child.id}/comments", {"text": "nice", "regions": [RECT]})
    stranger.image("their dragon")

    listed = studio.call("reviewer session", "GET", "/api/reviews").json()

    assert listed["total"] == 3
    assert [r["document_id"] for r in listed["reviews"]] == [str(child.id), str(flagged.id), str(older.id)]
    top = listed["reviews"][0]
    assert (top["review_status"], top["approvals"], top["approvals_needed"], top["comment_count"]) == (
        "pending",
        1,
        2,
        1,
    )
    assert top["parent_document_id"] == str(older.id) and top["metadata_"]["review_status"] == "pending"
    assert listed["reviews"][1]["flags"][0]["code"] == "blocked_term"

    def ids(query: str) -> list[str]:
        response = studio.call("member key", "GET", f"/api/reviews?{query}")
        assert response.status_code == 200, response.content
        return [r["document_id"] for r in response.json()["reviews"]]

    assert ids("flag=blocked_term") == [str(flagged.id)]
    assert ids(f"thread_id={older.thread_id}&limit=1") == [str(child.id)]
    assert ids(f"thread_id={older.thread_id}&skip=1") == [str(older.id)]
    assert ids("model_name=easel-local-painter&status=pending") == [str(child.id), str(flagged.id), str(older.id)]
    assert ids("model_name=gpt-image-1") == []


@pytest.mark.parametrize("query", ["status=maybe", "thread_id=nope", "limit=0", "limit=501", "flag=" + "x" * 65])
def test_a_bad_queue_filter_is_a_400(studio, query):
    response = studio.call("member key", "GET", f"/api/reviews?{query}")
    assert response.status_code == 400 and response.json()["detail"]


def test_the_queue_by_another_projects_thread_is_a_404(studio, stranger):
    theirs = stranger.image()
    response = studio.call("admin key", "GET", f"/api/reviews?thread_id={theirs.thread_id}")
    assert response.status_code == 404


# --- comments ----------------------------------------------------------------------------------


def test_comments_take_rectangles_and_polygons_and_list_with_their_resolved_state(
    studio, django_capture_on_commit_callbacks
):
    document = studio.image()
    polygon = {"polygon": [[60, 30], [90, 30], [90, 60]]}

    with django_capture_on_commit_callbacks(execute=True):
        made = studio.call(
            "member key",
            "POST",
            f"/api/documents/{document.id}/comments",
            {"text": "bluer", "regions": [RECT, polygon]},
        )
    plain = studio.call("reviewer session", "POST", f"/api/documents/{document.id}/comments", {"text": " a note "})

    assert made.status_code == 201, made.content
    comment = made.json()
    assert comment["regions"] == [
        {"type": "rect", "x": 4, "y": 4, "width": 20, "height": 16},
        {"type": "polygon", "points": [[60, 30], [90, 30], [90, 60]]},
    ]
    assert (comment["via"], comment["resolved"], plain.json()["text"], plain.json()["via"]) == (
        "api",
        False,
        "a note",
        "ui",
    )
    resolved = studio.call("reviewer key", "POST", f"/api/comments/{comment['comment_id']}/resolve")
    assert resolved.status_code == 200 and resolved.json()["resolved"] is True
    twice = studio.call("reviewer key", "POST", f"/api/comments/{comment['comment_id']}/resolve")
    assert twice.json()["resolved_at"] == resolved.json()["resolved_at"]

    listed = studio.call("member session", "GET", f"/api/documents/{document.id}/comments").json()
    assert listed["total"] == 2
    assert [(c["text"], c["resolved"]) for c in listed["comments"]] == [("bluer", True), ("a note", False)]
    actions = list(AuditEntry.objects.filter(document_id=document.id).order_by("id").values_list("action", "via"))
    assert actions == [("commented", "api"), ("commented", "ui"), ("resolved", "api")]
    feed = [event for _id, event in events.get_log().entries(events.thread_stream(document.thread_id))]
    assert any(e["type"] == "comment_added" and e["comment_id"] == comment["comment_id"] for e in feed)


@pytest.mark.parametrize(
    "body",
    [
        {"text": "bluer", "regions": [{"x": 90, "y": 4, "width": 20, "height": 16}]},  # past the right edge (96)
        {"text": "bluer", "regions": [{"x": -1, "y": 4, "width": 20, "height": 16}]},
        {"text": "bluer", "regions": [{"x": 4, "y": 4, "width": 0, "height": 16}]},
        {"text": "bluer", "regions": [{"polygon": [[1, 1], [5, 5], [9, 9]]}]},  # a line: no area
        {"text": "bluer", "regions": [RECT] * 33},
        {"text": "bluer", "regions": {"x": 1}},
        {"text": "x" * 2001},
        {"text": "   "},
        {"text": 7},
        {},
    ],
    ids=[
        "outside",
        "negative",
        "zero width",
        "flat polygon",
        "33 regions",
        "not a list",
        "2001 chars",
        "blank",
        "number",
        "empty",
    ],
)
def test_a_bad_comment_is_a_400_that_changes_nothing_and_writes_no_audit(studio, body):
    document = studio.image()
    before = review_state()

    response = studio.call("reviewer key", "POST", f"/api/documents/{document.id}/comments", body)

    assert response.status_code == 400, response.content
    assert review_state() == before and not Comment.objects.exists()


def test_comments_of_another_project_are_not_found_and_stay_as_they_are(studio, stranger):
    theirs = stranger.image()
    comment = stranger.call("owner session", "POST", f"/api/documents/{theirs.id}/comments", {"text": "theirs"}).json()
    before = review_state()

    assert studio.call("admin key", "GET", f"/api/documents/{theirs.id}/comments").status_code == 404
    assert studio.call("admin key", "POST", f"/api/documents/{theirs.id}/comments", {"text": "x"}).status_code == 404
    assert studio.call("admin key", "POST", f"/api/comments/{comment['comment_id']}/resolve").status_code == 404
    assert review_state() == before
