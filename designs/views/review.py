"""The review queue: a project's images waiting for a decision, newest first and filterable,
decided one at a time or many at once, and kept live by the project's feed
(static/easel/review_queue.js). Everyone in the project sees it; owners, admins and reviewers decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from designs import events, selectors
from designs.exceptions import DomainError
from designs.media import request_base_url
from designs.models import Document, Project
from designs.review_forms import DECISION_WORDS, STATUS_LABELS, BulkDecisionForm, ReviewFilterForm
from designs.services import review
from designs.views.access import Member, project_page, render_page
from designs.views.gallery import THREAD_CHOICES, thread_label
from designs.views.pictures import picture

ITEMS_PER_PAGE = 30
FILTERS = ("status", "flag", "model", "thread")
NO_ID = UUID(int=0)  # stands for a document id in URL templates the page's script fills in


@dataclass
class Queue:
    """The queue as the filters in a request shape it."""

    form: ReviewFilterForm
    documents: QuerySet[Document]  # none() while the filters have errors
    query: str  # the filters as a query string, carried to the focused view and back

    @property
    def filtered(self) -> bool:
        return bool(self.query)


def filters_of(data: QueryDict) -> str:
    """Only the queue's own filters of a query string (a form's hidden copy of it too), re-encoded."""
    return urlencode([(name, data[name]) for name in FILTERS if data.get(name)])


def queue_of(query: QueryDict, project: Project) -> Queue:
    params = QueryDict(filters_of(query))
    keep = params.get("thread")
    threads = selectors.threads_with_images(project=project, limit=THREAD_CHOICES, keep=_uuid(keep))
    models = [
        (f"{provider}/{name}", f"{name} ({provider})")
        for provider, name in selectors.image_models_used(project=project)
    ]
    form = ReviewFilterForm(
        params or None,
        threads=[(str(t.id), thread_label(t)) for t in threads],
        models=models,
        flags=selectors.flag_codes(project=project),
    )
    queue = Queue(form, Document.objects.none(), params.urlencode())
    if form.is_bound and not form.is_valid():
        return queue
    thread = None
    if form.is_bound and form.cleaned_data.get("thread"):
        thread = selectors.project_thread(project=project, thread_id=form.cleaned_data["thread"])
        if thread is None:
            form.add_error("thread", "No such thread in this project.")
            return queue
    queue.documents = selectors.review_queue(project=project, thread=thread, **form.criteria())
    return queue


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def status_words(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def page_config(member: Member, query: str, **extra: Any) -> dict[str, Any]:
    """What the review pages' scripts need: the feed to follow, from where, and URL templates."""
    project_id = member.project.id
    return {
        "projectId": str(project_id),
        "feedPosition": events.get_log().last_id(events.project_stream(project_id)),
        "noId": str(NO_ID),
        "itemUrl": reverse("dashboard:review_item", args=[project_id, NO_ID]) + (f"?{query}" if query else ""),
        "cardUrl": reverse("dashboard:review_card", args=[project_id, NO_ID]),
        "decideUrl": reverse("dashboard:review_decide", args=[project_id, NO_ID]),
        "query": query,
        "labels": {str(k): v for k, v in STATUS_LABELS.items()},
        "canDecide": member.can_decide,
        **extra,
    }


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_GET
@project_page
def queue(request: HttpRequest, member: Member) -> HttpResponse:
    # The feed's position is read first: anything decided after it is replayed to the page.
    config = page_config(member, filters_of(request.GET))
    shown = queue_of(request.GET, member.project)
    page = Paginator(shown.documents, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    base = request_base_url(request)
    status = shown.form.criteria()["status"] if not shown.form.errors else None
    return render_page(
        request,
        member,
        "dashboard/review.html",
        {
            "form": shown.form,
            "page": page,
            "items": [picture(d, base) for d in page],
            "query": shown.query,
            "filtered": shown.filtered,
            "status_words": status_words(status).lower() if status else "",
            "bulk": BulkDecisionForm(),
            # The live queue shows a new image only on its first page, and only while the filters hold.
            "config": {**config, "status": status or "", "live": page.number == 1 and not shown.form.errors},
        },
        section="review",
    )


@require_GET
@project_page
def card(request: HttpRequest, member: Member, document_id: UUID) -> HttpResponse:
    """One queue item, for the page's script to show an image the feed announced: 204 when the
    image is not in the queue the request's filters describe."""
    if selectors.review_document(project=member.project, document_id=document_id) is None:
        raise Http404("No such image in this project")
    document = queue_of(request.GET, member.project).documents.filter(id=document_id).first()
    if document is None:
        return HttpResponse(status=204)
    context = {
        "item": picture(document, request_base_url(request)),
        "project": member.project,
        "member": member,
        "query": filters_of(request.GET),
    }
    return render(request, "dashboard/_review_item.html", context)


@require_POST
@project_page
def bulk_decide(request: HttpRequest, member: Member) -> HttpResponse:
    """Approve, request changes to or reject many images at once: each on its own, so one that
    is already decided (or not this project's) fails alone, in words."""
    member.require_decider()
    form = BulkDecisionForm(request.POST)
    results: list[dict[str, Any]] = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            results = review.bulk_decide(
                member.project, member.who, data["document_ids"], data["decision"], reason=data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, exc.detail)
    error = " ".join(m for ms in form.errors.values() for m in ms)
    if wants_json(request):
        return JsonResponse({"results": results, "error": error})
    back = reverse("dashboard:review", args=[member.project.id]) + _query(request.POST)
    if error:
        messages.error(request, error)
        return redirect(back)
    done = [r for r in results if r["ok"]]
    if done:
        decision = DECISION_WORDS[form.cleaned_data["decision"]]
        messages.success(request, f"{len(done)} image{'s' if len(done) != 1 else ''} {decision}.")
    for failed in [r for r in results if not r["ok"]][:5]:
        messages.error(request, failed["detail"])
    return redirect(back)


def _query(data: QueryDict) -> str:
    """The queue's filters a form carried in its hidden `query` field, as "?…" (or "")."""
    query = filters_of(QueryDict(data.get("query", "")))
    return f"?{query}" if query else ""
