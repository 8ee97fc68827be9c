"""Who may see a project page: signed-in members of the project named in the URL.

Anyone else gets the same 404 as for a project that does not exist, so project ids cannot be
probed; a member whose role does not allow an action gets a 403 page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from designs.auth import SESSION_PROJECT_KEY
from designs.models import Membership, Project
from designs.services.members import can_generate, can_manage
from designs.services.review import DECIDERS, Who


@dataclass(frozen=True)
class Member:
    """The signed-in user as a member of the project a page is about."""

    membership: Membership

    @property
    def project(self) -> Project:
        return self.membership.project

    @property
    def user(self) -> Any:
        return self.membership.user

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def can_manage(self) -> bool:
        return can_manage(self.role)

    @property
    def can_generate(self) -> bool:
        return can_generate(self.role)

    @property
    def can_decide(self) -> bool:
        """Owners, admins and reviewers approve, request changes and reject; members comment."""
        return self.role in DECIDERS

    @property
    def who(self) -> Who:
        """The member as the actor of a review action taken on a page."""
        return Who(role=self.role, via="ui", user=self.user)

    def require_manager(self, refusal: str = "Only owners and admins can do that.") -> None:
        if not self.can_manage:
            raise PermissionDenied(refusal)

    def require_generator(self) -> None:
        if not self.can_generate:
            raise PermissionDenied("Reviewers can look at threads and images but not start generations.")

    def require_decider(self) -> None:
        if not self.can_decide:
            raise PermissionDenied("Only owners, admins and reviewers decide on images; members can comment.")


View = Callable[..., HttpResponse]


def project_page(view: View) -> View:
    """Resolve `project_id` from the URL to the caller's membership and pass it as `member`.

    The project becomes the session's current project too, so API calls from the page that
    send no X-Easel-Project header act on it.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, project_id: UUID, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = (
            Membership.objects.select_related("project", "user")
            .filter(user=request.user, project_id=project_id)
            .first()
        )
        if membership is None:
            return not_found(request)
        if request.session.get(SESSION_PROJECT_KEY) != str(project_id):
            request.session[SESSION_PROJECT_KEY] = str(project_id)
        try:
            return view(request, Member(membership), *args, **kwargs)
        except Http404:
            return not_found(request)
        except PermissionDenied as exc:
            return render(request, "dashboard/error.html", {"title": "Not allowed", "message": str(exc)}, status=403)

    return wrapper


def not_found(request: HttpRequest) -> HttpResponse:
    # The API's handler404 answers JSON; a person in a browser gets a page.
    message = "There is nothing here, or you are not a member of the project it belongs to."
    return render(request, "dashboard/error.html", {"title": "Not found", "message": message}, status=404)


def user_projects(user: Any) -> list[Membership]:
    return list(Membership.objects.select_related("project").filter(user=user).order_by("project__name"))


def render_page(
    request: HttpRequest, member: Member, template: str, context: dict[str, Any], *, section: str, status: int = 200
) -> HttpResponse:
    """A dashboard page: the template with the project, the switcher's projects and the section."""
    base = {"member": member, "project": member.project, "section": section, "my_projects": user_projects(request.user)}
    return render(request, template, {**base, **context}, status=status)


def form_errors(form: Any) -> str:
    """A form's errors as one line of words, for a JSON answer or a message."""
    return " ".join(message for problems in form.errors.values() for message in problems)
