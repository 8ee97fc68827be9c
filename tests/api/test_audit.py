"""GET /api/audit: the project's trail, newest first, filtered by document, actor, action and
time; as JSON pages or a CSV export that streams; for owners, admins and reviewers (and their
keys), not for members; another project's document is not found."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient, Client

from designs.auth import PROJECT_HEADER
from designs.models import AuditEntry, Document, Project
from designs.services.documents import document_delete
from designs.services.projects import api_key_create
from designs.services.review import Who, audit, decide, record_refusal, review_new_image
from tests.dashboard.stored import new_thread, turn

TRICKY = 'Too dark, "muddy", and off-brand,\nsee the second line; =SUM(A1)'


def generated(project: Project, prompt: str = "a red kite") -> Document:
    _run, document = turn(new_thread(project), prompt)
    return review_new_image(document)


def keyed(project: Project, role: str = "admin") -> Client:
    _key, secret = api_key_create(project=project, role=role)
    return Client(headers={"X-API-Key": secret})


def at(when: str):
    """Entries written inside this block are dated `when` (auto_now_add reads timezone.now)."""
    return mock.patch("django.utils.timezone.now", return_value=datetime.fromisoformat(when).replace(tzinfo=UTC))


@pytest.fixture
def trail(team, media_root) -> dict:
    """Three entries of ours on two days, and one of the other project's."""
    kite, boat = generated(team.project, "a kite"), generated(team.project, "a boat")
    owner = Who(role="owner", via="ui", user=team.owner)
    with at("2026-03-01T09:00:00"):
        decide(kite, Who(role="reviewer", via="api", user=team.reviewer), "approved", reason=TRICKY)
    with at("2026-03-02T10:00:00"):
        decide(boat, owner, "rejected", reason="no")
    with at("2026-03-02T11:00:00"):
        record_refusal(
            project_id=team.project.id, prompt="a boat", model="openai/gpt-image-1", reason="no", reason_code="safety"
        )
    audit(team.other.id, Who(role="owner", via="ui", user=team.stranger), "decided", reason="theirs")
    return {"kite": kite, "boat": boat}


def entries(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    return response.json()["entries"]


def test_the_trail_is_newest_first_with_every_field_and_a_total(team, trail):
    body = keyed(team.project).get("/api/audit?limit=2").json()

    assert body["total"] == 3
    first, second = body["entries"]
    assert first == {
        "at": "2026-03-02T11:00:00Z",
        "actor": "Easel",
        "via": "system",
        "action": "refused",
        "document_id": None,
        "from_status": "",
        "to_status": "",
        "reason": "no",
        "reason_code": "safety",
        "prompt": "a boat",
        "model": "openai/gpt-image-1",
    }
    assert second["actor"] == "owner@example.com" and second["to_status"] == "rejected"
    assert second["document_id"] == str(trail["boat"].id) and second["model"] == "local/easel-local-painter"
    assert [e["action"] for e in entries(keyed(team.project).get("/api/audit?skip=2"))] == ["decided"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("action=decided", ["boat", "kite"]),
        ("action=refused", ["refusal"]),
        ("actor=REVIEWER@example.com", ["kite"]),
        ("actor=reviewer", []),
        ("actor=easel", ["refusal"]),
        ("from=2026-03-02", ["refusal", "boat"]),
        ("to=2026-03-01", ["kite"]),
        ("from=2026-03-02T10:30:00Z&to=2026-03-02T11:00:00Z", ["refusal"]),
        ("from=2026-03-02T09:30:00%2B01:00", ["refusal", "boat"]),  # 08:30 UTC
        ("action=decided&from=2026-03-02", ["boat"]),
    ],
)
def test_filters_narrow_the_trail(team, trail, query, expected):
    names = {str(trail["kite"].id): "kite", str(trail["boat"].id): "boat", None: "refusal"}

    found = entries(keyed(team.project).get(f"/api/audit?{query}"))

    assert [names[e["document_id"]] for e in found] == expected


def test_an_api_key_is_found_by_its_prefix(team, media_root):
    key, _secret = api_key_create(project=team.project, role="reviewer")
    document = generated(team.project)
    decide(document, Who(role="reviewer", via="api", api_key=key), "approved")

    [entry] = entries(keyed(team.project).get(f"/api/audit?actor={key.prefix}"))

    assert entry["actor"] == f"key {key.prefix}…" and entry["document_id"] == str(document.id)


def test_a_documents_entries_outlive_the_document(team, trail):
    kite_id = str(trail["kite"].id)
    assert len(entries(keyed(team.project).get(f"/api/audit?document_id={kite_id}"))) == 1

    document_delete(document=Document.objects.get(pk=kite_id))

    [entry] = entries(keyed(team.project).get(f"/api/audit?document_id={kite_id}"))
    assert entry["reason"] == TRICKY


@pytest.mark.parametrize(
    "query, says",
    [
        ("from=yesterday", "from must be a date"),
        ("to=2026-13-01", "to must be a date"),
        ("from=2026-03-02&to=2026-03-01", "from must not be after to"),
        ("from=0001-01-01", "from must be a date between"),
        ("document_id=not-a-uuid", "document_id must be a UUID"),
        ("action=DROP TABLE", "action must be a word"),
        ("format=xml", "format"),
        ("limit=0", "limit"),
    ],
)
def test_bad_filters_are_400(team, trail, query, says):
    response = keyed(team.project).get(f"/api/audit?{query}")

    assert response.status_code == 400 and says in response.json()["detail"]


def test_another_projects_document_is_not_found_and_their_entries_never_show(team, trail):
    theirs = generated(team.other)

    response = keyed(team.project).get(f"/api/audit?document_id={theirs.id}")
    assert response.status_code == 404 and response.json() == {"detail": "Document not found"}
    assert keyed(team.project).get(f"/api/audit?document_id={uuid.uuid4()}").status_code == 404
    assert "theirs" not in keyed(team.project).get("/api/audit?format=csv").getvalue().decode()
    assert [e["reason"] for e in entries(keyed(team.other).get("/api/audit"))] == ["theirs"]


@pytest.mark.parametrize("who, status", [("owner", 200), ("admin", 200), ("reviewer", 200), ("member", 403)])
def test_signed_in_readers_are_owners_admins_and_reviewers(team, trail, who, status):
    response = team.client(who).get("/api/audit", headers={PROJECT_HEADER: str(team.project.id)})

    assert response.status_code == status
    if status == 403:
        assert response.json() == {"detail": "Only owners, admins and reviewers read the audit trail"}


@pytest.mark.parametrize("role, status", [("admin", 200), ("reviewer", 200), ("member", 403)])
def test_keys_read_it_by_their_role(team, trail, role, status):
    assert keyed(team.project, role).get("/api/audit").status_code == status
    assert keyed(team.project, role).get("/api/audit?format=csv").status_code == status


def test_the_csv_export_parses_back_to_the_same_entries(team, trail):
    response = keyed(team.project).get("/api/audit?format=csv&limit=1", HTTP_ACCEPT="text/csv")

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="easel-audit-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["action"] for r in rows] == ["refused", "decided", "decided"]  # every entry: no paging
    assert rows[2]["reason"] == TRICKY  # commas, quotes and a newline survive
    assert rows[0]["document_id"] == "" and rows[2]["document_id"] == str(trail["kite"].id)
    assert list(rows[0]) == [
        "at", "actor", "via", "action", "document_id", "from_status", "to_status",
        "reason", "reason_code", "prompt", "model",
    ]  # fmt: skip


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_defused(team, media_root):
    audit(team.project.id, Who(role="owner", via="ui", user=team.owner), "commented", reason="=HYPERLINK(1)")

    response = keyed(team.project).get("/api/audit?format=csv")

    [row] = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert row["reason"] == "'=HYPERLINK(1)"


def test_the_export_reads_its_rows_in_chunks(team, media_root):
    """Never every row at once: the rows come from QuerySet.iterator(chunk_size=...)."""
    owner = Who(role="owner", via="ui", user=team.owner)
    for n in range(5):
        audit(team.project.id, owner, "commented", reason=f"note {n}")
    seen = []
    real = AuditEntry.objects.none().__class__.iterator

    def spy(self, chunk_size=None):
        seen.append(chunk_size)
        return real(self, chunk_size=chunk_size)

    with mock.patch.object(AuditEntry.objects.none().__class__, "iterator", spy):
        response = keyed(team.project).get("/api/audit?format=csv")
        lines = b"".join(response.streaming_content).decode().splitlines()

    assert seen == [500] and len(lines) == 6


@pytest.mark.django_db(transaction=True)
async def test_over_asgi_the_export_streams_from_an_async_iterator(team, media_root):
    owner = Who(role="owner", via="ui", user=team.owner)
    _key, secret = await sync_to_async(api_key_create)(project=team.project)
    await sync_to_async(audit)(team.project.id, owner, "commented", reason=TRICKY)

    try:
        response = await AsyncClient().get("/api/audit?format=csv", headers={"X-API-Key": secret})
        assert response.status_code == 200 and response.is_async
        body = b"".join([chunk async for chunk in response.streaming_content]).decode()
    finally:
        # The rows were read on asgiref's shared thread, whose connection no request closes here.
        await sync_to_async(connections.close_all)()
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert row["reason"] == TRICKY and row["via"] == "ui"
