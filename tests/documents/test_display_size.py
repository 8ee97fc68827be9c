"""Each image larger than EASEL_DISPLAY_SIZE gets a second derivative besides its thumbnail: a
WebP of the size pages show it at. It is made at the same moments as the thumbnail, named by
content and shared like it, released with the last document that uses it, and kept by the
orphan purge while one does. A smaller image gets none: its original serves."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image, ImageChops, ImageDraw, ImageStat

from designs.models import Document, Project
from designs.services.documents import (
    document_create,
    document_delete,
    document_derivatives_add,
    storage_orphans_purge,
)
from designs.services.images import inspect_image
from tests.documents import images
from tests.documents.stored import generated_without_derivatives, make_thread


def scene(side: int) -> Image.Image:
    """A picture with edges, stripes and gradients, so that a wrong or blurred copy shows."""
    image = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for x in range(0, side, side // 16):
        draw.rectangle((x, 0, x + side // 64, side // 4), fill=(240, 200, 30))
    draw.ellipse((side // 5, side // 3, side * 3 // 5, side * 3 // 4), fill=(210, 40, 40))
    draw.polygon([(side * 2 // 3, side - 10), (side - 10, side // 2), (side - 10, side - 10)], fill=(20, 90, 200))
    return image


def png_of(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def stored_after_event(project: Project, data: bytes) -> Document:
    """As workers/image_tool stores a generated image: the row first, its derivatives after its event."""
    document = generated_without_derivatives(project, data)
    assert not document.display and not document.thumbnail
    return document_derivatives_add(document, data)


def uploaded(project: Project, data: bytes) -> Document:
    return document_create(project=project, data=data, facts=inspect_image(data), thread=None, operation="upload")


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel value (0-255) of two same-sized RGB images."""
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


@pytest.mark.parametrize("store", [stored_after_event, uploaded], ids=["generated", "uploaded"])
def test_a_1024_image_gets_an_832_webp_display_copy_that_looks_like_it(store, alpha, media_dir):
    original = scene(1024)

    document = Document.objects.get(id=store(alpha.project, png_of(original)).id)

    assert (document.display_width, document.display_height) == (832, 832)
    assert document.display.name == f"projects/{alpha.project.id}/display/{document.sha256}.webp"
    with document.display.open("rb") as handle:
        display = images.decode(handle.read())
    assert display.format == "WEBP" and display.size == (832, 832)
    expected = original.resize((832, 832), Image.Resampling.LANCZOS)
    # About 1.2 for WebP at its quality; a blurred copy (enlarged from a quarter size) scores about 3.
    assert mean_difference(display, expected) < 2, "the display copy is the image, downscaled, and sharp"
    assert mean_difference(display, expected.transpose(Image.Transpose.ROTATE_90)) > 20, "and the measure can tell"
    assert (document.thumbnail_width, document.thumbnail_height) == (256, 256)


def test_a_wide_image_keeps_its_proportions_in_the_display_copy(alpha, media_dir):
    document = stored_after_event(alpha.project, png_of(scene(1024).resize((1536, 1024))))

    assert (document.display_width, document.display_height) == (832, 555)


def test_an_image_no_larger_than_the_display_size_gets_no_display_copy(alpha, media_dir):
    document = stored_after_event(alpha.project, png_of(scene(600)))

    assert not document.display and document.display_width is None and document.display_height is None
    assert document.thumbnail and (document.thumbnail_width, document.thumbnail_height) == (256, 256)
    assert [name.split("/")[2] for name in media_dir.files()] == ["images", "thumbnails"]


def test_the_display_size_follows_its_setting(alpha, media_dir, settings):
    settings.EASEL_DISPLAY_SIZE = 512

    document = stored_after_event(alpha.project, png_of(scene(600)))

    assert (document.display_width, document.display_height) == (512, 512)


def test_deleting_a_document_releases_its_display_copy_unless_another_shares_it(
    alpha, local_store, django_capture_on_commit_callbacks
):
    data = png_of(scene(1024))
    first, twin = stored_after_event(alpha.project, data), uploaded(alpha.project, data)
    assert first.display.name == twin.display.name
    assert sorted(name.split("/")[2] for name in local_store.files()) == ["display", "images", "thumbnails"]

    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=first)
    assert twin.display.name in local_store.files(), "the twin still shows it"

    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=twin)
    assert local_store.files() == []


def test_the_orphan_purge_keeps_a_display_copy_while_a_document_uses_it(alpha, local_store):
    document = stored_after_event(alpha.project, png_of(scene(1024)))
    later = timezone.now() + timedelta(hours=2)

    assert storage_orphans_purge(now=later) == 0
    assert document.display.name in local_store.files()

    Document.objects.filter(id=document.id).delete()  # a row gone without releasing its files
    assert storage_orphans_purge(now=later) == 3 and local_store.files() == []


def test_a_display_copy_made_after_its_document_was_deleted_is_not_kept(
    alpha, media_dir, django_capture_on_commit_callbacks
):
    data = png_of(scene(1024))
    document = document_create(
        project=alpha.project,
        data=data,
        facts=inspect_image(data),
        thread=make_thread(alpha.project),
        operation="generate",
        thumbnail=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=document)

    document_derivatives_add(document, data)

    assert media_dir.files() == []
