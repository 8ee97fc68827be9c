"""Members and API keys: what owners and admins can change, the one-time secrets, field errors."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core.management import call_command

from designs.auth import authenticate_key
from designs.models import ApiKey, Membership


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


def test_inviting_a_new_person_creates_them_with_a_one_time_set_password_link(team, client):
    owner = team.client("owner")
    assert (
        owner.post(team.url("members/invite"), {"email": "New.Person@Example.com", "role": "member"}).status_code == 302
    )
    page = owner.get(team.url("members")).content.decode()
    link = re.search(r'value="(http://testserver/accounts/set-password/[^"]+)"', page).group(1)
    assert "works once" in page
    assert link not in owner.get(team.url("members")).content.decode()
    user = get_user_model().objects.get(email="New.Person@example.com")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, project=team.project).role == "member"

    path = link.removeprefix("http://testserver")
    form = client.get(path, follow=True)
    assert b"Set your password" in form.content
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "a fine long password", "new_password2": "a fine long password"}
    )
    assert done.status_code == 302 and done["Location"] == "/"
    assert client.get("/")["Location"] == team.url("threads")  # signed in, in the project
    client.logout()
    assert b"no longer works" in client.get(path, follow=True).content  # used once, gone
    signed_in = client.post(
        "/accounts/login", {"username": "new.person@EXAMPLE.com", "password": "a fine long password"}
    )
    assert signed_in.status_code == 302  # the email, typed in any case, signs in too


def test_inviting_someone_with_an_account_adds_them_without_a_link(team):
    response = team.client("admin").post(
        team.url("members/invite"), {"email": "stranger@example.com", "role": "reviewer"}, follow=True
    )
    assert b"They already have an account and can sign in now" in response.content
    assert Membership.objects.get(user=team.stranger, project=team.project).role == "reviewer"


def test_invite_form_errors_are_shown_on_their_fields(team):
    admin = team.client("admin")
    bad_email = admin.post(team.url("members/invite"), {"email": "not-an-email", "role": "member"})
    assert bad_email.status_code == 200 and b"Enter a valid email address" in bad_email.content
    twice = admin.post(team.url("members/invite"), {"email": "member@example.com", "role": "member"})
    assert twice.status_code == 200 and b"already a member" in twice.content
    owner_role = admin.post(team.url("members/invite"), {"email": "boss@example.com", "role": "owner"})
    assert owner_role.status_code == 200 and b"Select a valid choice" in owner_role.content
    assert not get_user_model().objects.filter(email="boss@example.com").exists()


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


def test_an_invited_member_can_get_a_new_link_and_others_cannot(team):
    team.client("owner").post(team.url("members/invite"), {"email": "later@example.com", "role": "member"})
    invited = Membership.objects.get(user__email="later@example.com")
    response = team.client("admin").post(team.url(f"members/{invited.id}/link"), follow=True)
    assert b"/accounts/set-password/" in response.content
    member = Membership.objects.get(project=team.project, user=team.member)
    refused = team.client("owner").post(team.url(f"members/{member.id}/link"))
    assert refused.status_code == 200 and b"already has a password" in refused.content


def test_create_owner_prints_credentials_that_sign_in(db, client, capsys):
    call_command("create_owner", "boss@example.com", "Launch")
    out = capsys.readouterr().out
    password = re.search(r"password: (\S+)", out).group(1)
    assert "owner of new project 'Launch'" in out and "/accounts/login" in out
    assert client.login(username="boss@example.com", password=password)
    assert Membership.objects.get(user__email="boss@example.com").role == "owner"
    call_command("create_owner", "boss@example.com", "Launch")
    assert "password: unchanged" in capsys.readouterr().out
    assert client.login(username="boss@example.com", password=password)


def test_the_login_form_shows_what_went_wrong(team, client):
    response = client.post("/accounts/login", {"username": "owner@example.com", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    ok = client.post("/accounts/login", {"username": "owner@example.com", "password": "correct horse battery staple"})
    assert ok.status_code == 302 and ok["Location"] == "/"
