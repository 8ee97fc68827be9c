"""Invitations: a link joins one project, only when the invitee accepts it, and never lets one
project take over an account another project has (issue 11, the two takeovers)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from designs.models import Invitation, Membership
from tests.dashboard.conftest import PASSWORD

NEW_PASSWORD = "a fine long password"
CHOOSE = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
# Any link the page shows once (so these tests also run, and fail, against an older Easel's links).
LINK = re.compile(r'value="http://testserver(/accounts/[^"]+)"')


def invite(team, who: str, email: str, role: str = "member", project=None) -> str:
    """Invite through the Members page as `who`; the path of the link it shows once."""
    client = team.client(who)
    assert client.post(team.url("members/invite", project), {"email": email, "role": role}).status_code == 302
    return LINK.search(client.get(team.url("members", project)).content.decode()).group(1)


def signs_in(email: str, password: str) -> bool:
    return Client().post("/accounts/login", {"username": email, "password": password}).status_code == 302


def projects_of(email: str) -> set:
    return set(Membership.objects.filter(user__email__iexact=email).values_list("project_id", flat=True))


def test_inviting_creates_no_account_and_no_membership_and_stores_only_a_hash(team, settings):
    settings.EASEL_INVITATION_TTL_DAYS = 3
    link = invite(team, "owner", "New.Person@Example.com")
    assert not get_user_model().objects.filter(email__iexact="new.person@example.com").exists()
    assert Membership.objects.filter(project=team.project).count() == 4
    invitation = Invitation.objects.get(project=team.project)
    token = link.removeprefix("/accounts/invitations/")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # secrets.token_urlsafe(32)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert invitation.email == "New.Person@example.com" and invitation.invited_by == team.owner
    assert abs(invitation.expires_at - (timezone.now() + timedelta(days=3))) < timedelta(minutes=1)
    assert token not in team.client("owner").get(team.url("members")).content.decode()  # shown once


def test_the_invite_answer_is_the_same_for_an_existing_and_a_new_email(team):
    def answer(email: str) -> str:
        client = team.client("owner")
        response = client.post(team.url("members/invite"), {"email": email, "role": "member"})
        assert response.status_code == 302 and response["Location"] == team.url("members")
        page = client.get(team.url("members")).content.decode()
        callout = re.search(r'<section class="panel callout".*?</section>', page, re.S).group(0)
        return LINK.sub("LINK", callout).replace(email, "EMAIL")

    assert answer("stranger@example.com") == answer("nobody@example.com")
    assert projects_of("stranger@example.com") == {team.other.id}  # not added without consent


def test_an_existing_account_joins_only_by_accepting_signed_in(team):
    link = invite(team, "admin", "stranger@example.com", role="reviewer")
    stranger = team.client("stranger")
    page = stranger.get(link)
    assert page.status_code == 200
    assert b"Join Studio as reviewer" in page.content and b"new_password1" not in page.content
    assert projects_of("stranger@example.com") == {team.other.id}  # looking is not accepting
    joined = stranger.post(f"{link}/join", follow=True)
    assert joined.redirect_chain[0] == (team.url("threads"), 302)
    assert b"You joined Studio as reviewer" in joined.content
    assert Membership.objects.get(project=team.project, user=team.stranger).role == "reviewer"
    invitation = Invitation.objects.get(project=team.project)
    assert invitation.accepted_by == team.stranger and invitation.accepted_at is not None
    assert stranger.post(f"{link}/join").status_code == 410  # single use


def test_signed_out_an_existing_account_is_sent_to_sign_in_and_back(team, client):
    link = invite(team, "owner", "stranger@example.com")
    page = client.get(link).content.decode()
    assert f'href="/accounts/login?next={link}"' in page and "new_password1" not in page
    assert client.post(f"{link}/password", CHOOSE).status_code == 403  # no password for an account that has one
    assert signs_in("stranger@example.com", PASSWORD) and not signs_in("stranger@example.com", NEW_PASSWORD)
    back = client.post("/accounts/login", {"username": "stranger@example.com", "password": PASSWORD, "next": link})
    assert back["Location"] == link
    assert b"Join Studio as member" in client.get(link).content


def test_signed_in_as_someone_else_the_link_does_not_accept(team):
    link = invite(team, "owner", "new@example.com")
    member = team.client("member")
    page = member.get(link).content.decode()
    assert "signed in as <strong>member@example.com</strong>, not as new@example.com" in page
    assert f'name="next" value="{link}"' in page  # Sign out comes back here
    assert member.post(f"{link}/join").status_code == 403
    assert member.post(f"{link}/password", CHOOSE)["Location"] == link
    assert Invitation.objects.get(project=team.project).accepted_at is None
    assert not get_user_model().objects.filter(email="new@example.com").exists()


def test_a_new_person_chooses_a_password_joins_and_is_signed_in(team, client):
    link = invite(team, "owner", "New.Person@Example.com", role="member")
    assert b"Set password and join" in client.get(link).content
    done = client.post(f"{link}/password", CHOOSE, follow=True)
    assert done.redirect_chain[0] == (team.url("threads"), 302)
    assert b"You joined Studio as member" in done.content and b"new.person@example.com" in done.content.lower()
    assert projects_of("new.person@example.com") == {team.project.id}
    assert signs_in("new.person@EXAMPLE.com", NEW_PASSWORD)  # the email, in any case
    assert Client().get(link).status_code == 410


def test_the_password_form_applies_the_password_validators(team, client):
    link = invite(team, "owner", "new@example.com")
    mismatch = client.post(f"{link}/password", {"new_password1": NEW_PASSWORD, "new_password2": "something else"})
    assert mismatch.status_code == 200 and b"didn\xe2\x80\x99t match" in mismatch.content
    short = client.post(f"{link}/password", {"new_password1": "short", "new_password2": "short"})
    assert short.status_code == 200 and b"too short" in short.content
    assert not get_user_model().objects.filter(email="new@example.com").exists()
    assert Invitation.objects.get(project=team.project).accepted_at is None


def test_attack_a_another_projects_link_cannot_claim_a_person_this_project_invited(team, client):
    # V (`other`, the stranger's) invites bob first; A (`project`) then invites the same address.
    v_link = invite(team, "stranger", "bob@example.com", project=team.other)
    a_link = invite(team, "owner", "bob@example.com")
    page = client.get(a_link).content.decode()
    assert "Sign in to accept" in page and "new_password1" not in page
    assert client.post(f"{a_link}/password", CHOOSE).status_code == 403
    assert not get_user_model().objects.filter(email__iexact="bob@example.com").exists()
    assert not signs_in("bob@example.com", NEW_PASSWORD)
    owner = team.client("owner")  # A's owner, signed in as themself, is not bob
    assert owner.post(f"{a_link}/join").status_code == 403
    assert owner.get(team.url("members", team.other)).status_code == 404
    # Bob, with V's link, chooses his own password, and is in V only; A's link then asks him
    # to sign in, and joining A is his choice.
    bob = Client()
    assert bob.post(f"{v_link}/password", CHOOSE)["Location"] == team.url("threads", team.other)
    assert projects_of("bob@example.com") == {team.other.id}
    assert b"new_password1" not in client.get(a_link).content


def test_attack_a_an_account_another_project_made_gets_no_password_through_this_one(team, client):
    # An account an older Easel made for V's invitation: no password yet, a member of V.
    bob = get_user_model().objects.create_user(username="bob@example.com", email="bob@example.com")
    bob.set_unusable_password()
    bob.save()
    Membership.objects.create(project=team.other, user=bob, role="admin")
    a_link = invite(team, "owner", "bob@example.com")
    assert b"new_password1" not in client.get(a_link).content
    assert client.post(f"{a_link}/password", CHOOSE).status_code == 403
    bob.refresh_from_db()
    assert not bob.has_usable_password() and projects_of("bob@example.com") == {team.other.id}


def test_attack_b_a_password_set_through_one_project_does_not_open_another(team):
    # A invites carol first, and A's owner sets her password through A's link.
    a_link = invite(team, "owner", "carol@example.com")
    as_carol = Client()
    assert as_carol.post(f"{a_link}/password", CHOOSE).status_code == 302
    # V invites carol later: V's page answers as for anyone, and carol is not in V.
    v_link = invite(team, "stranger", "carol@example.com", project=team.other)
    assert projects_of("carol@example.com") == {team.project.id}
    assert as_carol.get(team.url("threads", team.other)).status_code == 404
    # V's link gives whoever holds it no password form and does not change carol's password.
    anyone = Client()
    assert b"Sign in to accept" in anyone.get(v_link).content
    assert anyone.post(f"{v_link}/password", {"new_password1": "x" * 20, "new_password2": "x" * 20}).status_code == 403
    assert signs_in("carol@example.com", NEW_PASSWORD)
    # Only V's link, accepted by someone signed in as carol, adds carol to V.
    assert as_carol.post(f"{v_link}/join")["Location"] == team.url("threads", team.other)
    assert projects_of("carol@example.com") == {team.project.id, team.other.id}


def test_two_honest_invitations_of_a_new_person_do_not_block_each_other(team):
    v_link = invite(team, "stranger", "dan@example.com", project=team.other)
    a_link = invite(team, "owner", "dan@example.com")
    dan = Client()
    assert b"new_password1" not in dan.get(a_link).content  # the earlier invitation sets it up
    assert dan.post(f"{v_link}/password", CHOOSE).status_code == 302
    assert dan.post(f"{a_link}/join").status_code == 302
    assert projects_of("dan@example.com") == {team.project.id, team.other.id}


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_a_staff_account_without_a_password_is_never_claimed_by_a_link(team, client, flag):
    admin = get_user_model().objects.create_user(username="root@example.com", email="root@example.com", **{flag: True})
    admin.set_unusable_password()
    admin.save()
    link = invite(team, "owner", "root@example.com")
    assert b"new_password1" not in client.get(link).content
    assert client.post(f"{link}/password", CHOOSE).status_code == 403
    admin.refresh_from_db()
    assert not admin.has_usable_password()


def test_a_member_without_a_password_is_invited_again_and_keeps_their_role(team, client):
    legacy = get_user_model().objects.create_user(username="old@example.com", email="old@example.com")
    legacy.set_unusable_password()
    legacy.save()
    Membership.objects.create(project=team.project, user=legacy, role="admin")
    link = invite(team, "owner", "old@example.com", role="reviewer")
    done = client.post(f"{link}/password", CHOOSE, follow=True)
    assert b"already a member of Studio; your role stays admin" in done.content
    assert Membership.objects.get(user=legacy).role == "admin"


@pytest.mark.parametrize("state", ["expired", "revoked", "used"])
def test_expired_revoked_and_used_links_refuse_and_say_what_to_do(team, state):
    link = invite(team, "owner", "stranger@example.com")
    change = {
        "expired": {"expires_at": timezone.now() - timedelta(seconds=1)},
        "revoked": {"revoked_at": timezone.now()},
        "used": {"accepted_at": timezone.now(), "accepted_by": team.owner},
    }[state]
    Invitation.objects.filter(project=team.project).update(**change)
    stranger = team.client("stranger")
    for response in (stranger.get(link), stranger.post(f"{link}/join"), Client().post(f"{link}/password", CHOOSE)):
        assert response.status_code == 410
        assert b"Ask an owner or admin of the project that invited you for a new link" in response.content
    assert projects_of("stranger@example.com") == {team.other.id}


def test_an_unknown_link_is_a_404_page(team, client):
    response = client.get("/accounts/invitations/" + "x" * 43)
    assert response.status_code == 404 and b"This invitation link does not work" in response.content
    assert client.post("/accounts/invitations/nothing/password", CHOOSE).status_code == 404


def test_two_accepts_at_once_use_the_link_once(studio):
    """Two threads of one process accept one link against the live server's database (a file
    or PostgreSQL, so the locks are real); each waits half a second after reading the
    invitation, so without the lock both would find it unused."""
    out = studio.live.manage("shell", "-c", "from tests.dashboard.test_invitations import race; race()")
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {"outcomes": ["accepted", "unusable"], "memberships": 1, "accepted": 1}


def race() -> None:
    """In a live server's `manage.py shell`: see test_two_accepts_at_once_use_the_link_once."""
    from django.db import connection

    from designs.models import Project
    from designs.services.invitations import InvitationUnusable, invitation_accept, invitation_create
    from designs.services.members import owner_ensure

    tag = uuid.uuid4().hex[:8]
    owner = owner_ensure(email=f"race-owner-{tag}@example.com", project_name=f"race {tag}").membership
    project: Project = owner.project
    user = get_user_model().objects.create_user(username=f"racer-{tag}@example.com", email=f"racer-{tag}@example.com")
    token = invitation_create(project=project, email=user.email, role="member", actor=owner).token
    start, outcomes = threading.Barrier(2), []

    def slow_after_reading_the_invitation(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("SELECT") and "designs_invitation" in sql:
            time.sleep(0.5)
        return result

    def accept() -> None:
        start.wait()
        try:
            with connection.execute_wrapper(slow_after_reading_the_invitation):
                invitation_accept(token=token, user=user)
            outcomes.append("accepted")
        except InvitationUnusable:
            outcomes.append("unusable")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    memberships = Membership.objects.filter(project=project, user=user).count()
    accepted = Invitation.objects.filter(project=project, accepted_at__isnull=False).count()
    print(json.dumps({"outcomes": sorted(outcomes), "memberships": memberships, "accepted": accepted}))
