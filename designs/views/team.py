"""The team pages: members (invite, change role, remove; pending invitations: revoke, renew)
and API keys (create, revoke).

Everyone in the project can see the lists; only owners and admins can change them. A secret
(a new key, an invitation link) is kept in the session for exactly one page view after the
redirect, so a reload never shows it again and never repeats the action.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from designs.forms import ApiKeyForm, InviteForm, RoleForm
from designs.models import ApiKey, Invitation, Membership
from designs.services.invitations import (
    Issued,
    invitation_create,
    invitation_reissue,
    invitation_revoke,
    invitations_pending,
)
from designs.services.members import assignable_roles, member_remove, member_set_role
from designs.services.projects import api_key_create, api_key_revoke
from designs.views.access import Member, project_page, render_page

ONCE_KEY = "easel_show_once"


def _show_once(request: HttpRequest, kind: str, **values: str) -> None:
    request.session[ONCE_KEY] = {"kind": kind, **values}


def _take_once(request: HttpRequest, kind: str) -> dict | None:
    stored = request.session.get(ONCE_KEY)
    if not stored or stored.get("kind") != kind:
        return None
    del request.session[ONCE_KEY]
    return stored


def _add_errors(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        for problem in problems:
            form.add_error(None if field == "__all__" or field not in form.fields else field, problem)


# --- Members ---------------------------------------------------------------------------------


def _members_page(
    request: HttpRequest,
    member: Member,
    invite: InviteForm | None = None,
    problems: dict[int, list[str]] | None = None,
) -> HttpResponse:
    roles = assignable_roles(member.role)
    memberships = Membership.objects.filter(project=member.project).select_related("user").order_by("created_at")
    rows = [
        {
            "membership": m,
            "is_me": m.user_id == request.user.id,
            "editable": member.can_manage and (m.role != Membership.Role.OWNER or member.role == Membership.Role.OWNER),
            "errors": (problems or {}).get(m.id, []),
        }
        for m in memberships
    ]
    now = timezone.now()
    pending = [
        {"invitation": i, "expired": i.expires_at <= now, "editable": member.can_manage and i.role in roles}
        for i in invitations_pending(project=member.project)
    ]
    return render_page(
        request,
        member,
        "dashboard/members.html",
        {
            "rows": rows,
            "pending": pending,
            "roles": [(value, label) for value, label in Membership.Role.choices if value in roles],
            "invite": invite or InviteForm(roles=roles),
            "invited": _invited(request),
        },
        section="members",
    )


def _invited(request: HttpRequest) -> dict | None:
    shown = _take_once(request, "invite")
    if shown:
        shown["expires_at"] = datetime.fromisoformat(shown["expires"])
    return shown


def _show_link(request: HttpRequest, issued: Issued, *, renewed: bool) -> None:
    invitation = issued.invitation
    _show_once(
        request,
        "invite",
        email=invitation.email,
        role=invitation.get_role_display(),
        link=request.build_absolute_uri(reverse("invitation", args=[issued.token])),
        expires=invitation.expires_at.isoformat(),
        renewed="1" if renewed else "",
    )


@require_GET
@project_page
def members(request: HttpRequest, member: Member) -> HttpResponse:
    return _members_page(request, member)


@require_POST
@project_page
def member_add(request: HttpRequest, member: Member) -> HttpResponse:
    member.require_manager()
    form = InviteForm(request.POST, roles=assignable_roles(member.role))
    if form.is_valid():
        try:
            issued = invitation_create(
                project=member.project,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=member.membership,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            # The same answer whether or not the address has an account: nothing here looks.
            _show_link(request, issued, renewed=False)
            return redirect("dashboard:members", member.project.id)
    return _members_page(request, member, invite=form)


@require_POST
@project_page
def member_role(request: HttpRequest, member: Member, membership_id: int) -> HttpResponse:
    member.require_manager()
    target = get_object_or_404(
        Membership.objects.select_related("project", "user"), project=member.project, id=membership_id
    )
    form = RoleForm(request.POST, prefix=f"m{target.id}")
    problems: list[str] = []
    if form.is_valid():
        try:
            member_set_role(membership=target, role=form.cleaned_data["role"], actor=member.membership)
        except ValidationError as exc:
            problems = [p for ps in exc.message_dict.values() for p in ps]
        else:
            messages.success(request, f"{target.user.get_username()} is now {target.get_role_display().lower()}.")
            return redirect("dashboard:members", member.project.id)
    else:
        problems = [p for ps in form.errors.values() for p in ps]
    return _members_page(request, member, problems={target.id: problems})


@require_POST
@project_page
def member_delete(request: HttpRequest, member: Member, membership_id: int) -> HttpResponse:
    member.require_manager()
    target = get_object_or_404(
        Membership.objects.select_related("project", "user"), project=member.project, id=membership_id
    )
    try:
        member_remove(membership=target, actor=member.membership)
    except ValidationError as exc:
        return _members_page(request, member, problems={target.id: [p for ps in exc.message_dict.values() for p in ps]})
    messages.success(request, f"{target.user.get_username()} was removed from {member.project.name}.")
    if target.user_id == request.user.id:
        return redirect("dashboard:home")
    return redirect("dashboard:members", member.project.id)


def _pending_invitation(member: Member, invitation_id: UUID) -> Invitation:
    # Another project's invitation, or one already used or revoked, is not there: 404.
    return get_object_or_404(
        Invitation.objects.select_related("project"),
        project=member.project,
        id=invitation_id,
        accepted_at=None,
        revoked_at=None,
    )


@require_POST
@project_page
def invite_revoke(request: HttpRequest, member: Member, invitation_id: UUID) -> HttpResponse:
    member.require_manager()
    invitation = _pending_invitation(member, invitation_id)
    invitation_revoke(invitation=invitation, actor=member.membership)
    messages.success(request, f"The invitation for {invitation.email} is revoked: its link no longer works.")
    return redirect("dashboard:members", member.project.id)


@require_POST
@project_page
def invite_renew(request: HttpRequest, member: Member, invitation_id: UUID) -> HttpResponse:
    """A new link for a pending invitation (the old one stops working): lost, or expired."""
    member.require_manager()
    issued = invitation_reissue(invitation=_pending_invitation(member, invitation_id), actor=member.membership)
    _show_link(request, issued, renewed=True)
    return redirect("dashboard:members", member.project.id)


# --- API keys --------------------------------------------------------------------------------


def _keys_page(request: HttpRequest, member: Member, form: ApiKeyForm | None = None) -> HttpResponse:
    keys = ApiKey.objects.filter(project=member.project).select_related("created_by").order_by("-created_at")
    return render_page(
        request,
        member,
        "dashboard/keys.html",
        {
            "keys": keys,
            "form": form or ApiKeyForm(),
            "created": _take_once(request, "key"),
        },
        section="keys",
    )


@require_GET
@project_page
def keys(request: HttpRequest, member: Member) -> HttpResponse:
    return _keys_page(request, member)


@require_POST
@project_page
def key_create(request: HttpRequest, member: Member) -> HttpResponse:
    member.require_manager()
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _keys_page(request, member, form)
    key, secret = api_key_create(
        project=member.project,
        name=form.cleaned_data["name"],
        created_by=request.user,
        role=form.cleaned_data["role"],
    )
    _show_once(request, "key", id=str(key.id), name=key.name, secret=secret, role=key.role)
    return redirect("dashboard:keys", member.project.id)


@require_POST
@project_page
def key_revoke(request: HttpRequest, member: Member, key_id: UUID) -> HttpResponse:
    member.require_manager()
    key = get_object_or_404(ApiKey, project=member.project, id=key_id)
    api_key_revoke(key=key)
    messages.success(
        request,
        f"Key {key.prefix}… {f'({key.name}) ' if key.name else ''}is revoked: requests that use it now get 401.",
    )
    return redirect("dashboard:keys", member.project.id)
