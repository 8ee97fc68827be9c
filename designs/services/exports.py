"""A made variant handed out for production: the print file or the mockup.

The print file is the print area's pixels at the template version's output size (the version the
customization pinned), refused when they are too few for the output's `min_dpi`. Pixels of the
area that are not print (outside a mask-shaped area, or protected) are left out: transparent in
PNG and TIFF, white in JPEG. The mockup is the product with the design, at display size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from designs.models import Customization, Document
from designs.services.documents import document_bytes
from designs.services.print_files import MIME, OutputSpec, effective_dpi, mockup, print_file
from designs.services.templates import allowed_area, area_box

MOCKUP_MAX_SIDE = 1600


class LowResolution(Exception):
    """The variant's print area has too few pixels for the template's minimum DPI: the export
    view answers 422 with `code: low_resolution` and both numbers (more than a DomainError's
    `detail`, so not one)."""

    def __init__(self, effective: float, needed: int) -> None:
        self.detail = (
            f"low_resolution: the print area's pixels print at {effective:.0f} DPI at the output size, "
            f"below the template's min_dpi of {needed}; export a final-tier variant or lower min_dpi"
        )
        super().__init__(self.detail)
        self.effective = round(effective, 1)
        self.needed = needed


@dataclass(frozen=True)
class Exported:
    data: bytes
    mime_type: str
    filename: str


def export(customization: Customization, document: Document, kind: str) -> Exported:
    version = customization.template_version
    data = document_bytes(document)
    stem = f"{_slug(version.name)}-{str(document.id)[:8]}"
    if kind == "mockup":
        return Exported(mockup(data, MOCKUP_MAX_SIDE), "image/jpeg", f"{stem}-mockup.jpg")
    spec = OutputSpec.from_dict(version.output)
    scale = document.width / version.base_document.width  # a preview is the base made smaller
    x, y, width, height = (round(v * scale) for v in area_box(version))
    width, height = max(1, width), max(1, height)
    dpi = effective_dpi((width, height), spec)
    if spec.min_dpi and dpi < spec.min_dpi:
        raise LowResolution(dpi, spec.min_dpi)
    shaped = version.print_area_mask_document_id or version.protect_mask_document_id
    mask = allowed_area(version, size=(document.width, document.height)) if shaped else None
    out = print_file(data, (x, y, width, height), spec, mask=mask)
    extension = {"jpeg": "jpg", "tiff": "tif"}.get(spec.format, spec.format)
    return Exported(out, MIME[spec.format], f"{stem}-print.{extension}")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "template"
