"""Invitations: a per-project, single-use, expiring offer of one role, made to one email address.

Accounts are global and projects are not, so an invitation must never let one project reach
an account another project has. The rules:

- Inviting creates no account and no membership, and does not look at accounts at all, so the
  answer is the same whether or not the email has one.
- Someone joins only by accepting: signed in as the invited email, or by choosing the first
  password of an account nobody can sign in to yet, through this invitation only.
- That second way is open only when no other project could have a claim on the account: there
  is no account yet, or one that has never signed in, has no usable password, is no staff and
  is a member of no other project; and no other project invited the address earlier (the oldest
  invitation may create the account, so two honest invitations never block each other).
  Otherwise the invitee signs in first. This is what stops project A's owner, who holds A's
  link, from setting the password of a person project V invited.
- The link's token is shown once and only its SHA-256 is stored; a newer invitation for the
  same address in the same project replaces the older one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from designs.models import Invitation, Membership, Project
from designs.services.members import assignable_roles, check_manager


class InvitationUnusable(Exception):
    """The link is unknown, expired, revoked or already used."""


class WayIn(StrEnum):
    SIGN_IN = "sign_in"  # the invitee signs in as the email, then accepts
    CHOOSE_PASSWORD = "choose_password"  # this link may give the account its first password


@dataclass(frozen=True)
class Issued:
    invitation: Invitation
    token: str  # the link's secret: shown once, never stored


@dataclass(frozen=True)
class Accepted:
    membership: Membership
    joined: bool  # False: they were a member already, and their role is unchanged


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_is_live(invitation: Invitation) -> bool:
    return invitation.accepted_at is None and invitation.revoked_at is None and invitation.expires_at > timezone.now()


def _pending() -> QuerySet[Invitation]:
    return Invitation.objects.filter(accepted_at=None, revoked_at=None)


def _live() -> QuerySet[Invitation]:
    return _pending().filter(expires_at__gt=timezone.now())


def invitations_pending(*, project: Project) -> QuerySet[Invitation]:
    """Neither accepted nor revoked, oldest first; expired ones too, so an admin can renew them."""
    return _pending().filter(project=project).select_related("invited_by").order_by("created_at")


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link names, in any state (None for a token that never existed)."""
    return Invitation.objects.select_related("project").filter(token_hash=token_hash(token)).first()


def _check_can_offer(actor: Membership, project: Project, role: str) -> None:
    check_manager(actor, project)
    if role not in assignable_roles(actor.role):
        raise PermissionDenied(f"Only an owner can invite, renew or revoke an invitation as {role}.")


def _issue(*, project: Project, email: str, role: str, invited_by: Any) -> Issued:
    # Anything still pending for this address here is replaced: one live link per person.
    _pending().filter(project=project, email__iexact=email).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        project=project,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.EASEL_INVITATION_TTL_DAYS),
    )
    return Issued(invitation, token)


@transaction.atomic
def invitation_create(*, project: Project, email: str, role: str, actor: Membership) -> Issued:
    """Offer `role` in `project` to `email`. Creates no account and no membership.

    Raises PermissionDenied, or ValidationError naming the field at fault. Saying that the
    address is already a member reveals nothing: the inviter sees the project's members anyway.
    """
    check_manager(actor, project)
    if role not in assignable_roles(actor.role):
        raise ValidationError({"role": f"An {actor.role} cannot give the role {role}."})
    email = get_user_model().objects.normalize_email(email.strip())
    member = (
        Membership.objects.filter(project=project)
        .filter(Q(user__email__iexact=email) | Q(user__username__iexact=email))
        .select_related("user")
        .first()
    )
    # A member who cannot sign in (an account made by an older Easel's invitation) may be
    # invited again: the new link is how they choose a password.
    if member is not None and member.user.has_usable_password():
        raise ValidationError({"email": f"{email} is already a member of {project.name}."})
    return _issue(project=project, email=email, role=role, invited_by=actor.user)


@transaction.atomic
def invitation_reissue(*, invitation: Invitation, actor: Membership) -> Issued:
    """A new link for the same address and role; the old link stops working."""
    _check_can_offer(actor, invitation.project, invitation.role)
    return _issue(project=invitation.project, email=invitation.email, role=invitation.role, invited_by=actor.user)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Membership) -> None:
    _check_can_offer(actor, invitation.project, invitation.role)
    _pending().filter(pk=invitation.pk).update(revoked_at=timezone.now())


def _accounts(email: str) -> QuerySet[Any]:
    # The sign-in form takes an email or a username, so both name the account.
    return get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).order_by("id")


def invitation_email_matches(*, invitation: Invitation, user: Any) -> bool:
    return _accounts(invitation.email).filter(pk=user.pk).exists()


def _unclaimed(user: Any, project_id: Any) -> bool:
    """Nobody can sign in to it and no other project has it: its first password may come from here."""
    return (
        not user.has_usable_password()
        and user.is_active
        and not (user.is_staff or user.is_superuser)
        and user.last_login is None
        and not Membership.objects.filter(user=user).exclude(project_id=project_id).exists()
    )


def invitation_way_in(*, invitation: Invitation) -> WayIn:
    """How someone who is not signed in accepts: by signing in, or by choosing a password."""
    accounts = list(_accounts(invitation.email)[:2])
    if len(accounts) > 1 or (accounts and not _unclaimed(accounts[0], invitation.project_id)):
        return WayIn.SIGN_IN
    earlier_elsewhere = (
        _live()
        .filter(email__iexact=invitation.email)
        .exclude(project_id=invitation.project_id)
        .filter(Q(created_at__lt=invitation.created_at) | Q(created_at=invitation.created_at, id__lt=invitation.id))
    )
    return WayIn.SIGN_IN if earlier_elsewhere.exists() else WayIn.CHOOSE_PASSWORD


def invitation_invitee(*, invitation: Invitation) -> Any:
    """The account a chosen password would belong to (unsaved when there is none yet), for the
    password validators that compare the password with the email."""
    User = get_user_model()  # noqa: N806 - a class
    return _accounts(invitation.email).first() or User(username=invitation.email, email=invitation.email)


def _lock_live(token: str) -> Invitation:
    # The row lock (PostgreSQL) and SQLite's IMMEDIATE transactions make two accepts of one
    # link take turns; the second then finds it used.
    invitation = Invitation.objects.select_for_update().filter(token_hash=token_hash(token)).first()
    if invitation is None or not invitation_is_live(invitation):
        raise InvitationUnusable("This invitation link is unknown, expired, revoked or already used.")
    return invitation


def _join(invitation: Invitation, user: Any) -> Accepted:
    used = _pending().filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
    if used != 1:  # a second line of defence behind the lock: used once, whatever the database
        raise InvitationUnusable("This invitation link was used already.")
    membership, joined = Membership.objects.select_related("project", "user").get_or_create(
        project_id=invitation.project_id, user=user, defaults={"role": invitation.role}
    )
    return Accepted(membership, joined)


@transaction.atomic
def invitation_accept(*, token: str, user: Any) -> Accepted:
    """Join the invitation's project as the signed-in `user`, who must own the invited email.

    Raises InvitationUnusable, or PermissionDenied for an account of another address.
    """
    invitation = _lock_live(token)
    if not invitation_email_matches(invitation=invitation, user=user):
        raise PermissionDenied(f"This invitation is for {invitation.email}.")
    return _join(invitation, user)


@transaction.atomic
def invitation_accept_with_password(*, token: str, password: str) -> Accepted:
    """Give the invited address's account its first password (creating the account if there is
    none) and join the project. `password` was validated by the caller.

    Raises InvitationUnusable, or PermissionDenied when the invitee must sign in instead.
    """
    invitation = _lock_live(token)
    if invitation_way_in(invitation=invitation) != WayIn.CHOOSE_PASSWORD:
        raise PermissionDenied(f"Sign in as {invitation.email} to accept this invitation.")
    user = _accounts(invitation.email).first()
    if user is None:
        user = get_user_model().objects.create_user(username=invitation.email, email=invitation.email)
    user.set_password(password)
    user.save(update_fields=["password"])
    return _join(invitation, user)
