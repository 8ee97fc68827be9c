"""Delivery gating: while a project's review policy gates delivery, the signed URLs of an image
that is not approved answer 403 with what it waits on (file and thumbnail alike) and work once it
is approved; the project's signed-in members (the dashboard) and staff still see it; reviewer and
admin keys fetch it at /api/documents/{id}/content. With the policy off, nothing changes."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from designs import media
from designs.auth import PROJECT_HEADER
from designs.models import Document, Project, ReviewPolicy
from designs.services.projects import api_key_create
from designs.services.review import Who, decide, review_new_image
from tests.dashboard.conftest import Team
from tests.dashboard.stored import new_thread, turn

OWNER = "owner"


def generated(project: Project, prompt: str = "a red kite") -> Document:
    _run, document = turn(new_thread(project), prompt)
    return review_new_image(document)


def gate(project: Project, **policy) -> None:
    ReviewPolicy.objects.update_or_create(project=project, defaults={"gate_delivery": True, **policy})


def urls(document: Document) -> tuple[str, str]:
    """(file, thumbnail): the signed URLs a media object hands out, as paths."""
    found = media.media_urls(document, "http://testserver")
    return (found["url"].removeprefix("http://testserver"), found["thumbnail_url"].removeprefix("http://testserver"))


def key_client(project: Project, role: str) -> Client:
    _key, secret = api_key_create(project=project, role=role)
    return Client(headers={"X-API-Key": secret})


def approve(document: Document, team: Team) -> Document:
    return decide(document, Who(role=OWNER, via="api", user=team.owner), "approved")


def test_with_the_policy_off_every_image_is_served_as_today(team, media_root):
    ReviewPolicy.objects.create(project=team.project, blocked_terms=["kite"])  # flags, but does not gate
    document = generated(team.project, "a red kite")
    assert document.review_status == "pending" and document.flags

    for url in urls(document):
        response = Client().get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, max-age=3600, immutable"
        assert "Vary" not in response  # no session was looked at


def test_a_gated_image_is_refused_with_its_blockers_until_it_is_approved(team, media_root):
    gate(team.project, required=True)
    document = generated(team.project)
    assert document.review_status == "pending"

    for url in urls(document):
        refused = Client().get(url)
        assert refused.status_code == 403
        assert refused.json() == {
            "detail": "This image is not delivered until it is approved in review (it is pending)",
            "review_status": "pending",
            "blockers": ["review: pending", "approvals: 0 of 1"],
        }
        assert refused["Cache-Control"] == "no-store"

    approve(document, team)

    file_url, thumbnail_url = urls(document)
    answer = Client().get(file_url)
    assert answer.status_code == 200 and b"".join(answer.streaming_content).startswith(b"\x89PNG")
    assert Client().get(thumbnail_url)["Content-Type"] == "image/webp"


def test_a_flagged_image_names_its_flag_and_a_rejected_one_stays_refused(team, media_root):
    gate(team.project, blocked_terms=["dragon"])  # review not required: the flag makes it pending
    flagged = generated(team.project, "a red dragon on a kite")
    plain = generated(team.project, "a red kite")

    blockers = Client().get(urls(flagged)[0]).json()["blockers"]
    assert blockers == ["review: pending", "approvals: 0 of 1", "flag: Blocked term: dragon"]
    # Gating covers every image that is not approved, unreviewed ones too.
    assert Client().get(urls(plain)[0]).json()["blockers"] == ["review: unreviewed", "approvals: 0 of 1"]

    decide(flagged, Who(role=OWNER, via="api", user=team.owner), "rejected", reason="not on brief")
    refused = Client().get(urls(flagged)[1])
    assert refused.status_code == 403 and refused.json()["review_status"] == "rejected"
    assert refused.json()["blockers"] == ["review: rejected", "flag: Blocked term: dragon"]


def test_a_conditional_request_for_a_gated_image_is_refused_not_answered_304(team, media_root):
    gate(team.project, required=True)
    document = generated(team.project)

    response = Client().get(urls(document)[0], HTTP_IF_NONE_MATCH=f'"{document.sha256}"')

    assert response.status_code == 403


def test_members_see_gated_images_on_their_dashboard_pages_and_strangers_do_not(team, media_root):
    gate(team.project, required=True)
    document = generated(team.project)
    page = team.client("member").get(team.url(f"images/{document.id}"))
    assert page.status_code == 200
    sources = {html.unescape(s) for s in re.findall(r'src="(/api/media/[^"]+)"', page.content.decode())}
    sources |= {
        html.unescape(s) for s in re.findall(r'src="http://testserver(/api/media/[^"]+)"', page.content.decode())
    }
    assert any(str(document.id) in s for s in sources), page.content.decode()[:500]

    for source in sources:
        for who in ("member", "reviewer", "owner"):
            assert team.client(who).get(source).status_code == 200, (who, source)
        assert team.client("stranger").get(source).status_code == 403  # signed in, not a member
        assert Client().get(source).status_code == 403


def test_staff_see_gated_images_in_the_admin(team, media_root):
    gate(team.project, required=True)
    document = generated(team.project)
    staff = get_user_model().objects.create_user(username="ops", email="ops@example.com", is_staff=True)
    client = Client()
    client.force_login(staff)

    assert client.get(urls(document)[1]).status_code == 200


def test_an_approved_image_costs_no_policy_read_and_any_other_one_read(team, media_root):
    gate(team.project, required=True)
    document = generated(team.project)
    file_url = urls(document)[0]

    def policy_reads() -> int:
        with CaptureQueriesContext(connection) as queries:
            Client().get(file_url)
        return sum("designs_reviewpolicy" in q["sql"] for q in queries.captured_queries)

    assert policy_reads() == 1
    approve(document, team)
    assert policy_reads() == 0


# --- GET /api/documents/{id}/content ------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_reviewer_and_admin_keys_fetch_a_gated_image(team, media_root, role):
    gate(team.project, required=True)
    document = generated(team.project)

    response = key_client(team.project, role).get(f"/api/documents/{document.id}/content", HTTP_ACCEPT="image/*")

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == document.file.open("rb").read()


def test_a_member_key_gets_the_signed_urls_403_while_gated_and_the_bytes_otherwise(team, media_root):
    document = generated(team.project)
    client = key_client(team.project, "member")
    url = f"/api/documents/{document.id}/content"
    assert client.get(url).status_code == 200  # no policy: today's behaviour

    gate(team.project, required=True)
    refused = client.get(url)
    assert refused.status_code == 403
    assert refused.json()["blockers"] == ["review: unreviewed", "approvals: 0 of 1"]

    approve(document, team)
    assert client.get(url).status_code == 200


def test_signed_in_members_fetch_content_of_their_project_only(team, media_root):
    gate(team.project, required=True)
    document = generated(team.project)
    url = f"/api/documents/{document.id}/content"

    member = team.client("member")
    assert member.get(url, headers={PROJECT_HEADER: str(team.project.id)}).status_code == 200
    stranger = team.client("stranger")
    assert stranger.get(url, headers={PROJECT_HEADER: str(team.other.id)}).status_code == 404


def test_another_projects_document_is_not_found(team, media_root):
    document = generated(team.project)
    theirs = key_client(team.other, "admin")

    response = theirs.get(f"/api/documents/{document.id}/content")

    assert response.status_code == 404 and response.json() == {"detail": "Document not found"}
    assert Client().get(f"/api/documents/{document.id}/content").status_code == 401
