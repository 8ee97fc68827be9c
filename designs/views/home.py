"""The way in: `/` goes to the current project's threads; the project switcher."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from designs.auth import SESSION_PROJECT_KEY
from designs.views.access import user_projects

SECTIONS = {"threads", "gallery", "review", "activity", "members", "keys", "review_policy", "templates", "usage"}


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = user_projects(request.user)
    if not memberships:
        return render(request, "dashboard/no_projects.html", {"my_projects": []})
    current = request.session.get(SESSION_PROJECT_KEY)
    chosen = next((m for m in memberships if str(m.project_id) == current), memberships[0])
    return redirect("dashboard:threads", chosen.project_id)


@require_POST
@login_required
def switch_project(request: HttpRequest) -> HttpResponse:
    """Go to the same section of another of the user's projects (unknown ids: back home)."""
    wanted = request.POST.get("project", "")
    membership = next((m for m in user_projects(request.user) if str(m.project_id) == wanted), None)
    if membership is None:
        return redirect("dashboard:home")
    section = request.POST.get("section")
    return redirect(f"dashboard:{section if section in SECTIONS else 'threads'}", membership.project_id)
