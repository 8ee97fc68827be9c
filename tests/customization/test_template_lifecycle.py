"""A template's images outlive the threads they came from, cannot be deleted from under it, and go
with their project; a mask-shaped print area and a protect mask read as the user drew them."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from designs.exceptions import Conflict, Invalid
from designs.models import Document, Project, Template
from designs.services.documents import document_create, document_delete
from designs.services.images import inspect_image
from designs.services.projects import project_delete
from designs.services.templates import allowed_area, template_create, template_update
from designs.services.threads import assistant_default, thread_create, thread_delete
from tests.support.storage import use_local_media

OUTPUT = {"width_px": 80, "height_px": 80, "dpi": 72}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    use_local_media(settings, tmp_path / "media")


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def stored(project: Project, data: bytes, thread=None, operation: str = "upload") -> Document:
    return document_create(project=project, data=data, facts=inspect_image(data), thread=thread, operation=operation)


@pytest.fixture
def project(db) -> Project:
    return Project.objects.create(name="shop")


def test_a_photo_named_from_a_thread_stays_with_the_template_when_the_thread_is_deleted(project):
    thread = thread_create(project=project, assistant=assistant_default(project=project))
    upload = stored(project, png(Image.new("RGB", (40, 30), "white")), thread=thread)

    version = template_create(
        project,
        {
            "name": "tee",
            "base_document_id": str(upload.id),
            "print_area": {"x": 5, "y": 5, "width": 20, "height": 20},
            "output": OUTPUT,
        },
    )
    thread_delete(thread=thread)

    version.refresh_from_db()
    assert version.base_document_id != upload.id and version.base_document.thread_id is None
    assert version.base_document.metadata["copied_from"] == str(upload.id)
    with version.base_document.file.open("rb") as handle:
        assert Image.open(handle).size == (40, 30)


def test_a_templates_photo_cannot_be_deleted_while_the_template_has_it(project):
    base = stored(project, png(Image.new("RGB", (40, 30), "white")))
    version = template_create(
        project,
        {
            "name": "tee",
            "base_document_id": str(base.id),
            "print_area": {"x": 0, "y": 0, "width": 30, "height": 30},
            "output": OUTPUT,
        },
    )

    with pytest.raises(Conflict, match="product template"):
        document_delete(document=version.base_document)
    assert Document.objects.filter(id=base.id).exists()


def test_deleting_the_project_takes_its_templates_with_it(project):
    base = stored(project, png(Image.new("RGB", (40, 30), "white")))
    template_create(
        project,
        {
            "name": "tee",
            "base_document_id": str(base.id),
            "print_area": {"x": 0, "y": 0, "width": 30, "height": 30},
            "output": OUTPUT,
        },
    )

    project_delete(project=project)

    assert not Template.objects.exists() and not Document.objects.exists()


def test_a_print_area_drawn_as_a_mask_is_its_shape_less_the_protected_pixels(project):
    base = stored(project, png(Image.new("RGB", (40, 30), "white")))
    area = Image.new("L", (40, 30), 0)
    area.paste(255, (10, 5, 30, 25))  # white = print area, as every Easel mask
    protect = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    protect.paste((255, 0, 0, 255), (12, 7, 16, 9))  # opaque = protected (a logo painted over)
    mask = stored(project, png(area))
    logo = stored(project, png(protect))

    version = template_create(
        project,
        {
            "name": "tee",
            "base_document_id": str(base.id),
            "print_area_mask_document_id": str(mask.id),
            "protect_mask_document_id": str(logo.id),
            "output": OUTPUT,
        },
    )

    assert version.print_area == {"x": 10, "y": 5, "width": 20, "height": 20}
    allowed = allowed_area(version)
    assert allowed.getpixel((20, 15)) == 255 and allowed.getpixel((5, 5)) == 0
    assert allowed.getpixel((13, 8)) == 0, "a protected pixel inside the area may change"
    assert allowed.getpixel((17, 8)) == 255


def test_a_new_version_keeps_what_was_not_sent_and_refuses_a_print_area_off_the_new_photo(project):
    base = stored(project, png(Image.new("RGB", (40, 30), "white")))
    first = template_create(
        project,
        {
            "name": "tee",
            "base_document_id": str(base.id),
            "print_area": {"x": 20, "y": 0, "width": 20, "height": 20},
            "output": OUTPUT,
            "default_prompt": "a cat",
        },
    )
    small = stored(project, png(Image.new("RGB", (30, 30), "white")))

    second = template_update(first.template, {"name": "tee v2"})
    with pytest.raises(Invalid, match="not inside the 30x30 base"):
        template_update(first.template, {"base_document_id": str(small.id)})

    assert (second.version, second.name, second.default_prompt, second.print_area) == (
        2,
        "tee v2",
        "a cat",
        first.print_area,
    )
    assert Template.objects.get().version == 2
