"""One image under review: large, with its prompts, model, seed, flags, lineage (and a side by
side with its parent), the comments drawn on it; deciding, commenting on a region, and applying
comments as the next edit (static/easel/review_item.js follows that run in place).

Posts answer JSON to the page's script (refusals too, with 200 and `error`, as thread_send does:
a 4xx would log a console error for a refusal the page shows anyway) and redirect a plain form
back to the page, or show it again with the refusal in words.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from designs import selectors
from designs.exceptions import DomainError
from designs.forms import OPERATION_LABELS
from designs.media import request_base_url
from designs.models import Document
from designs.review_forms import DECISION_WORDS, CommentForm, DecisionForm, ReviseForm
from designs.services import comments, review
from designs.services.documents import document_lineage
from designs.views.access import Member, form_errors, project_page, render_page
from designs.views.pictures import area_words, picture
from designs.views.review import filters_of, page_config, queue_of, status_words, wants_json

LINEAGE_SHOWN = 6  # ancestors and descendants each, nearest first


def _document(member: Member, document_id: UUID) -> Document:
    document = selectors.review_document(project=member.project, document_id=document_id)
    if document is None:
        raise Http404("No such image in this project")
    return document


def _page(request: HttpRequest, member: Member, document: Document, query: QueryDict, **forms: Any) -> HttpResponse:
    filters = filters_of(query)
    config = page_config(member, filters, documentId=str(document.id))
    base = request_base_url(request)
    queue = queue_of(query, member.project).documents
    newer, older = selectors.queue_neighbours(queue, document)
    lineage = document_lineage(document=document)
    notes = selectors.comments_on(document=document)
    for note in notes:
        note.area = area_words(note.regions)
    parent = document.parent if document.parent and document.parent.project_id == document.project_id else None
    policy = review.policy_of(member.project)
    suffix = f"?{filters}" if filters else ""
    item_url = lambda d: reverse("dashboard:review_item", args=[member.project.id, d.id]) + suffix  # noqa: E731
    return render_page(
        request,
        member,
        "dashboard/review_item.html",
        {
            "document": document,
            "item": picture(document, base),
            "parent": picture(parent, base) if parent else None,
            "operation": OPERATION_LABELS.get(document.operation, document.operation),
            "status_label": status_words(document.review_status),
            "decided": document.review_status in review.FINAL,
            "newer_version": selectors.newer_version(document=document),
            "approvals": review.approvals_of(document),
            "approvals_needed": policy.approvals_needed,
            "decisions": selectors.decisions_on(document=document),
            "notes": notes,
            "open_notes": [n for n in notes if n.resolved_at is None],
            "boxes": _boxes(notes, document),
            "ancestors": [picture(d, base) for d, _depth in reversed(lineage.ancestors[:LINEAGE_SHOWN])],
            "descendants": [picture(d, base) for d, _depth in lineage.descendants[:LINEAGE_SHOWN]],
            "newer_url": item_url(newer) if newer else "",
            "older_url": item_url(older) if older else "",
            "query": filters,
            "queue_url": reverse("dashboard:review", args=[member.project.id]) + suffix,
            "decision_form": forms.get("decision_form") or DecisionForm(),
            "comment_form": forms.get("comment_form") or CommentForm(),
            "revise_form": forms.get("revise_form") or ReviseForm(),
            "config": {
                **config,
                "newerUrl": item_url(newer) if newer else "",
                "olderUrl": item_url(older) if older else "",
            },
        },
        section="review",
    )


def _boxes(notes: list, document: Document) -> dict[str, Any]:
    """The comments' regions as the SVG over the image draws them (in the image's pixels), each
    with its comment's number in a square at its top left corner."""
    label = max(14, round(max(document.width or 0, document.height or 0) / 28))
    shapes = []
    for number, note in enumerate(notes, start=1):
        for region in note.regions or []:
            if "points" in region:
                left, top = min(p[0] for p in region["points"]), min(p[1] for p in region["points"])
                shape = {"points": " ".join(f"{x},{y}" for x, y in region["points"])}
            else:
                left, top = region["x"], region["y"]
                shape = {"x": left, "y": top, "width": region["width"], "height": region["height"]}
            shapes.append(
                {
                    **shape,
                    "note": note,
                    "number": number,
                    "label_x": left,
                    "label_y": top,
                    "text_x": left + label / 2,
                    "text_y": top + label * 0.75,
                }
            )
    return {"shapes": shapes, "label": label, "font": round(label * 0.7), "corner": round(label / 5)}


@require_GET
@project_page
def focus(request: HttpRequest, member: Member, document_id: UUID) -> HttpResponse:
    return _page(request, member, _document(member, document_id), request.GET)


def _back(member: Member, document: Document, data: QueryDict, anchor: str = "") -> HttpResponse:
    query = filters_of(QueryDict(data.get("query", "")))
    url = reverse("dashboard:review_item", args=[member.project.id, document.id])
    return redirect(url + (f"?{query}" if query else "") + anchor)


@require_POST
@project_page
def decide(request: HttpRequest, member: Member, document_id: UUID) -> HttpResponse:
    member.require_decider()
    document = _document(member, document_id)
    form = DecisionForm(request.POST)
    decided = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            decided = review.decide(document, member.who, data["decision"], reason=data["reason"])
        except DomainError as exc:
            form.add_error(None, exc.detail)
    if wants_json(request):
        if decided is None:
            return JsonResponse({"ok": False, "error": form_errors(form)})
        approvals = review.approvals_of(decided)
        return JsonResponse(
            {"ok": True, "document_id": str(decided.id), "review_status": decided.review_status, "approvals": approvals}
        )
    if decided is None:
        return _page(request, member, document, QueryDict(request.POST.get("query", "")), decision_form=form)
    words = DECISION_WORDS[form.cleaned_data["decision"]]
    still = " It still needs another approval." if decided.review_status == "pending" else ""
    messages.success(request, f"Image {words}.{still}")
    return _back(member, document, request.POST)


@require_POST
@project_page
def comment(request: HttpRequest, member: Member, document_id: UUID) -> HttpResponse:
    """A comment, on the whole image or on a rectangle of it: everyone in the project may comment."""
    document = _document(member, document_id)
    form = CommentForm(request.POST)
    note = None
    if form.is_valid():
        try:
            note = comments.comment_add(
                document, member.who, text=form.cleaned_data["text"], regions=form.cleaned_data["regions"]
            )
        except DomainError as exc:
            form.add_error("regions" if "region" in exc.detail.lower() else "text", exc.detail)
    if note is None:
        return _page(request, member, document, QueryDict(request.POST.get("query", "")), comment_form=form)
    messages.success(request, "Comment added.")
    return _back(member, document, request.POST, anchor=f"#comment-{note.id}")


@require_POST
@project_page
def revise(request: HttpRequest, member: Member, document_id: UUID) -> HttpResponse:
    """Apply the chosen comments: one edit confined to their regions, a new pending version."""
    member.require_decider()
    document = _document(member, document_id)
    form = ReviseForm(request.POST)
    turn = None
    if form.is_valid():
        try:
            turn = comments.revise(
                document,
                member.who,
                comment_ids=form.cleaned_data["comment_ids"],
                prompt=form.cleaned_data["prompt"],
                base_url=request_base_url(request),
                stream=True,
            )
        except DomainError as exc:
            form.add_error(None, exc.detail)
    if wants_json(request):
        if turn is None or turn.run is None:
            return JsonResponse({"ok": False, "error": form_errors(form) or "Nothing was started."})
        run = turn.run
        # The run's own event stream (designs/api/runs.py), which a signed-in member may follow.
        events_url = f"/api/threads/{run.thread_id}/runs/{run.id}/events"
        return JsonResponse({"ok": True, "run_id": str(run.id), "events_url": events_url})
    if turn is None:
        return _page(request, member, document, QueryDict(request.POST.get("query", "")), revise_form=form)
    count = len(form.cleaned_data["comment_ids"])
    messages.success(
        request,
        f"Applying {count} comment{'s' if count != 1 else ''}: the new version appears in the queue when it is ready.",
    )
    return _back(member, document, request.POST)
