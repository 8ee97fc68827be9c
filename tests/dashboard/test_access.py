"""Who sees what: signed-out people sign in, strangers get 404s, roles limit what members change."""

from __future__ import annotations

import uuid

import pytest

from designs.models import ApiKey, Invitation, Membership
from designs.services.invitations import invitation_create
from designs.services.projects import api_key_create
from tests.dashboard.stored import new_thread, turn

PAGES = ["threads", "gallery", "members", "keys"]


@pytest.mark.parametrize("page", PAGES)
def test_signed_out_people_are_sent_to_sign_in(team, client, page):
    response = client.get(team.url(page))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login?next=")


def test_home_goes_to_sign_in_then_to_the_current_projects_threads(team, client):
    assert client.get("/")["Location"].startswith("/accounts/login")
    client.force_login(team.member)
    assert client.get("/")["Location"] == team.url("threads")


def test_home_explains_when_the_user_belongs_to_no_project(team, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("lonely@example.com", "lonely@example.com", "x" * 12))
    response = client.get("/")
    assert response.status_code == 200
    assert b"No projects yet" in response.content


@pytest.mark.parametrize("page", PAGES)
def test_a_non_member_gets_a_404_page_for_every_page_of_the_project(team, page):
    response = team.client("stranger").get(team.url(page))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Not found" in response.content


def test_a_non_member_gets_404_for_threads_images_and_actions(team, media_root):
    thread = new_thread(team.project)
    _run, document = turn(thread, "draw a robot")
    key, _secret = api_key_create(project=team.project)
    stranger = team.client("stranger")
    owner_membership = Membership.objects.get(project=team.project, user=team.owner)
    gets = [f"threads/{thread.id}", f"images/{document.id}"]
    posts = [
        "threads/new",
        f"threads/{thread.id}/messages",
        "keys/new",
        f"keys/{key.id}/revoke",
        "members/invite",
        f"members/{owner_membership.id}/role",
        f"members/{owner_membership.id}/remove",
    ]
    for page in gets:
        assert stranger.get(team.url(page)).status_code == 404, page
    for page in posts:
        assert (
            stranger.post(team.url(page), {"content": "hi", "email": "x@example.com", "role": "owner"}).status_code
            == 404
        ), page
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert Membership.objects.filter(project=team.project).count() == 4


def test_another_projects_thread_and_image_are_404_even_under_your_own_project(team, media_root):
    elsewhere = new_thread(team.other)
    _run, document = turn(elsewhere, "their robot")
    owner = team.client("owner")
    assert owner.get(team.url(f"threads/{elsewhere.id}")).status_code == 404
    assert owner.get(team.url(f"images/{document.id}")).status_code == 404
    assert owner.post(team.url(f"threads/{elsewhere.id}/messages"), {"content": "mine now"}).status_code == 404
    assert owner.get(f"/projects/{uuid.uuid4()}/threads").status_code == 404


@pytest.mark.parametrize("who", ["member", "reviewer"])
def test_members_and_reviewers_see_the_team_pages_but_cannot_change_them(team, who):
    key, _secret = api_key_create(project=team.project, name="ci")
    owner_membership = Membership.objects.get(project=team.project, user=team.owner)
    client = team.client(who)
    keys_page = client.get(team.url("keys"))
    assert keys_page.status_code == 200
    assert b"Only owners and admins can create or revoke keys" in keys_page.content
    assert b"Create key" not in keys_page.content
    assert b"Invite" not in client.get(team.url("members")).content
    invitation = invitation_create(
        project=team.project, email="later@example.com", role="member", actor=owner_membership
    ).invitation
    forbidden = [
        ("keys/new", {"name": "mine"}),
        (f"keys/{key.id}/revoke", {}),
        ("members/invite", {"email": "new@example.com", "role": "member"}),
        (f"members/{owner_membership.id}/role", {f"m{owner_membership.id}-role": "member"}),
        (f"members/{owner_membership.id}/remove", {}),
        (f"invitations/{invitation.id}/revoke", {}),
        (f"invitations/{invitation.id}/renew", {}),
    ]
    for page, data in forbidden:
        response = client.post(team.url(page), data)
        assert response.status_code == 403, page
        assert b"Only owners and admins" in response.content
    assert ApiKey.objects.filter(project=team.project).count() == 1
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert Membership.objects.get(pk=owner_membership.pk).role == "owner"
    assert not Membership.objects.filter(user__email="new@example.com").exists()
    assert list(Invitation.objects.values_list("email", "revoked_at")) == [("later@example.com", None)]


def test_reviewers_follow_threads_but_cannot_start_generations(team):
    thread = new_thread(team.project)
    reviewer = team.client("reviewer")
    page = reviewer.get(team.url(f"threads/{thread.id}"))
    assert page.status_code == 200
    assert b'id="composer"' not in page.content
    assert b"New thread" not in reviewer.get(team.url("threads")).content
    assert reviewer.post(team.url("threads/new")).status_code == 403
    assert reviewer.post(team.url(f"threads/{thread.id}/messages"), {"content": "draw a cat"}).status_code == 403
    assert not thread.messages.exists()


def test_pages_only_answer_the_methods_they_take(team):
    owner = team.client("owner")
    assert owner.post(team.url("threads")).status_code == 405
    assert owner.get(team.url("keys/new")).status_code == 405


def test_visiting_a_project_makes_it_the_sessions_project_for_the_api(team):
    Membership.objects.create(project=team.other, user=team.member, role="member")
    client = team.client("member")
    client.get(team.url("threads", team.other))
    assert client.get("/")["Location"] == team.url("threads", team.other)
    body = client.get("/api/threads").json()
    assert body == []  # the API answers for the project the dashboard is on


def test_the_project_switcher_goes_to_the_same_section_of_another_of_your_projects(team):
    Membership.objects.create(project=team.other, user=team.member, role="reviewer")
    client = team.client("member")
    switch = "/projects/switch"
    assert client.post(switch, {"project": str(team.other.id), "section": "gallery"})["Location"] == team.url(
        "gallery", team.other
    )
    assert client.post(switch, {"project": str(team.other.id), "section": "../admin"})["Location"] == team.url(
        "threads", team.other
    )
    assert client.post(switch, {"project": str(uuid.uuid4()), "section": "keys"})["Location"] == "/"
    page = client.get(team.url("threads")).content.decode()
    assert "Elsewhere</option>" in page and "Studio</option>" in page
