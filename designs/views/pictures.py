"""Images as pages show them: signed URLs that stay the same for a while, and lineage links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from designs.media import display_urls
from designs.models import Document


@dataclass
class Picture:
    """A document with its URLs, and (when asked for) its parent and children for lineage."""

    document: Document
    url: str
    thumbnail_url: str | None
    parent: Picture | None = None
    children: list[Picture] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.document.id)

    @property
    def small_url(self) -> str:
        return self.thumbnail_url or self.url

    @property
    def model(self) -> str:
        d = self.document
        return f"{d.model_provider}/{d.model_name}" if d.model_name else ""


def picture(document: Document, base: str) -> Picture:
    url, thumbnail = display_urls(document, base)
    return Picture(document, url, thumbnail)


def pictures_with_lineage(documents: Iterable[Document], base: str) -> list[Picture]:
    """Pictures for the documents, each with its parent and children (two queries in all)."""
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
    return out
