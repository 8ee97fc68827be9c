"""The page an invitation link opens, and the two ways to accept it.

Which page a visitor sees depends only on who they are and on the invitation's address (the
rules are designs.services.invitations): signed in as that address, a Join button; signed in
as someone else, a Sign out; not signed in, a password form when the link may give the account
its first password, else a Sign in that comes back here. Accepting is always a POST.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from designs.models import Invitation, Membership
from designs.services.invitations import (
    Accepted,
    InvitationUnusable,
    WayIn,
    invitation_accept,
    invitation_accept_with_password,
    invitation_email_matches,
    invitation_for_token,
    invitation_invitee,
    invitation_is_live,
    invitation_way_in,
)
from designs.signin import guard_token_link

TEMPLATE = "registration/invitation.html"
# Several backends are configured (sign-in lockout first); a password just chosen signs in here.
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _unusable(request: HttpRequest, invitation: Invitation | None) -> HttpResponse:
    # One page for every dead link; 404 for a token that never existed, 410 for one that did.
    return render(request, TEMPLATE, {"state": "unusable"}, status=404 if invitation is None else 410)


def _page(
    request: HttpRequest, invitation: Invitation, token: str, form: SetPasswordForm | None = None, status: int = 200
) -> HttpResponse:
    context = {"invitation": invitation, "token": token, "here": reverse("invitation", args=[token])}
    if request.user.is_authenticated:
        if invitation_email_matches(invitation=invitation, user=request.user):
            context["state"] = "join"
            context["membership"] = Membership.objects.filter(project=invitation.project, user=request.user).first()
        else:
            context["state"] = "other_account"
    elif invitation_way_in(invitation=invitation) == WayIn.CHOOSE_PASSWORD:
        context["state"] = "choose_password"
        context["form"] = form or SetPasswordForm(invitation_invitee(invitation=invitation))
    else:
        context["state"] = "sign_in"
    return render(request, TEMPLATE, context, status=status)


def _joined(request: HttpRequest, accepted: Accepted) -> HttpResponse:
    membership = accepted.membership
    if accepted.joined:
        messages.success(request, f"You joined {membership.project.name} as {membership.get_role_display().lower()}.")
    else:
        messages.success(
            request,
            f"You were already a member of {membership.project.name}; your role stays "
            f"{membership.get_role_display().lower()}.",
        )
    return redirect("dashboard:threads", membership.project_id)


@require_GET
@guard_token_link
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    found = invitation_for_token(token)
    if found is None or not invitation_is_live(found):
        return _unusable(request, found)
    return _page(request, found, token)


@require_POST
@guard_token_link
def invitation_join(request: HttpRequest, token: str) -> HttpResponse:
    """Accept as the signed-in user (who must be the invited address)."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("invitation", args=[token]))
    found = invitation_for_token(token)
    try:
        accepted = invitation_accept(token=token, user=request.user)
    except InvitationUnusable:
        return _unusable(request, found)
    except PermissionDenied:
        return _page(request, found, token, status=403)
    return _joined(request, accepted)


@require_POST
@guard_token_link
def invitation_password(request: HttpRequest, token: str) -> HttpResponse:
    """Choose the account's first password, join, and sign in. A plain function view, so the
    sign-in lockout can wrap it like the login form."""
    found = invitation_for_token(token)
    if found is None or not invitation_is_live(found):
        return _unusable(request, found)
    if request.user.is_authenticated:
        return redirect("invitation", token)  # signed in: accept as that account, or sign out
    if invitation_way_in(invitation=found) != WayIn.CHOOSE_PASSWORD:
        return _page(request, found, token, status=403)  # the page says: sign in instead
    form = SetPasswordForm(invitation_invitee(invitation=found), request.POST)
    if not form.is_valid():
        return _page(request, found, token, form=form)
    try:
        accepted = invitation_accept_with_password(token=token, password=form.cleaned_data["new_password1"])
    except InvitationUnusable:
        return _unusable(request, found)
    except PermissionDenied:
        return _page(request, found, token, status=403)  # it changed meanwhile: sign in
    login(request, accepted.membership.user, backend=PASSWORD_BACKEND)
    return _joined(request, accepted)
