"""Product templates: a product photo, the print area a design may fill, what must never change,
and the print file a customization makes. Every change is a new immutable version.

Masks follow Easel's convention for the print area (transparent, or white on an opaque mask, =
where the design may go). A protect mask marks what must never change, however the print area
is drawn: white on an opaque black-and-white mask, or opaque on a mask with transparency (a
logo painted over the product). `protect_regions` (rectangles or polygons) say the same in
numbers; the dashboard sends those.
"""

from __future__ import annotations

import io
import json
import math
import uuid
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from PIL import Image, ImageChops

from designs.exceptions import Invalid, NotFound
from designs.models import Document, Project, Template, TemplateVersion
from designs.services.documents import document_bytes, document_create
from designs.services.images import inspect_image, read_upload
from designs.services.masks import parse_regions, read_mask, regions_image
from designs.services.model_choice import Choice, resolve_image_model
from designs.services.print_files import OutputSpec, effective_dpi

FORMATS = ("png", "jpeg", "tiff")
DPI_RANGE = (72, 1200)
MAX_OUTPUT_SIDE = 12000
MAX_OUTPUT_PIXELS = 64_000_000  # 8000 x 8000: 20 x 20 inches at 400 dpi, about 200 MB to render
MAX_BLEED = 2000
MAX_VARIANTS = 8
MAX_NAME = 200
MAX_PROMPT = 4000
MAX_METADATA_BYTES = 16384
ASPECT_TOLERANCE = 0.01
FIELDS = frozenset(
    {
        "name",
        "base_document_id",
        "print_area",
        "print_area_mask_document_id",
        "protect_mask_document_id",
        "protect_regions",
        "output",
        "default_prompt",
        "image_model_provider",
        "image_model_name",
        "max_variants",
        "metadata",
    }
)
JSON_FIELDS = ("print_area", "output", "metadata", "protect_regions")  # strings in a multipart form


def template_create(project: Project, data: dict[str, Any], *, base_upload: Any = None) -> TemplateVersion:
    """A new template, version 1; Invalid (nothing stored) for anything wrong."""
    with transaction.atomic():
        fields = _validated(project, _plain(data), base_upload, previous=None)
        template = Template.objects.create(project=project)
        return TemplateVersion.objects.create(template=template, project=project, version=1, **fields)


def template_update(template: Template, data: dict[str, Any], *, base_upload: Any = None) -> TemplateVersion:
    """A new version from the current one with the fields sent changed; earlier versions stay."""
    with transaction.atomic():
        template = Template.objects.select_for_update().get(id=template.id)
        if template.archived_at is not None:
            raise Invalid("This template is archived; create a new one")
        current = template_version(template)
        fields = _validated(template.project, _plain(data), base_upload, previous=current)
        template.version = current.version + 1
        template.save(update_fields=["version", "updated_at"])
        return TemplateVersion.objects.create(
            template=template, project=template.project, version=template.version, **fields
        )


def template_archive(template: Template) -> Template:
    """Archived: no new customizations; running and past ones keep working. Twice is once."""
    if template.archived_at is None:
        template.archived_at = timezone.now()
        template.save(update_fields=["archived_at", "updated_at"])
    return template


def template_get(project: Project, raw: Any) -> Template:
    try:
        key = uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound("Template not found") from exc
    template = Template.objects.filter(project=project, id=key).first()
    if template is None:
        raise NotFound("Template not found")
    return template


def template_version(template: Template, version: Any = None) -> TemplateVersion:
    """The template's current version, or the one numbered `version` (NotFound if none)."""
    if version in (None, ""):
        number = template.version
    else:
        try:
            number = int(str(version))
        except ValueError as exc:
            raise Invalid("version must be a whole number") from exc
    found = (
        TemplateVersion.objects.filter(template=template, version=number)
        .select_related("base_document", "template")
        .first()
    )
    if found is None:
        raise NotFound(f"Template {template.id} has no version {number}")
    return found


# --- geometry, read back ------------------------------------------------------------------------


def area_box(version: TemplateVersion) -> tuple[int, int, int, int]:
    area = version.print_area
    return int(area["x"]), int(area["y"]), int(area["width"]), int(area["height"])


def allowed_area(version: TemplateVersion, size: tuple[int, int] | None = None) -> Image.Image:
    """Where a customization may change the base ("L", 255 = may change): the print area less
    the protected pixels, at the base's size or scaled (nearest, so it stays black and white)."""
    base = (version.base_document.width, version.base_document.height)
    if version.print_area_mask_document_id:
        area = _black_and_white(read_mask(document_bytes(version.print_area_mask_document), size=base))
    else:
        x, y, width, height = area_box(version)
        area = Image.new("L", base, 0)
        area.paste(255, (x, y, x + width, y + height))
    if version.protect_mask_document_id:
        protected = protected_pixels(document_bytes(version.protect_mask_document), size=base)
        area = ImageChops.subtract(area, protected)
    if size is not None and size != base:
        area = area.resize(size, Image.Resampling.NEAREST)
    return area


def protected_pixels(data: bytes, *, size: tuple[int, int]) -> Image.Image:
    """A protect mask's marked pixels as "L" 255: opaque ones when it has transparency, else white."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        alpha = image.convert("RGBA").getchannel("A") if has_alpha else None
        marked = alpha if alpha is not None and alpha.getextrema()[0] < 255 else image.convert("L")
    if marked.size != tuple(size):
        raise Invalid("protect mask: it is not the size of the base image")
    return _black_and_white(marked)


def _black_and_white(mask: Image.Image) -> Image.Image:
    """A mask's pixels as in or out (255 or 0): a print area has an edge, not a fade."""
    return mask.point(lambda v: 255 if v >= 128 else 0)


def _own(document: Document) -> Any:
    """The template's own copy of a document it names (stored when the request is valid): a
    thread's or an assistant's image may be deleted with them; the template's stays. The bytes
    are stored once per project, so a copy costs a row."""
    if document.thread_id is None and document.assistant_id is None:
        return document

    def copy() -> Document:
        data = document_bytes(document)
        return document_create(
            project=document.project,
            data=data,
            facts=inspect_image(data),
            thread=None,
            operation=document.operation
            if document.operation == Document.Operation.MASK
            else Document.Operation.UPLOAD,
            original_filename=document.filename,
            metadata={**(document.metadata or {}), "copied_from": str(document.id), "template_base": True},
        )

    return copy


def template_uses(document: Document) -> TemplateVersion | None:
    """A template version that names `document` (its photo or a mask), if any."""
    return (
        TemplateVersion.objects.filter(project_id=document.project_id)
        .filter(
            models.Q(base_document=document)
            | models.Q(print_area_mask_document=document)
            | models.Q(protect_mask_document=document)
        )
        .first()
    )


# --- validation ---------------------------------------------------------------------------------


def _plain(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise Invalid(f"Unknown field(s): {', '.join(unknown)}")
    out = dict(data)
    if isinstance(out.get("max_variants"), str) and out["max_variants"].strip().isdigit():  # a form's text
        out["max_variants"] = int(out["max_variants"])
    for name in JSON_FIELDS:
        if isinstance(out.get(name), str):  # a multipart form carries objects as JSON text
            try:
                out[name] = json.loads(out[name], parse_constant=_no_constant) if out[name].strip() else None
            except ValueError as exc:
                raise Invalid(f"{name}: not valid JSON") from exc
    return out


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _validated(
    project: Project, data: dict[str, Any], base_upload: Any, *, previous: TemplateVersion | None
) -> dict[str, Any]:
    given = set(data)
    name = data.get("name", previous.name if previous else None)
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise Invalid(f"name: required, at most {MAX_NAME} characters")
    base, size = _base(project, data, base_upload, previous)
    fields: dict[str, Any] = {"name": name.strip(), "base_document": base}
    fields.update(_print_area(project, data, size, previous))
    fields["protect_mask_document"] = _protect(project, data, size, previous, given)
    output = _output(data["output"] if "output" in given else (previous.output if previous else None))
    _check_aspect(output, fields["print_area"])
    fields["output"] = output
    prompt = data.get("default_prompt", previous.default_prompt if previous else "") or ""
    if not isinstance(prompt, str) or len(prompt) > MAX_PROMPT:
        raise Invalid(f"default_prompt: text of at most {MAX_PROMPT} characters")
    fields["default_prompt"] = prompt
    fields.update(_model(project, data, previous, given))
    fields["max_variants"] = _count(data.get("max_variants", previous.max_variants if previous else 4))
    metadata = data.get("metadata", previous.metadata if previous else {}) or {}
    if not isinstance(metadata, dict) or len(json.dumps(metadata, default=str)) > MAX_METADATA_BYTES:
        raise Invalid(f"metadata: an object of at most {MAX_METADATA_BYTES} bytes as JSON")
    fields["metadata"] = metadata
    # Stored last, once everything is known to be valid: a refused request stores no file.
    return {key: value() if callable(value) else value for key, value in fields.items()}


def _image_document(project: Project, raw: Any, field: str) -> Document:
    try:
        key = uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"{field}: no image with document_id {str(raw)[:80]} in this project") from exc
    document = Document.objects.filter(project=project, id=key).first()
    if document is None or document.width is None or not (document.mime_type or "").startswith("image/"):
        raise NotFound(f"{field}: no image with document_id {key} in this project")
    return document


def _base(project: Project, data: dict[str, Any], upload: Any, previous: TemplateVersion | None) -> tuple[Any, tuple]:
    """The base document (or, for an upload, what stores it) and its size."""
    raw = data.get("base_document_id")
    if raw not in (None, "") and upload is not None:
        raise Invalid("Send either base (a file) or base_document_id, not both")
    if upload is not None:
        image = read_upload(upload, field="base")

        def store() -> Document:
            return document_create(
                project=project,
                data=image.data,
                facts=image.facts,
                thread=None,
                operation=Document.Operation.UPLOAD,
                original_filename=getattr(upload, "name", None),
                metadata={**image.provenance(), "template_base": True},
            )

        return store, (image.facts.width, image.facts.height)
    if raw not in (None, ""):
        document = _image_document(project, raw, "base_document_id")
        if document.operation == Document.Operation.MASK:
            raise Invalid("base_document_id: that document is a mask, not a product image")
        return _own(document), (document.width, document.height)
    if previous is None:
        raise Invalid("base: upload the product photo (base) or name it (base_document_id)")
    document = previous.base_document
    return document, (document.width, document.height)


def _print_area(
    project: Project, data: dict[str, Any], size: tuple[int, int], previous: TemplateVersion | None
) -> dict[str, Any]:
    rect, mask_id = data.get("print_area"), data.get("print_area_mask_document_id")
    if rect is not None and mask_id not in (None, ""):
        raise Invalid("Give the print area as print_area or print_area_mask_document_id, not both")
    if rect is None and mask_id in (None, ""):
        if previous is None:
            raise Invalid("print_area: required ({x, y, width, height} in the base image's pixels)")
        rect, mask_doc = previous.print_area, previous.print_area_mask_document
        if mask_doc is not None:
            return _mask_area(document_bytes(mask_doc), size, mask_doc)
        return {"print_area": _rectangle(rect, size), "print_area_mask_document": None}
    if rect is not None:
        return {"print_area": _rectangle(rect, size), "print_area_mask_document": None}
    document = _image_document(project, mask_id, "print_area_mask_document_id")
    area = _mask_area(document_bytes(document), size, document)
    return {**area, "print_area_mask_document": _own(document)}


def _rectangle(value: Any, size: tuple[int, int]) -> dict[str, int]:
    if not isinstance(value, dict) or set(value) - {"x", "y", "width", "height"}:
        raise Invalid("print_area: an object {x, y, width, height} in the base image's pixels")
    numbers = {}
    for key in ("x", "y", "width", "height"):
        item = value.get(key)
        if isinstance(item, bool) or not isinstance(item, int | float) or item != item or abs(item) > 10**9:
            raise Invalid(f"print_area.{key}: a whole number of pixels is required")
        if int(item) != item:
            raise Invalid(f"print_area.{key}: a whole number of pixels is required, not {item}")
        numbers[key] = int(item)
    x, y, width, height = numbers["x"], numbers["y"], numbers["width"], numbers["height"]
    if width < 1 or height < 1:
        raise Invalid(f"print_area: it is {width}x{height}; an area needs at least one pixel each way")
    if x < 0 or y < 0 or x + width > size[0] or y + height > size[1]:
        raise Invalid(
            f"print_area: x {x}..{x + width}, y {y}..{y + height} is not inside the {size[0]}x{size[1]} base image"
        )
    return numbers


def _mask_area(data: bytes, size: tuple[int, int], document: Document) -> dict[str, Any]:
    area = _black_and_white(read_mask(data, size=size))
    box = area.getbbox()
    if box is None:
        raise Invalid("print_area_mask_document_id: the mask marks no pixel as print area")
    left, top, right, bottom = box
    rect = {"x": left, "y": top, "width": right - left, "height": bottom - top}
    return {"print_area": rect, "print_area_mask_document": document}


def _protect(
    project: Project, data: dict[str, Any], size: tuple[int, int], previous: TemplateVersion | None, given: set[str]
) -> Any:
    """The protect mask document, None, or (for regions) what stores it."""
    if "protect_mask_document_id" in given and "protect_regions" in given:
        raise Invalid("Give protect_mask_document_id or protect_regions, not both")
    if "protect_regions" in given and data["protect_regions"] not in (None, []):
        regions = parse_regions(data["protect_regions"], size=size, field="protect_regions")
        protected = regions_image(regions, size)
        # Stored in the protect convention (white = protected), so it reads back like an upload.
        png = io.BytesIO()
        protected.save(png, "PNG")
        return lambda: document_create(
            project=project,
            data=png.getvalue(),
            facts=inspect_image(png.getvalue()),
            thread=None,
            operation=Document.Operation.MASK,
            metadata={"regions": regions, "protects": "template"},
        )
    if "protect_mask_document_id" in given or "protect_regions" in given:
        raw = data.get("protect_mask_document_id")
        if raw in (None, ""):
            return None
        document = _image_document(project, raw, "protect_mask_document_id")
        protected_pixels(document_bytes(document), size=size)  # the size is checked here
        return _own(document)
    document = previous.protect_mask_document if previous else None
    if document is not None and (document.width, document.height) != size:
        raise Invalid("protect mask: it is not the size of the new base image; send a new one or null")
    return document


def _output(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid("output: required, an object {width_px, height_px, dpi, format, bleed_px, min_dpi}")
    unknown = sorted(set(value) - {"width_px", "height_px", "dpi", "format", "bleed_px", "min_dpi"})
    if unknown:
        raise Invalid(f"output: unknown field(s) {', '.join(unknown)}")
    out = {
        "width_px": _whole(value.get("width_px"), "output.width_px", 1, MAX_OUTPUT_SIDE),
        "height_px": _whole(value.get("height_px"), "output.height_px", 1, MAX_OUTPUT_SIDE),
        "dpi": _whole(value.get("dpi", 300), "output.dpi", *DPI_RANGE),
        "bleed_px": _whole(value.get("bleed_px", 0), "output.bleed_px", 0, MAX_BLEED),
        "min_dpi": None,
        "format": value.get("format", "png"),
    }
    if out["width_px"] * out["height_px"] > MAX_OUTPUT_PIXELS:
        raise Invalid(f"output: {out['width_px']}x{out['height_px']} is over {MAX_OUTPUT_PIXELS:,} pixels")
    if out["format"] not in FORMATS:
        raise Invalid(f"output.format: {str(out['format'])[:40]!r} is not one of {', '.join(FORMATS)}")
    if value.get("min_dpi") is not None:
        out["min_dpi"] = _whole(value["min_dpi"], "output.min_dpi", *DPI_RANGE)
    return out


def _whole(value: Any, field: str, low: int, high: int) -> int:
    finite = isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    if isinstance(value, bool) or not finite or int(value) != value:
        raise Invalid(f"{field}: a whole number from {low} to {high} is required")
    if not low <= int(value) <= high:
        shown = int(value) if abs(value) < 10**12 else "that number"
        raise Invalid(f"{field}: {shown} is outside {low}..{high}")
    return int(value)


def _check_aspect(output: dict[str, Any], area: dict[str, int]) -> None:
    wanted = output["width_px"] / output["height_px"]
    actual = area["width"] / area["height"]
    if abs(wanted / actual - 1) > ASPECT_TOLERANCE:
        raise Invalid(
            f"output: {output['width_px']}x{output['height_px']} has aspect {wanted:.3f} but the print area "
            f"{area['width']}x{area['height']} has {actual:.3f}; they must match within 1%"
        )


def _model(project: Project, data: dict[str, Any], previous: TemplateVersion | None, given: set[str]) -> dict[str, str]:
    if "image_model_provider" in given or "image_model_name" in given:
        provider, name = data.get("image_model_provider") or "", data.get("image_model_name") or ""
    else:
        provider = previous.image_model_provider if previous else ""
        name = previous.image_model_name if previous else ""
    if provider or name:
        if not isinstance(provider, str) or not isinstance(name, str):
            raise Invalid("image_model_provider and image_model_name are strings")
        check_model(project, provider, name)
    return {"image_model_provider": provider, "image_model_name": name}


def check_model(project: Project, provider: str | None, name: str | None) -> Choice:
    """The model chosen, which must edit inside an area (a customization is a confined edit)."""
    choice, entry = resolve_image_model(provider or None, name or None, project_id=project.id)
    if not entry.supports_vision or entry.mask == "none":
        raise Invalid(f"{entry.key} cannot edit part of an image, so it cannot customize a product")
    return choice


def _count(value: Any) -> int:
    return _whole(value, "max_variants", 1, MAX_VARIANTS)


def output_spec(version: TemplateVersion) -> OutputSpec:
    return OutputSpec.from_dict(version.output)


def print_dpi(version: TemplateVersion, scale: float = 1.0) -> float:
    """The DPI the print area's pixels give at the output size (scaled for a preview's base)."""
    _x, _y, width, height = area_box(version)
    return effective_dpi((round(width * scale), round(height * scale)), output_spec(version))
