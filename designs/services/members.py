"""Who is in a project and with which role: role changes, removals, owners.

The rules live here, not in the views: owners and admins manage the team; only an owner may
make or unmake an owner; a project always keeps at least one owner. How people join a project
(invitations, accepted by the invitee) is designs.services.invitations.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from designs.models import Membership, Project
from designs.services.projects import project_get_or_create

Role = Membership.Role
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})
GENERATORS = frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER})


def can_manage(role: str) -> bool:
    """Owners and admins manage members and API keys."""
    return role in MANAGERS


def can_generate(role: str) -> bool:
    """Reviewers look and comment; they do not start runs (which cost money)."""
    return role in GENERATORS


def assignable_roles(actor_role: str) -> list[str]:
    """The roles `actor_role` may give: an owner any, an admin any but owner, others none."""
    if actor_role == Role.OWNER:
        return list(Role.values)
    if actor_role == Role.ADMIN:
        return [r for r in Role.values if r != Role.OWNER]
    return []


def user_for_email(email: str) -> AbstractBaseUser | None:
    User = get_user_model()  # noqa: N806 - a class
    return (
        User.objects.filter(email__iexact=email).order_by("id").first()
        or User.objects.filter(username__iexact=email).first()
    )


@transaction.atomic
def member_set_role(*, membership: Membership, role: str, actor: Membership) -> Membership:
    check_manager(actor, membership.project)
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role}."})
    touches_owner = Role.OWNER in (membership.role, role)
    if touches_owner and actor.role != Role.OWNER:
        raise PermissionDenied("Only an owner can make or unmake an owner.")
    if membership.role == Role.OWNER and role != Role.OWNER:
        _keep_an_owner(membership, "role")
    Membership.objects.filter(pk=membership.pk).update(role=role)
    membership.role = role
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: Membership) -> None:
    """Remove someone from the project (their account stays; their threads and images too)."""
    check_manager(actor, membership.project)
    if membership.role == Role.OWNER:
        if actor.role != Role.OWNER:
            raise PermissionDenied("Only an owner can remove an owner.")
        _keep_an_owner(membership, "__all__")
    membership.delete()


def check_manager(actor: Membership, project: Project) -> None:
    """Raise PermissionDenied unless `actor` is an owner or admin of `project`."""
    if actor.project_id != project.id or not can_manage(actor.role):
        raise PermissionDenied("Only owners and admins manage members.")


NEEDS_AN_OWNER = "A project needs at least one owner: make someone else owner first."


def is_sole_owner(membership: Membership, *, lock: bool = False) -> bool:
    """Whether `membership` is its project's only owner (so it may not stop being one).

    With `lock`, the owners' rows are locked, so two owners demoting each other at once
    cannot leave none; the caller must be inside a transaction.
    """
    if membership.role != Role.OWNER:
        return False
    owners = Membership.objects.filter(project_id=membership.project_id, role=Role.OWNER)
    if lock:
        owners = owners.select_for_update()
    return not any(owner.pk != membership.pk for owner in owners)


def _keep_an_owner(membership: Membership, field: str) -> None:
    if is_sole_owner(membership, lock=True):
        raise ValidationError({field: NEEDS_AN_OWNER})


@dataclass(frozen=True)
class Owner:
    membership: Membership
    created_user: bool
    created_project: bool
    password: str | None  # set (and so printable) only when this call chose or was given it


@transaction.atomic
def owner_ensure(*, email: str, project_name: str, password: str | None = None, new_password: bool = False) -> Owner:
    """Make the person with this email an owner of the named project, creating either if needed.

    A new user gets `password` or a random one; an existing user keeps theirs unless
    `password` is given or `new_password` asks for a random one.
    """
    project, created_project = project_get_or_create(name=project_name)
    User = get_user_model()  # noqa: N806 - a class
    email = User.objects.normalize_email(email.strip())
    user = user_for_email(email)
    created_user = user is None
    if created_user:
        user = User.objects.create_user(username=email, email=email)
    if created_user or password or new_password:
        password = password or secrets.token_urlsafe(12)
        user.set_password(password)
        user.save(update_fields=["password"])
    else:
        password = None
    membership, _ = Membership.objects.update_or_create(project=project, user=user, defaults={"role": Role.OWNER})
    return Owner(membership, created_user, created_project, password)
