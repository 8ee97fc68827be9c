"""The team pages: members (invite, change role, remove) and API keys (create, revoke).

Everyone in the project can see both lists; only owners and admins can change them. A secret
(a new key, a set-password link) is kept in the session for exactly one page view after the
redirect, so a reload never shows it again and never repeats the action.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from designs.forms import ApiKeyForm, InviteForm, RoleForm
from designs.models import ApiKey, Membership
from designs.services.members import (
    assignable_roles,
    member_invite,
    member_remove,
    member_set_role,
    set_password_token,
)
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
    return render_page(
        request,
        member,
        "dashboard/members.html",
        {
            "rows": rows,
            "roles": [(value, label) for value, label in Membership.Role.choices if value in roles],
            "invite": invite or InviteForm(roles=roles),
            "invited": _take_once(request, "invite"),
        },
        section="members",
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
            invitation = member_invite(
                project=member.project,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=member.membership,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            user = invitation.membership.user
            link = ""
            if invitation.set_password:
                uidb64, token = invitation.set_password
                link = request.build_absolute_uri(reverse("password_set", args=[uidb64, token]))
            _show_once(
                request,
                "invite",
                email=user.email or user.get_username(),
                link=link,
                role=invitation.membership.get_role_display(),
                created="1" if invitation.created_user else "",
            )
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


@require_POST
@project_page
def member_link(request: HttpRequest, member: Member, membership_id: int) -> HttpResponse:
    """A fresh set-password link for a member who has never set a password (the first expired)."""
    member.require_manager()
    target = get_object_or_404(Membership.objects.select_related("user"), project=member.project, id=membership_id)
    if target.user.has_usable_password():
        return _members_page(
            request,
            member,
            problems={target.id: [f"{target.user.get_username()} already has a password; they can sign in."]},
        )
    link = request.build_absolute_uri(reverse("password_set", args=set_password_token(target.user)))
    _show_once(
        request,
        "invite",
        email=target.user.email or target.user.get_username(),
        link=link,
        role=target.get_role_display(),
        created="",
    )
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
    key, secret = api_key_create(project=member.project, name=form.cleaned_data["name"], created_by=request.user)
    _show_once(request, "key", id=str(key.id), name=key.name, secret=secret)
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
