"""Review in the admin: documents filtered by review status and flag, approved and rejected in bulk
through `review.decide` (each decision audited `via: admin`, each failure reported on its own), and
decisions, comments and the audit trail shown but never added, changed or deleted."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from designs.models import AuditEntry, Comment, Document, ReviewDecision, ReviewPolicy
from designs.services.comments import comment_add
from designs.services.review import Who, decide, review_new_image
from tests.admin.conftest import STAFF, listed
from tests.dashboard.stored import new_thread, turn

LIST = "/admin/designs/document/"


def generated(project, prompt: str = "a red kite") -> Document:
    _run, document = turn(new_thread(project), prompt)
    return review_new_image(document)


def act(client: Client, action: str, *documents: Document):
    return client.post(
        LIST, {"action": action, "_selected_action": [str(d.id) for d in documents], "index": 0}, follow=True
    )


def entry_ids(response) -> set[int]:
    return {int(i) for i in re.findall(r"/auditentry/(\d+)/change/", response.content.decode())}


def notes(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def flagged_project(team, media_root):
    ReviewPolicy.objects.create(project=team.project, required=True, blocked_terms=["dragon"])
    return team.project


def test_documents_filter_by_review_status_and_by_flag(staff, team, flagged_project):
    dragon = generated(flagged_project, "a red dragon")
    kite = generated(flagged_project, "a red kite")
    approved = generated(flagged_project, "a blue kite")
    decide(approved, Who(role="owner", via="ui", user=team.owner), "approved")

    assert listed(staff.get(LIST).content) == {str(dragon.id), str(kite.id), str(approved.id)}
    assert listed(staff.get(LIST, {"review_status": "pending"}).content) == {str(dragon.id), str(kite.id)}
    assert listed(staff.get(LIST, {"review_status": "approved"}).content) == {str(approved.id)}
    assert listed(staff.get(LIST, {"flag": "blocked_term"}).content) == {str(dragon.id)}
    assert listed(staff.get(LIST, {"flag": "any"}).content) == {str(dragon.id)}
    assert listed(staff.get(LIST, {"flag": "none"}).content) == {str(kite.id), str(approved.id)}
    assert listed(staff.get(LIST, {"flag": "classifier_error"}).content) == set()
    page = staff.get(LIST).content.decode()
    assert "By review status" in page and "By flag" in page and "blocked term" in page


def test_approve_and_reject_decide_each_image_and_audit_it_via_admin(staff, team, flagged_project):
    first, second, third = (generated(flagged_project, f"kite {n}") for n in range(3))

    approved = act(staff, "approve", first, second)
    rejected = act(staff, "reject", third)

    statuses = dict(Document.objects.values_list("id", "review_status"))
    assert (statuses[first.id], statuses[second.id], statuses[third.id]) == ("approved", "approved", "rejected")
    assert "Approved 2 image(s)." in notes(approved) and "Rejected 1 image(s)." in notes(rejected)
    entries = AuditEntry.objects.filter(action="decided").order_by("id")
    assert [(e.document_id, e.via, e.actor, e.from_status, e.to_status) for e in entries] == [
        (first.id, "admin", STAFF, "pending", "approved"),
        (second.id, "admin", STAFF, "pending", "approved"),
        (third.id, "admin", STAFF, "pending", "rejected"),
    ]
    assert {d.via for d in ReviewDecision.objects.all()} == {"admin"}
    assert entries[0].actor_user_id == get_user_model().objects.get(username=STAFF).pk


def test_a_failure_is_reported_for_its_image_and_the_others_are_decided(staff, team, flagged_project):
    done = generated(flagged_project, "a decided kite")
    decide(done, Who(role="owner", via="ui", user=team.owner), "rejected")
    waiting = generated(flagged_project, "a waiting kite")

    response = act(staff, "approve", done, waiting)

    said = notes(response)
    assert f"{done.filename}: Document {done.id} is already rejected; decisions are final" in said
    assert "Approved 1 image(s)." in said
    assert Document.objects.get(pk=waiting.pk).review_status == "approved"
    assert Document.objects.get(pk=done.pk).review_status == "rejected"
    assert AuditEntry.objects.filter(via="admin").count() == 1


def test_a_second_approval_needed_is_said(staff, team, flagged_project):
    ReviewPolicy.objects.filter(project=flagged_project).update(approvals_needed=2)
    document = generated(flagged_project)

    response = act(staff, "approve", document)

    assert "Approved 1 image(s) (1 still wait for more approvals)." in notes(response)
    assert Document.objects.get(pk=document.pk).review_status == "pending"


def test_staff_who_may_not_decide_are_not_offered_the_actions(team, flagged_project):
    viewer = get_user_model().objects.create_user(username="viewer", email="viewer@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_document"))
    client = Client()
    client.force_login(viewer)
    document = generated(flagged_project)

    page = client.get(LIST).content.decode()
    act(client, "approve", document)

    assert 'value="approve"' not in page and 'value="reject"' not in page
    assert Document.objects.get(pk=document.pk).review_status == "pending"
    assert not AuditEntry.objects.filter(via="admin").exists()


def test_deleting_a_reviewed_document_keeps_its_audit_trail(staff, team, flagged_project):
    document = generated(flagged_project)
    decide(document, Who(role="owner", via="ui", user=team.owner), "approved")
    comment_add(document, Who(role="owner", via="ui", user=team.owner), text="fine")

    answer = staff.post(f"{LIST}{document.id}/delete/", {"post": "yes"})

    assert answer.status_code == 302 and not Document.objects.filter(pk=document.pk).exists()
    assert not ReviewDecision.objects.exists() and not Comment.objects.exists()
    assert list(AuditEntry.objects.filter(document_id=document.id).values_list("action", flat=True)) == [
        "commented",
        "decided",
    ]


# --- the records: shown, never added, changed or deleted ------------------------------------------


@pytest.fixture
def records(team, flagged_project) -> dict:
    document = generated(flagged_project)
    owner = Who(role="owner", via="ui", user=team.owner)
    comment = comment_add(document, owner, text="the sky is too dark")
    decide(document, owner, "approved", reason="fine")
    return {
        "reviewdecision": ReviewDecision.objects.get(),
        "comment": comment,
        "auditentry": AuditEntry.objects.filter(action="decided").get(),
    }


@pytest.mark.parametrize("model", ["reviewdecision", "comment", "auditentry"])
def test_review_records_are_listed_and_shown_but_never_added_changed_or_deleted(staff, records, model):
    row = records[model]
    base = f"/admin/designs/{model}/"
    before = list(type(row).objects.order_by("pk").values())

    assert staff.get(base).status_code == 200
    page = staff.get(f"{base}{row.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert staff.get(f"{base}add/").status_code == 403
    assert staff.post(f"{base}add/", {"reason": "forged"}).status_code == 403
    assert staff.post(f"{base}{row.pk}/change/", {"reason": "rewritten", "text": "rewritten"}).status_code == 403
    assert staff.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = staff.post(base, {"action": "delete_selected", "_selected_action": [str(row.pk)], "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert list(type(row).objects.order_by("pk").values()) == before
    assert 'value="delete_selected"' not in staff.get(base).content.decode()


def test_the_audit_list_filters_by_action_via_and_date(staff, team, records):
    with mock.patch("django.utils.timezone.now", return_value=datetime(2025, 1, 2, tzinfo=UTC)):
        old = AuditEntry.objects.create(project_id=team.project.id, actor="Easel", via="system", action="refused")
    everything = entry_ids(staff.get("/admin/designs/auditentry/"))
    assert old.pk in everything and len(everything) == AuditEntry.objects.count()

    assert entry_ids(staff.get("/admin/designs/auditentry/", {"action": "refused"})) == {old.pk}
    assert entry_ids(staff.get("/admin/designs/auditentry/", {"via": "system"})) == set(
        AuditEntry.objects.filter(via="system").values_list("pk", flat=True)
    )
    assert old.pk not in entry_ids(staff.get("/admin/designs/auditentry/", {"at__year": datetime.now(UTC).year}))
    assert entry_ids(staff.get("/admin/designs/auditentry/", {"at__year": 2025})) == {old.pk}
