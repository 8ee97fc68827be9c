"""The review rules themselves, below any edge: who decides, how a status moves, what is final,
that approval needs distinct people, and that the audit trail cannot be changed."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError
from PIL import Image

from designs.exceptions import Conflict, Forbidden, Invalid
from designs.models import AuditEntry, Document, Project, ReviewPolicy
from designs.services.documents import document_create
from designs.services.images import sanitize_image
from designs.services.review import Who, decide, delivery_blockers, policy_update, review_new_image
from designs.services.threads import assistant_default, thread_create


def png(colour=(20, 40, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def project(db) -> Project:
    return Project.objects.create(name="alpha")


def image(project: Project, prompt: str = "a red robot", parent: Document | None = None) -> Document:
    thread = parent.thread if parent else thread_create(project=project, assistant=assistant_default(project=project))
    clean = sanitize_image(png())
    document = document_create(
        project=project,
        data=clean.data,
        facts=clean.facts,
        thread=thread,
        operation="edit" if parent else "generate",
        prompt=prompt,
        parent=parent,
    )
    return review_new_image(document)


def person(name: str, role: str) -> Who:
    user = get_user_model().objects.create_user(username=name, email=f"{name}@example.com", password="x" * 12)
    return Who(role=role, via="api", user=user)


def test_with_no_policy_an_image_is_unreviewed_and_delivered(project):
    document = image(project)

    assert document.review_status == "unreviewed" and document.flags == []
    assert delivery_blockers(document) == []


def test_required_review_starts_pending_and_two_approvals_need_two_people(project):
    owner = person("olga", "owner")
    policy_update(project, owner, {"required": True, "gate_delivery": True, "approvals_needed": 2})
    document = image(project)
    assert document.review_status == "pending"
    assert "approvals: 0 of 2" in delivery_blockers(document)

    first = decide(document, person("rita", "reviewer"), "approved")
    assert first.review_status == "pending"
    with pytest.raises(Conflict, match="already decided"):
        decide(document, Who(role="reviewer", via="api", user=first_user(document)), "approved")
    second = decide(document, person("remy", "reviewer"), "approved", reason="looks right")

    assert second.review_status == "approved" and delivery_blockers(second) == []
    with pytest.raises(Conflict, match="already approved"):
        decide(second, owner, "rejected")
    actions = list(AuditEntry.objects.filter(document_id=document.id).values_list("action", "to_status"))
    assert actions == [("decided", "approved"), ("decided", "pending")]


def first_user(document: Document):
    return document.decisions.first().actor_user


def test_members_do_not_decide_and_bad_decisions_change_nothing(project):
    document = image(project)
    with pytest.raises(Forbidden):
        decide(document, person("mo", "member"), "approved")
    with pytest.raises(Invalid):
        decide(document, person("ria", "reviewer"), "maybe")
    with pytest.raises(Invalid):
        decide(document, person("rob", "reviewer"), "rejected", reason="x" * 2001)

    document.refresh_from_db()
    assert document.review_status == "unreviewed" and not AuditEntry.objects.filter(document_id=document.id).exists()


def test_a_new_version_of_a_reviewed_image_starts_pending_and_supersedes_it(project):
    parent = image(project)
    decide(parent, person("ray", "reviewer"), "changes_requested", reason="bluer")
    child = image(project, "bluer", parent=parent)

    assert child.review_status == "pending", "approval or a decision never carries to a new version"
    with pytest.raises(Conflict):
        decide(parent, person("rae", "admin"), "approved")


def test_blocked_terms_flag_an_image_and_hold_it_pending(project):
    policy_update(project, person("owen", "owner"), {"blocked_terms": ["Dragon fire"], "gate_delivery": True})

    document = image(project, "a castle under DRAGON FIRE at dusk")

    assert document.review_status == "pending"
    assert document.flags == [{"code": "blocked_term", "label": "Blocked term: dragon fire", "score": 1.0}]
    assert "flag: Blocked term: dragon fire" in delivery_blockers(document)
    entry = AuditEntry.objects.get(document_id=document.id, action="flagged")
    assert (entry.via, entry.reason_code) == ("system", "blocked_term")


def test_the_audit_trail_cannot_be_changed_or_deleted(project):
    policy_update(project, person("oz", "owner"), {"required": True})
    entry = AuditEntry.objects.get(project_id=project.id)

    entry.reason = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE designs_auditentry SET reason = 'rewritten' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).reason == "required=True"


def test_a_document_deleted_keeps_its_audit_entries(project):
    document = image(project)
    decide(document, person("rex", "reviewer"), "rejected", reason="off brand")
    document_id = document.id

    Document.objects.filter(pk=document_id).delete()

    assert AuditEntry.objects.filter(document_id=document_id, action="decided").count() == 1


def test_only_owners_and_admins_change_the_policy(project):
    with pytest.raises(Forbidden):
        policy_update(project, person("rue", "reviewer"), {"required": True})
    with pytest.raises(Invalid):
        policy_update(project, person("ada", "admin"), {"approvals_needed": 0})
    assert not ReviewPolicy.objects.filter(project=project).exists()
