"""The images a turn carries: the ones it names (any of the project's), the ones it uploads, in
order, and the area an edit of the first may change (a mask, regions, or both).

All of it is checked before anything is stored: a foreign id is "not found", a mask of the wrong
size or a region outside the image is a 400, and a model that cannot take that many images or
cannot confine an edit is named with its limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from designs.catalog import ImageModel
from designs.exceptions import Invalid, NotFound
from designs.models import Document, Message, Project, Thread
from designs.services.documents import document_bytes, document_create
from designs.services.images import CleanImage, inspect_image
from designs.services.masks import EditArea, edit_area

# The order a turn's images take: the image to edit, the named ones, then the other uploads.
LEADING_UPLOADS = ("input_image",)
TRAILING_UPLOADS = ("input_references", "files")
MAX_NAMED = 32


@dataclass(frozen=True)
class AreaRequest:
    """The turn's edit area, checked: where it came from and what it is."""

    area: EditArea
    mask_document: Document | None  # a mask the caller named, used as it is when no regions join it


def named_documents(project: Project, data: dict[str, Any], operation: str) -> list[Document]:
    """The project's documents the turn names, in order: input_image_document_id, then
    input_image_document_ids. Any thread of the project; another project's id is not found."""
    single = data.get("input_image_document_id")
    if single is not None and operation != "generate_image":
        raise Invalid("input_image_document_id is only allowed with operation=generate_image")
    ids = ([single] if single is not None else []) + list(data.get("input_image_document_ids") or [])
    if len(ids) > MAX_NAMED:
        raise Invalid(f"input_image_document_ids: {len(ids)} images is over the limit of {MAX_NAMED}")
    ids = list(dict.fromkeys(str(i) for i in ids))
    if not ids:
        return []
    found = {str(d.id): d for d in Document.objects.filter(project=project, id__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing and single is not None and missing[0] == str(single):
        raise NotFound("Document not found")
    if missing:
        raise NotFound(f"Document {missing[0]} not found (input_image_document_ids)")
    return [found[i] for i in ids]


def upload_order(images: dict[str, list[CleanImage]]) -> tuple[list[CleanImage], list[CleanImage]]:
    """(before the named documents, after them): the uploads other than the mask, in turn order."""
    lead = [image for name in LEADING_UPLOADS for image in images.get(name, [])]
    trail = [image for name in TRAILING_UPLOADS for image in images.get(name, [])]
    return lead, trail


def check_inputs(entry: ImageModel | None, count: int) -> None:
    if entry is not None and count > entry.max_reference_images:
        raise Invalid(f"{entry.key} takes at most {entry.max_reference_images} input images; {count} were given")


def area_request(
    *,
    data: dict[str, Any],
    mask_upload: CleanImage | None,
    project: Project,
    target_size: tuple[int, int] | None,
    entry: ImageModel | None,
) -> AreaRequest | None:
    """The edit area the turn asks for (mask, mask_document_id, regions), or None."""
    mask_id = data.get("mask_document_id")
    regions = data.get("regions")
    if mask_upload is None and mask_id is None and regions is None:
        return None
    if mask_upload is not None and mask_id is not None:
        raise Invalid("Send either mask or mask_document_id, not both")
    if target_size is None:
        raise Invalid("mask and regions apply to an image: name it with input_image_document_id(s) or upload it")
    if None in target_size:
        raise Invalid("mask and regions: the size of the image they apply to is not known; upload it again")
    if entry is None:
        raise Invalid("mask and regions need an image model: use operation=generate_image or image_generation=auto")
    if entry.mask == "none":
        raise Invalid(f"{entry.key} cannot edit part of an image (mask: none in the model catalog)")
    mask_document = None
    mask_bytes = mask_upload.data if mask_upload is not None else None
    if mask_id is not None:
        mask_document = Document.objects.filter(project=project, id=mask_id).first()
        if mask_document is None:
            raise NotFound("Document not found (mask_document_id)")
        mask_bytes = document_bytes(mask_document)
    area = edit_area(size=target_size, mask=mask_bytes, regions=regions)
    return AreaRequest(area, mask_document if regions is None else None)


def store_mask(
    request: AreaRequest, *, project: Project, thread: Thread, message: Message, applies_to: Document
) -> Document:
    """The mask document the turn links as its `mask` input: the caller's own, or a new one."""
    if request.mask_document is not None:
        return request.mask_document
    png = request.area.png
    return document_create(
        project=project,
        data=png,
        facts=inspect_image(png),
        thread=thread,
        message=message,
        operation=Document.Operation.MASK,
        metadata={"regions": list(request.area.regions), "applies_to": str(applies_to.id)},
    )
