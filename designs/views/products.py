"""Product templates in the dashboard: the list; a new one in two steps (upload the product
photo, then drag the print area and any protect areas on the stored photo); one template (its
photo with the areas outlined, its output, versions and customizations); editing it into a new
version; archiving it; and starting a customization from it. The customization page itself is
designs/views/customizations.py's.

Reviewers look; owners, admins and members make templates and customizations. A refusal from
a service is shown in words next to the form, with everything typed kept.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designs import selectors
from designs.exceptions import DomainError, NotFound
from designs.media import request_base_url
from designs.models import Document, Template, TemplateVersion
from designs.product_forms import (
    CUSTOMIZE_FIELDS,
    TEMPLATE_FIELDS,
    CustomizeForm,
    PhotoForm,
    TemplateForm,
    error_field,
    version_initial,
)
from designs.services import templates as services
from designs.services.customizations import customization_start
from designs.services.documents import document_create
from designs.services.images import read_upload
from designs.views.access import Member, project_page, render_page
from designs.views.pictures import picture

CUSTOMIZATIONS_SHOWN = 50


def print_size(output: dict[str, Any]) -> str:
    """ "4 × 5 in @ 300 dpi": the print's size at its DPI."""
    dpi = output["dpi"]

    def inches(pixels: int) -> str:
        return f"{pixels / dpi:.2f}".rstrip("0").rstrip(".")

    return f"{inches(output['width_px'])} × {inches(output['height_px'])} in @ {dpi} dpi"


def _template(member: Member, template_id: UUID) -> Template:
    try:
        return services.template_get(member.project, template_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def _photo(member: Member, raw: Any) -> Document:
    """The product photo a new version is drawn on: an image of this project, never a mask."""
    try:
        document = selectors.review_document(project=member.project, document_id=UUID(str(raw)))
    except ValueError:
        document = None
    if document is None or not document.width:
        raise Http404("No such photo in this project")
    return document


def _show(form: Any, detail: str, fields: tuple) -> None:
    """A service's refusal beside the field it names (and at the top of the form when none)."""
    field = error_field(detail, fields)
    form.add_error(field if field in form.fields else None, detail)


@require_GET
@project_page
def template_list(request: HttpRequest, member: Member) -> HttpResponse:
    archived = request.GET.get("archived") == "1"
    base = request_base_url(request)
    versions = selectors.templates_current(project=member.project, archived=archived)
    rows = [(version, picture(version.base_document, base), print_size(version.output)) for version in versions]
    context = {
        "rows": rows,
        "archived": archived,
        "archived_count": selectors.archived_template_count(project=member.project),
    }
    return render_page(request, member, "dashboard/templates.html", context, section="templates")


def _form_page(
    request: HttpRequest, member: Member, *, photo: Document | None, form: Any, template: Template | None = None
) -> HttpResponse:
    """The new-template page (step 1 without a photo, step 2 with one) or the edit page."""
    version = services.template_version(template) if template else None
    context = {
        "photo": picture(photo, request_base_url(request)) if photo else None,
        "photo_form": form if photo is None else None,
        "form": form if photo is not None else None,
        "template": template,
        "version": version,
        # A print area shaped by a mask image, or an uploaded protect mask, is kept when untouched.
        "mask_area": bool(version and version.print_area_mask_document_id),
        "uploaded_protect": bool(version and version.protect_mask_document_id and not _protect_regions(version)),
    }
    return render_page(request, member, "dashboard/template_form.html", context, section="templates")


@require_http_methods(["GET", "POST"])
@project_page
def template_new(request: HttpRequest, member: Member) -> HttpResponse:
    """Step 1 (no photo yet: upload it), step 2 (?photo=: draw on it), and step 2 sent."""
    member.require_generator()
    if request.method == "POST":
        return _create(request, member)
    if "photo" not in request.GET:
        return _form_page(request, member, photo=None, form=PhotoForm())
    photo = _photo(member, request.GET["photo"])
    return _form_page(request, member, photo=photo, form=TemplateForm(initial={"base_document_id": photo.id}))


@require_POST
@project_page
def template_photo(request: HttpRequest, member: Member) -> HttpResponse:
    """Step 1: the product photo, stored as an upload of the project, to draw on in step 2."""
    member.require_generator()
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["photo"]
        try:
            image = read_upload(upload, field="Product photo")
        except DomainError as exc:
            form.add_error("photo", exc.detail)
        else:
            document = document_create(
                project=member.project,
                data=image.data,
                facts=image.facts,
                thread=None,
                operation=Document.Operation.UPLOAD,
                original_filename=upload.name,
                metadata={**image.provenance(), "template_base": True},
            )
            return redirect(reverse("dashboard:template_new", args=[member.project.id]) + f"?photo={document.id}")
    return _form_page(request, member, photo=None, form=form)


def _create(request: HttpRequest, member: Member) -> HttpResponse:
    """Step 2 sent: the template, version 1; refused in words with nothing stored."""
    form = TemplateForm(request.POST)
    photo = _photo(member, request.POST.get("base_document_id"))
    version = None
    if form.is_valid():
        try:
            version = services.template_create(member.project, form.template_data())
        except DomainError as exc:
            _show(form, exc.detail, TEMPLATE_FIELDS)
    if version is None:
        return _form_page(request, member, photo=photo, form=form)
    messages.success(request, f"Template “{version.name}” is ready: start a customization below.")
    return redirect("dashboard:template", member.project.id, version.template_id)


def _protect_regions(version: TemplateVersion) -> list | None:
    mask = version.protect_mask_document
    return (mask.metadata or {}).get("regions") if mask else None


@require_http_methods(["GET", "POST"])
@project_page
def template_edit(request: HttpRequest, member: Member, template_id: UUID) -> HttpResponse:
    """Edit the current version into the next one (earlier versions stay as they were)."""
    member.require_generator()
    template = _template(member, template_id)
    current = services.template_version(template)
    if request.method == "GET":
        form = TemplateForm(initial=version_initial(current))
        return _form_page(request, member, photo=current.base_document, form=form, template=template)
    form = TemplateForm(request.POST)
    photo = _photo(member, request.POST.get("base_document_id"))
    version = None
    if form.is_valid():
        data = form.template_data()
        if current.print_area_mask_document_id and data["print_area"] == current.print_area:
            del data["print_area"]  # untouched: the mask's shape stays
        if data["protect_regions"] is None and current.protect_mask_document_id and not _protect_regions(current):
            del data["protect_regions"]  # none drawn: the uploaded protect mask stays
        try:
            version = services.template_update(template, data)
        except DomainError as exc:
            _show(form, exc.detail, TEMPLATE_FIELDS)
    if version is None:
        return _form_page(request, member, photo=photo, form=form, template=template)
    messages.success(request, f"Saved as version {version.version}. Customizations started before keep theirs.")
    return redirect("dashboard:template", member.project.id, template.id)


@require_POST
@project_page
def template_archive(request: HttpRequest, member: Member, template_id: UUID) -> HttpResponse:
    member.require_generator()
    template = services.template_archive(_template(member, template_id))
    name = services.template_version(template).name
    messages.success(request, f"“{name}” is archived: it starts no new customizations. Past ones are kept.")
    return redirect("dashboard:templates", member.project.id)


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def shapes(version: TemplateVersion) -> dict[str, Any]:
    """The print area and the protect rectangles, as the SVG over the photo draws them."""
    regions = [r for r in _protect_regions(version) or [] if isinstance(r, dict)]
    protect = [{k: _number(r[k]) for k in ("x", "y", "width", "height")} for r in regions if "width" in r]
    polygons = [" ".join(f"{_number(x)},{_number(y)}" for x, y in r["points"]) for r in regions if "points" in r]
    return {"area": version.print_area, "protect": protect, "polygons": polygons, "count": len(protect) + len(polygons)}


def _detail(
    request: HttpRequest, member: Member, template: Template, version: TemplateVersion, customize: CustomizeForm | None
) -> HttpResponse:
    current = version.version == template.version
    if customize is None and current:
        customize = CustomizeForm(initial={"prompt": version.default_prompt}, most=version.max_variants)
    context = {
        "template": template,
        "version": version,
        "current": current,
        "photo": picture(version.base_document, request_base_url(request)),
        "shapes": shapes(version),
        "print_size": print_size(version.output),
        "print_dpi": round(services.print_dpi(version)),
        "versions": selectors.template_versions(template=template),
        "customize_form": customize,
        "customizations": selectors.template_customizations(template=template, limit=CUSTOMIZATIONS_SHOWN),
    }
    return render_page(request, member, "dashboard/template.html", context, section="templates")


@require_GET
@project_page
def template_detail(request: HttpRequest, member: Member, template_id: UUID) -> HttpResponse:
    template = _template(member, template_id)
    try:
        version = services.template_version(template, request.GET.get("version"))
    except DomainError as exc:
        raise Http404(exc.detail) from exc
    return _detail(request, member, template, version, None)


@require_POST
@project_page
def template_customize(request: HttpRequest, member: Member, template_id: UUID) -> HttpResponse:
    """Start a customization of the current version and go to its page, where it arrives live."""
    member.require_generator()
    template = _template(member, template_id)
    version = services.template_version(template)
    form = CustomizeForm(request.POST, most=version.max_variants)
    started = None
    if form.is_valid():
        try:
            started = customization_start(
                member.project, form.start_data(template.id), base_url=request_base_url(request), api_key=None
            )
        except DomainError as exc:
            _show(form, exc.detail, CUSTOMIZE_FIELDS)
    if started is None:
        return _detail(request, member, template, version, form)
    return redirect("dashboard:customization", member.project.id, started.customization.id)
