"""Threads: the list (search, newest first), a conversation, and sending a turn from it."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from designs import selectors
from designs.exceptions import Conflict, DomainError, LimitReached
from designs.forms import MAX_ATTACHMENTS, REFINE_CHOICES, ComposerForm, ThreadSearchForm, turn_error_field
from designs.media import request_base_url
from designs.models import Document, Message, Project, Thread
from designs.services.model_choice import keyless_providers
from designs.services.threads import assistant_default, thread_create
from designs.services.turns import turn_accept
from designs.views.access import Member, project_page, render_page
from designs.views.conversation import conversation
from designs.views.pictures import area_words, picture

THREADS_PER_PAGE = 25
PICKER_SIZE = 24  # the newest images of the project the composer offers to attach
NO_ID = UUID(int=0)  # stands for a document id in URL templates the page's script fills in
BUSY = "This thread is still generating: wait for the reply to finish, or stop it."
NOT_MADE = (Document.Operation.UPLOAD, Document.Operation.MASK)  # not images a thread made
CROWDED = "This project is generating as many replies at once as it may ({limit}): try again when one finishes."


def _threads(project: Project, query: str) -> QuerySet[Thread]:
    threads = Thread.objects.filter(project=project)
    if query:
        mentioned = Message.objects.filter(project=project, content__icontains=query).values("thread_id")
        threads = threads.filter(Q(title__icontains=query) | Q(id__in=mentioned))
    made = Document.objects.filter(thread=OuterRef("pk")).exclude(operation__in=NOT_MADE)
    first_user = Message.objects.filter(thread=OuterRef("pk"), role=Message.Role.USER).order_by("seq")
    counted = made.order_by().values("thread").annotate(n=Count("id")).values("n")
    return threads.annotate(
        first_message=Subquery(first_user.values("content")[:1]),
        cover_id=Subquery(made.order_by("-created_at").values("id")[:1]),
        image_count=Subquery(counted[:1]),
    ).order_by("-created_at", "-id")


@require_GET
@project_page
def thread_list(request: HttpRequest, member: Member) -> HttpResponse:
    search = ThreadSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    page = Paginator(_threads(member.project, query), THREADS_PER_PAGE).get_page(request.GET.get("page"))
    covers = Document.objects.filter(project=member.project, id__in=[t.cover_id for t in page if t.cover_id])
    base = request_base_url(request)
    cover_of = {d.id: picture(d, base) for d in covers}
    rows = [(thread, cover_of.get(thread.cover_id)) for thread in page]
    return render_page(
        request,
        member,
        "dashboard/threads.html",
        {
            "search": search,
            "query": query,
            "page": page,
            "rows": rows,
            "pager_query": urlencode({"q": query}) if query else "",
        },
        section="threads",
    )


@require_POST
@project_page
def thread_new(request: HttpRequest, member: Member) -> HttpResponse:
    member.require_generator()
    thread = thread_create(project=member.project, assistant=assistant_default(project=member.project))
    return redirect("dashboard:thread", member.project.id, thread.id)


@require_GET
@project_page
def thread_detail(request: HttpRequest, member: Member, thread_id: UUID) -> HttpResponse:
    thread = get_object_or_404(Thread, project=member.project, id=thread_id)
    return _thread_page(request, member, thread, ComposerForm())


def _thread_page(request: HttpRequest, member: Member, thread: Thread, form: ComposerForm) -> HttpResponse:
    base = request_base_url(request)
    talk = conversation(thread, base)
    recent = selectors.recent_pictures(project=member.project, limit=PICKER_SIZE) if member.can_generate else []
    config = {
        "projectId": str(member.project.id),
        "threadId": str(thread.id),
        "feedPosition": talk.feed_position,
        "activeRunId": str(talk.active_run.id) if talk.active_run else None,
        "imageUrl": reverse("dashboard:image", args=[member.project.id, NO_ID]),
        "noId": str(NO_ID),
        "maxAttachments": MAX_ATTACHMENTS,
    }
    first = next((t.user.content for t in talk.turns if t.user and t.user.content), "")
    return render_page(
        request,
        member,
        "dashboard/thread.html",
        {
            "thread": thread,
            "talk": talk,
            "form": form,
            "config": config,
            "title": thread.title or first or "New thread",
            "recent": [picture(d, base) for d in recent],
            "picked": set(form["input_image_document_ids"].value() or []) if form.is_bound else set(),
            **REFINE_CHOICES,
            # Owners and admins are pointed at Settings when a picker marks models "(no key)".
            "keyless": keyless_providers(member.project.id) if member.can_manage else [],
        },
        section="threads",
    )


def _refusal(exc: DomainError) -> tuple[str | None, str]:
    """The form field (None: the whole form) and the words a refused turn shows on the page:
    the dashboard's own sentences for a busy thread or project, the detail for the rest."""
    if isinstance(exc, LimitReached):
        return None, CROWDED.format(limit=settings.EASEL_MAX_RUNS_PER_PROJECT)
    if isinstance(exc, Conflict):
        return None, BUSY
    return turn_error_field(exc.detail), exc.detail


@require_POST
@project_page
def thread_send(request: HttpRequest, member: Member, thread_id: UUID) -> HttpResponse:
    """One turn from the page: JSON for the page's script, a redirect (or the page with the
    form's errors) for a browser without it. Field errors answer 200, as Django's form views
    do: a 4xx would put an error in the browser console for every typo."""
    thread = get_object_or_404(Thread, project=member.project, id=thread_id)
    member.require_generator()
    form = ComposerForm(request.POST, request.FILES)
    turn = None
    if form.is_valid():
        try:
            turn = turn_accept(
                project=member.project,
                data={**form.turn_data(), "thread_id": str(thread.id)},
                uploads=form.uploads(),
                base_url=request_base_url(request),
            )
        except DomainError as exc:
            form.add_error(*_refusal(exc))
    wants_json = "application/json" in request.headers.get("Accept", "")
    if turn is None:
        if wants_json:
            return JsonResponse({"errors": form.errors.get_json_data()})
        return _thread_page(request, member, thread, form)
    if not wants_json:
        return redirect("dashboard:thread", member.project.id, thread.id)
    base = request_base_url(request)
    attached = [picture(d, base) for d in turn.attachments]
    chips = [{"document_id": p.id, "thumbnail_url": p.small_url} for p in attached]
    refines = chips[0] if form.cleaned_data["refine_document_id"] and chips else None
    return JsonResponse(
        {
            "thread_id": str(thread.id),
            "run_id": str(turn.run.id) if turn.run else None,
            "user_message_id": str(turn.user_message.id),
            "content": turn.user_message.content,
            "refines": refines,
            "attachments": [] if refines else chips,
            "area_note": area_words(form.cleaned_data.get("regions")),
        },
        status=201,
    )
