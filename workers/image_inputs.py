"""What an image call works from: the documents it names, in order, and the area it may change.

Any image of the run's project may be named, from any of its threads; an id of another project
reads exactly like an unknown one. The area comes from the turn's mask (a `mask` input of the
user message, applied when the call edits the turn's first image) and from the call's own
`regions`, joined; it is kept as a `mask` document so the edit records what it was allowed to do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from designs.exceptions import Invalid, NotFound
from designs.models import Document, MessageInput, Run
from designs.services.documents import document_bytes, document_create
from designs.services.images import inspect_image
from designs.services.masks import canonical_png, edit_area, editable_area


@dataclass(frozen=True)
class Area:
    """Where an edit may change its source (255 = may change), and the document that says so."""

    editable: Image.Image
    png: bytes
    mask_document: Document
    regions: tuple[dict[str, Any], ...] = field(default=())


def named_documents(run: Run, ids: list[Any]) -> list[Document]:
    """The run's project's documents named by `ids`, in the order given, each once."""
    keys: list[uuid.UUID] = []
    for raw in ids:
        try:
            key = uuid.UUID(str(raw).strip())
        except ValueError as exc:
            raise Invalid(f"'{str(raw)[:80]}' is not a document_id") from exc
        if key not in keys:
            keys.append(key)
    found = {d.id: d for d in Document.objects.filter(id__in=keys, project_id=run.project_id)}
    missing = [str(key) for key in keys if key not in found or found[key].operation == Document.Operation.MASK]
    if missing:
        raise NotFound(f"No image with document_id {missing[0]} in this project")
    return [found[key] for key in keys]


def turn_inputs(run: Run) -> tuple[list[Document], Document | None]:
    """The images the run's user message carries (source first, then references) and its mask."""
    message = run.user_message
    masks = message.input_documents(role=MessageInput.Role.MASK)
    return message.input_documents(), (masks[0] if masks else None)


def call_area(
    run: Run,
    source: Document,
    *,
    turn_mask: Document | None,
    turn_target: Document | None,
    regions: Any,
    tool_call_id: str,
) -> Area | None:
    """The area an edit of `source` may change, or None for an edit of the whole image.

    The turn's mask applies when `source` is the turn's first image; the call's `regions` are
    added to it. A new area is stored as a `mask` document of the run.
    """
    applies = turn_mask is not None and turn_target is not None and turn_target.id == source.id
    if regions is None and not applies:
        return None
    if source.width is None or source.height is None:
        raise Invalid("the size of that image is not known, so no region of it can be edited; upload it again")
    if regions is None:
        editable = editable_area(document_bytes(turn_mask), size=(source.width, source.height))
        regions = tuple((turn_mask.metadata or {}).get("regions") or ())  # when the turn drew it
        return Area(editable, canonical_png(editable), turn_mask, regions)  # canonical: as OpenAI reads it
    mask = document_bytes(turn_mask) if applies else None
    area = edit_area(size=(source.width, source.height), mask=mask, regions=regions)
    document = document_create(
        project=run.project,
        data=area.png,
        facts=inspect_image(area.png),
        thread=run.thread,
        run=run,
        operation=Document.Operation.MASK,
        tool_call_id=f"mask:{tool_call_id}",  # a retried run finds it instead of storing it again
        metadata={"regions": list(area.regions), "applies_to": str(source.id)},
    )
    return Area(area.editable, area.png, document, area.regions)
