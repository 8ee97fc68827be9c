"""Images as pages show them: signed URLs that stay the same for a while, and lineage links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from designs.media import page_urls
from designs.models import Document


@dataclass
class Picture:
    """A document with its URLs, and (when asked for) its parent and children for lineage."""

    document: Document
    url: str
    thumbnail_url: str | None
    display_url: str | None = None  # None: no display size (the image is small enough, or not made yet)
    parent: Picture | None = None
    children: list[Picture] = field(default_factory=list)
    mask_regions: list | None = None  # the regions of its edit's mask, when its edit_area lists none

    @property
    def id(self) -> str:
        return str(self.document.id)

    @property
    def small_url(self) -> str:
        return self.thumbnail_url or self.url

    @property
    def srcset(self) -> str:
        """Every size a browser may choose from, by width: thumbnail, display size, original."""
        d = self.document
        return _srcset([(self.thumbnail_url, d.thumbnail_width), (self.display_url, d.display_width)], self)

    @property
    def large_srcset(self) -> str:
        """The sizes for a large view: the display size and the original."""
        return _srcset([(self.display_url, self.document.display_width)], self)

    @property
    def model(self) -> str:
        d = self.document
        return f"{d.model_provider}/{d.model_name}" if d.model_name else ""

    @property
    def edit_note(self) -> str:
        """For an edit confined to an area: "Edited inside a 160×80 area"; else ""."""
        area = (self.document.metadata or {}).get("edit_area")
        if not isinstance(area, dict):
            return ""
        words = area_words(area.get("regions")) or area_words(self.mask_regions)
        return f"Edited {words or 'inside a marked area'}"


def _srcset(smaller: list[tuple[str | None, int | None]], item: Picture) -> str:
    """`srcset` of the smaller copies that exist and are smaller than the original, then the
    original ("" when the original's width is unknown: its `src` serves alone)."""
    width = item.document.width
    if not width:
        return ""
    chosen = [(url, w) for url, w in smaller if url and w and w < width]
    return ", ".join(f"{url} {w}w" for url, w in [*chosen, (item.url, width)])


def area_words(regions: Any) -> str:
    """ "inside a 160×80 area": the size of the box around the regions, in the image's pixels."""
    boxes = [_box(region) for region in regions or [] if isinstance(region, dict)]
    boxes = [box for box in boxes if box is not None]
    if not boxes:
        return ""
    width = max(b[2] for b in boxes) - min(b[0] for b in boxes)
    height = max(b[3] for b in boxes) - min(b[1] for b in boxes)
    return f"inside a {round(width)}×{round(height)} area"


def _box(region: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """(left, top, right, bottom) of a stored rectangle or polygon."""
    try:
        if "points" in region:
            xs, ys = zip(*region["points"], strict=True)
            return min(xs), min(ys), max(xs), max(ys)
        x, y = float(region["x"]), float(region["y"])
        return x, y, x + float(region["width"]), y + float(region["height"])
    except (KeyError, TypeError, ValueError):
        return None


def picture(document: Document, base: str) -> Picture:
    urls = page_urls(document, base)
    return Picture(document, urls.url, urls.thumbnail, urls.display)


def with_edit_areas(pictures: list[Picture]) -> list[Picture]:
    """Fill in `mask_regions` where a confined edit names its mask but not its regions (an edit
    confined by the turn records the area on the turn's mask), in one query."""
    wanted: dict[str, str] = {}  # picture id -> its mask's id
    for item in pictures:
        area = (item.document.metadata or {}).get("edit_area")
        if isinstance(area, dict) and not area.get("regions") and area.get("mask_document_id"):
            wanted[item.id] = str(area["mask_document_id"])
    if not wanted:
        return pictures
    project_id = pictures[0].document.project_id
    masks = Document.objects.filter(project_id=project_id, id__in=set(wanted.values()))
    regions = {str(mask.id): (mask.metadata or {}).get("regions") for mask in masks}
    for item in pictures:
        if item.id in wanted:
            item.mask_regions = regions.get(wanted[item.id])
    return pictures


def pictures_with_lineage(documents: Iterable[Document], base: str) -> list[Picture]:
    """Pictures for the documents, each with its parent and children, and the areas of confined
    edits (two queries in all, a third when an edit names its area only by its mask)."""
    documents = list(documents)
    children: dict[object, list[Document]] = defaultdict(list)
    if documents:
        project_id = documents[0].project_id
        for child in Document.objects.filter(project_id=project_id, parent__in=documents).order_by("created_at"):
            children[child.parent_id].append(child)
    parent_ids = {d.parent_id for d in documents if d.parent_id}
    parents = {
        p.id: p for p in Document.objects.filter(id__in=parent_ids, project_id__in={d.project_id for d in documents})
    }
    out = []
    for document in documents:
        item = picture(document, base)
        if document.parent_id in parents:
            item.parent = picture(parents[document.parent_id], base)
        item.children = [picture(child, base) for child in children[document.id]]
        out.append(item)
    return with_edit_areas(out)
