"""The project's activity (its audit trail, newest first, with a CSV of the same filters from the
API) and its review policy (owners and admins change it; everyone else reads it)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from designs import selectors
from designs.exceptions import DomainError
from designs.media import request_base_url
from designs.models import ReviewPolicy
from designs.review_forms import AuditFilterForm, PolicyForm
from designs.services import review
from designs.views.access import Member, project_page, render_page
from designs.views.pictures import picture
from designs.views.review import status_words

ENTRIES_PER_PAGE = 50
VIA_WORDS = {"ui": "dashboard", "api": "API", "admin": "Django admin", "system": "Easel"}


@require_http_methods(["GET"])
@project_page
def activity(request: HttpRequest, member: Member) -> HttpResponse:
    actions, actors = selectors.audit_choices(project=member.project)
    params = {name: request.GET[name] for name in ("action", "actor", "document_id") if request.GET.get(name)}
    form = AuditFilterForm(params or None, actions=actions, actors=actors)
    entries = selectors.audit_trail(project=member.project).none()
    if not form.is_bound:
        entries = selectors.audit_trail(project=member.project)
    elif form.is_valid():
        entries = selectors.audit_trail(project=member.project, **{k: v for k, v in form.cleaned_data.items() if v})
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    base = request_base_url(request)
    shown = selectors.documents_by_id(project=member.project, ids=[e.document_id for e in page])
    rows = [
        {
            "entry": entry,
            "image": picture(shown[entry.document_id], base) if entry.document_id in shown else None,
            "from_words": status_words(entry.from_status) if entry.from_status else "",
            "to_words": status_words(entry.to_status) if entry.to_status else "",
            "via": VIA_WORDS.get(entry.via, entry.via),
        }
        for entry in page
    ]
    query = urlencode(params)
    return render_page(
        request,
        member,
        "dashboard/activity.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
            "filtered": bool(params),
            "csv_url": "/api/audit?" + urlencode({"format": "csv", **params}),
        },
        section="activity",
    )


@require_http_methods(["GET", "POST"])
@project_page
def policy(request: HttpRequest, member: Member) -> HttpResponse:
    """The review policy: a form for owners and admins, the same facts read-only for the rest."""
    current = review.policy_of(member.project)
    form = PolicyForm(initial=_initial(current))
    if request.method == "POST":
        member.require_manager()
        form = PolicyForm(request.POST)
        if form.is_valid():
            changes = form.changes(current)
            if not changes:
                messages.info(request, "Nothing changed.")
                return redirect("dashboard:review_policy", member.project.id)
            try:
                review.policy_update(member.project, member.who, changes)
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(request, "The review policy is saved. It applies to images made from now on.")
                return redirect("dashboard:review_policy", member.project.id)
    return render_page(
        request,
        member,
        "dashboard/review_policy.html",
        {"form": form, "policy": current, "changed_at": current.updated_at},
        section="review_policy",
    )


def _initial(current: ReviewPolicy) -> dict:
    return {
        "required": current.required,
        "gate_delivery": current.gate_delivery,
        "approvals_needed": current.approvals_needed,
        "blocked_terms": "\n".join(current.blocked_terms or []),
    }
