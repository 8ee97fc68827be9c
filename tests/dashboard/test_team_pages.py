"""Members, pending invitations and API keys: what owners and admins can change, the one-time
secrets, field errors. (Accepting an invitation: test_invitations.py.)"""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from designs.auth import authenticate_key
from designs.models import ApiKey, Invitation, Membership


def _secret(html: bytes) -> str:
    return re.search(rb'value="(esk_[^"]+)"', html).group(1).decode()


def test_creating_a_key_shows_its_secret_exactly_once(team):
    owner = team.client("owner")
    response = owner.post(team.url("keys/new"), {"name": "staging server"})
    assert response.status_code == 302
    page = owner.get(team.url("keys")).content
    secret = _secret(page)
    assert authenticate_key(secret).project == team.project
    assert b"staging server" in page and b"the only time it is shown" in page
    again = owner.get(team.url("keys")).content
    assert secret.encode() not in again
    assert secret[:12].encode() in again  # the prefix stays visible, to tell keys apart
    key = ApiKey.objects.get(project=team.project)
    assert key.created_by == team.owner and key.name == "staging server"


def test_revoking_a_key_makes_it_useless_and_shows_it_revoked(team):
    admin = team.client("admin")
    admin.post(team.url("keys/new"), {"name": "laptop"})
    secret = _secret(admin.get(team.url("keys")).content)
    key = ApiKey.objects.get(project=team.project)
    response = admin.post(team.url(f"keys/{key.id}/revoke"), follow=True)
    assert b"is revoked" in response.content and b"Revoked" in response.content
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert admin.get("/api/threads", headers={"X-API-Key": secret}).status_code == 401


def test_a_too_long_key_name_is_a_field_error(team):
    response = team.client("owner").post(team.url("keys/new"), {"name": "x" * 201})
    assert response.status_code == 200
    assert b"Ensure this value has at most 200 characters" in response.content
    assert not ApiKey.objects.exists()


def test_invite_form_errors_are_shown_on_their_fields(team):
    admin = team.client("admin")
    bad_email = admin.post(team.url("members/invite"), {"email": "not-an-email", "role": "member"})
    assert bad_email.status_code == 200 and b"Enter a valid email address" in bad_email.content
    twice = admin.post(team.url("members/invite"), {"email": "member@example.com", "role": "member"})
    assert twice.status_code == 200 and b"already a member" in twice.content
    owner_role = admin.post(team.url("members/invite"), {"email": "boss@example.com", "role": "owner"})
    assert owner_role.status_code == 200 and b"Select a valid choice" in owner_role.content
    assert not Invitation.objects.exists()


def test_owners_change_roles_and_admins_cannot_touch_owners(team):
    member = Membership.objects.get(project=team.project, user=team.member)
    owner = Membership.objects.get(project=team.project, user=team.owner)
    admin = team.client("admin")
    assert admin.post(team.url(f"members/{member.id}/role"), {f"m{member.id}-role": "admin"}).status_code == 302
    assert Membership.objects.get(pk=member.pk).role == "admin"
    assert admin.post(team.url(f"members/{member.id}/role"), {f"m{member.id}-role": "owner"}).status_code == 403
    assert admin.post(team.url(f"members/{owner.id}/role"), {f"m{owner.id}-role": "member"}).status_code == 403
    assert admin.post(team.url(f"members/{owner.id}/remove")).status_code == 403
    assert (
        team.client("owner").post(team.url(f"members/{member.id}/role"), {f"m{member.id}-role": "owner"}).status_code
        == 302
    )
    assert Membership.objects.get(pk=member.pk).role == "owner"


def test_the_last_owner_can_neither_leave_nor_step_down(team):
    owner = Membership.objects.get(project=team.project, user=team.owner)
    client = team.client("owner")
    demote = client.post(team.url(f"members/{owner.id}/role"), {f"m{owner.id}-role": "admin"})
    assert demote.status_code == 200 and b"at least one owner" in demote.content
    leave = client.post(team.url(f"members/{owner.id}/remove"))
    assert leave.status_code == 200 and b"at least one owner" in leave.content
    assert Membership.objects.get(pk=owner.pk).role == "owner"


def test_removing_a_member_keeps_their_account(team):
    member = Membership.objects.get(project=team.project, user=team.member)
    response = team.client("admin").post(team.url(f"members/{member.id}/remove"), follow=True)
    assert b"was removed" in response.content
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert get_user_model().objects.filter(pk=team.member.pk).exists()
    assert team.client("member").get(team.url("threads")).status_code == 404


def _invite(client, team, email: str, role: str = "member", project=None) -> str:
    assert client.post(team.url("members/invite", project), {"email": email, "role": role}).status_code == 302
    return re.search(
        r'value="http://testserver(/accounts/invitations/[^"]+)"',
        client.get(team.url("members", project)).content.decode(),
    ).group(1)


def test_pending_invitations_are_listed_with_role_inviter_and_expiry(team):
    _invite(team.client("admin"), team, "later@example.com", role="reviewer")
    Invitation.objects.create(
        project=team.project,
        email="lapsed@example.com",
        token_hash="0" * 64,
        invited_by=team.owner,
        expires_at=timezone.now() - timedelta(hours=1),
    )
    page = team.client("owner").get(team.url("members")).content.decode()
    later = re.search(r'<tr data-invitation="later@example.com">.*?</tr>', page, re.S).group(0)
    assert "Reviewer" in later and "admin@example.com" in later and "in 6\xa0days" in later
    assert "New link" in later and "Revoke" in later
    lapsed = re.search(r'<tr data-invitation="lapsed@example.com">.*?</tr>', page, re.S).group(0)
    assert "expired" in lapsed and "New link" in lapsed
    seen_by_member = team.client("member").get(team.url("members")).content.decode()
    assert 'data-invitation="later@example.com"' in seen_by_member and "New link" not in seen_by_member


def test_inviting_the_same_address_again_replaces_the_earlier_link(team, client):
    owner = team.client("owner")
    first = _invite(owner, team, "later@example.com", role="member")
    second = _invite(owner, team, "LATER@example.com", role="admin")
    assert client.get(first).status_code == 410
    assert b"Join Studio" in client.get(second).content and b"as <strong>admin</strong>" in client.get(second).content
    assert owner.get(team.url("members")).content.decode().count("data-invitation=") == 1


def test_revoking_an_invitation_stops_its_link(team, client):
    link = _invite(team.client("owner"), team, "later@example.com")
    invitation = Invitation.objects.get(project=team.project)
    response = team.client("admin").post(team.url(f"invitations/{invitation.id}/revoke"), follow=True)
    assert b"is revoked: its link no longer works" in response.content
    assert b'data-invitation="later@example.com"' not in response.content
    assert client.get(link).status_code == 410
    new_password = {"new_password1": "a fine long password", "new_password2": "a fine long password"}
    assert client.post(f"{link}/password", new_password).status_code == 410
    assert not get_user_model().objects.filter(email="later@example.com").exists()


def test_a_new_link_replaces_the_old_one_and_is_shown_once(team, client):
    owner = team.client("owner")
    old = _invite(owner, team, "later@example.com", role="reviewer")
    invitation = Invitation.objects.get(project=team.project)
    assert owner.post(team.url(f"invitations/{invitation.id}/renew")).status_code == 302
    page = owner.get(team.url("members")).content.decode()
    assert "New invitation link for later@example.com as reviewer" in page
    new = re.search(r'value="http://testserver(/accounts/invitations/[^"]+)"', page).group(1)
    assert new != old and client.get(old).status_code == 410
    assert b"Join Studio" in client.get(new).content
    assert new not in owner.get(team.url("members")).content.decode()
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None


def test_another_projects_admin_cannot_revoke_or_renew_this_projects_invitation(team):
    _invite(team.client("owner"), team, "later@example.com")
    invitation = Invitation.objects.get(project=team.project)
    before = Invitation.objects.values().get(pk=invitation.pk)
    stranger = team.client("stranger")  # owner of `other`
    for action in ("revoke", "renew"):
        assert stranger.post(team.url(f"invitations/{invitation.id}/{action}", team.other)).status_code == 404
        assert stranger.post(team.url(f"invitations/{invitation.id}/{action}")).status_code == 404
    assert Invitation.objects.values().get(pk=invitation.pk) == before
    assert Invitation.objects.count() == 1


def test_only_an_owner_revokes_or_renews_an_owners_invitation(team):
    _invite(team.client("owner"), team, "boss@example.com", role="owner")
    invitation = Invitation.objects.get(project=team.project)
    admin = team.client("admin")
    row = re.search(
        r'<tr data-invitation="boss@example.com">.*?</tr>', admin.get(team.url("members")).content.decode(), re.S
    )
    assert "Revoke" not in row.group(0)
    for action in ("revoke", "renew"):
        assert admin.post(team.url(f"invitations/{invitation.id}/{action}")).status_code == 403
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None
    assert team.client("owner").post(team.url(f"invitations/{invitation.id}/revoke")).status_code == 302
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None


def test_create_owner_prints_credentials_that_sign_in(db, client, capsys):
    call_command("create_owner", "boss@example.com", "Launch")
    out = capsys.readouterr().out
    password = re.search(r"password: (\S+)", out).group(1)
    assert "owner of new project 'Launch'" in out and "/accounts/login" in out
    assert client.post("/accounts/login", {"username": "boss@example.com", "password": password}).status_code == 302
    assert Membership.objects.get(user__email="boss@example.com").role == "owner"
    call_command("create_owner", "boss@example.com", "Launch")
    assert "password: unchanged" in capsys.readouterr().out
    client.logout()
    assert client.post("/accounts/login", {"username": "boss@example.com", "password": password}).status_code == 302


def test_the_login_form_shows_what_went_wrong(team, client):
    response = client.post("/accounts/login", {"username": "owner@example.com", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    ok = client.post("/accounts/login", {"username": "owner@example.com", "password": "correct horse battery staple"})
    assert ok.status_code == 302 and ok["Location"] == "/"
