"""The smaller copies of an image that pages show: its thumbnail and its display size.

Each is a WebP named by its image's content, `projects/<project>/<folder>/<sha256>.webp`, and
shared, like the image, by the documents with the same bytes. One table says, for each, which
fields of Document hold it and which setting sizes it, so making, storing, releasing and
purging treat them all alike (designs.services.documents does the storing).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from designs.models import Document
from designs.services.images import Downscaled, make_webps


@dataclass(frozen=True)
class Derivative:
    field: str  # the FileField; its size is in `<field>_width` and `<field>_height`
    folder: str
    size_setting: str
    # Made even for an image no larger than its size. The thumbnail is: every media object
    # hands out its URL. The display size is not: there the original serves as well.
    always: bool

    @property
    def max_side(self) -> int:
        return getattr(settings, self.size_setting)

    def wanted(self, width: int | None, height: int | None) -> bool:
        return self.always or max(width or 0, height or 0) > self.max_side

    def name(self, project_id: Any, digest: str) -> str:
        return f"projects/{project_id}/{self.folder}/{digest}.webp"


THUMBNAIL = Derivative("thumbnail", "thumbnails", "EASEL_THUMBNAIL_SIZE", always=True)
DISPLAY = Derivative("display", "display", "EASEL_DISPLAY_SIZE", always=False)
DERIVATIVES = (THUMBNAIL, DISPLAY)
# Every field that names a stored file: a file is in use while any row names it in any of them.
FILE_FIELDS = ("file", *(derivative.field for derivative in DERIVATIVES))


@dataclass(frozen=True)
class Made:
    """A derivative made for one image, and the name it is stored under."""

    derivative: Derivative
    name: str
    image: Downscaled

    def fields(self, stored_name: str) -> dict[str, Any]:
        """The Document fields that record it, stored under `stored_name`."""
        field = self.derivative.field
        return {field: stored_name, f"{field}_width": self.image.width, f"{field}_height": self.image.height}


def derivatives_make(*, project_id: Any, digest: str, data: bytes, width: int | None, height: int | None) -> list[Made]:
    """The derivatives an image of `width`×`height` wants, made from its bytes with one decode."""
    wanted = [derivative for derivative in DERIVATIVES if derivative.wanted(width, height)]
    images = make_webps(data, [derivative.max_side for derivative in wanted])
    return [
        Made(derivative, derivative.name(project_id, digest), image)
        for derivative, image in zip(wanted, images, strict=True)
    ]


def stored_names(document: Document) -> list[str]:
    """The names of every file the document uses (its image and its derivatives)."""
    return [name for field in FILE_FIELDS if (name := getattr(document, field).name)]


def naming(name: str) -> Q:
    """Rows that use the file `name`, in any of the file fields."""
    return reduce(operator.or_, (Q(**{field: name}) for field in FILE_FIELDS))


def names_used(rows: QuerySet[Document]) -> set[str]:
    """Every file name the rows use."""
    return {name for row in rows.values_list(*FILE_FIELDS) for name in row if name}
