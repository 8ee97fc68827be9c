"""The gallery: a project's images as a filterable grid, and one image with its lineage."""

from __future__ import annotations

from uuid import UUID

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from designs import selectors
from designs.forms import OPERATION_LABELS, REFINE_CHOICES, ComposerForm, GalleryFilterForm
from designs.media import request_base_url
from designs.models import Document, Project, Thread
from designs.services.documents import document_lineage, documents_for_project
from designs.views.access import Member, project_page, render_page
from designs.views.pictures import picture, with_edit_areas

IMAGES_PER_PAGE = 48
THREAD_CHOICES = 200


def thread_label(thread: Thread) -> str:
    named = thread.title or getattr(thread, "first_message", None)
    text = Truncator(named).chars(60) if named else f"Thread {str(thread.id)[:8]}"
    return f"{text} · {thread.created_at:%Y-%m-%d}"


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def _filter_form(request: HttpRequest, project: Project) -> GalleryFilterForm:
    threads = selectors.threads_with_images(
        project=project, limit=THREAD_CHOICES, keep=_uuid(request.GET.get("thread"))
    )
    pairs = selectors.image_models_used(project=project)
    models = [(f"{provider}/{name}", f"{name} ({provider})") for provider, name in pairs]
    return GalleryFilterForm(
        request.GET or None, threads=[(str(t.id), thread_label(t)) for t in threads], models=models
    )


def _criteria(form: GalleryFilterForm, project: Project) -> dict | None:
    """Keyword arguments for `documents_for_project`, or None when the filters have errors."""
    if not form.is_bound:
        return {}
    if not form.is_valid():
        return None
    criteria = form.criteria()
    if form.cleaned_data.get("thread"):
        criteria["thread"] = selectors.project_thread(project=project, thread_id=form.cleaned_data["thread"])
        if criteria["thread"] is None:
            form.add_error("thread", "No such thread in this project.")
            return None
    return criteria


@require_GET
@project_page
def gallery(request: HttpRequest, member: Member) -> HttpResponse:
    form = _filter_form(request, member.project)
    criteria = _criteria(form, member.project)
    status = form.cleaned_data.get("status") if criteria else None
    documents = (
        Document.objects.none()
        if criteria is None
        else selectors.pictures_only(documents_for_project(project=member.project, **criteria), review_status=status)
    )
    page = Paginator(documents, IMAGES_PER_PAGE).get_page(request.GET.get("page"))
    base = request_base_url(request)
    query = request.GET.copy()
    query.pop("page", None)
    return render_page(
        request,
        member,
        "dashboard/gallery.html",
        {
            "form": form,
            "page": page,
            "pictures": [picture(d, base) for d in page],
            "pager_query": query.urlencode(),
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
        },
        section="gallery",
    )


@require_GET
@project_page
def image_detail(request: HttpRequest, member: Member, document_id: UUID) -> HttpResponse:
    document = selectors.project_document(project=member.project, document_id=document_id)
    if document is None:
        raise Http404("No such image in this project")
    base = request_base_url(request)
    lineage = document_lineage(document=document)
    ancestors = [picture(d, base) for d, _depth in reversed(lineage.ancestors)]  # the root first
    descendants = [(depth, picture(d, base)) for d, depth in lineage.descendants]
    inputs = selectors.other_inputs(document=document)
    refine = ComposerForm(initial={"refine_document_id": document.id}) if document.thread_id else None
    return render_page(
        request,
        member,
        "dashboard/image.html",
        {
            "item": with_edit_areas([picture(document, base)])[0],
            "can_review": document.operation != Document.Operation.UPLOAD,
            "document": document,
            "operation": OPERATION_LABELS.get(document.operation, document.operation),
            "ancestors": ancestors,
            "descendants": descendants,
            "other_inputs": [picture(d, base) for d in inputs],
            "truncated": lineage.truncated,
            "refine": refine,
            **REFINE_CHOICES,
        },
        section="gallery",
    )
