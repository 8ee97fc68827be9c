"""The gallery's filters (with their field errors) and an image's page with its lineage."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from designs.models import Document
from designs.services.documents import document_create
from designs.services.images import inspect_image
from tests.dashboard.stored import new_thread, png, turn


def _shown(html: bytes) -> set[str]:
    page = html.decode()
    return {d.id.hex for d in Document.objects.all() if f'class="grid-card" data-document-id="{d.id}"' in page}


def test_the_gallery_filters_by_thread_model_kind_and_date(team, media_root):
    robots, flowers = new_thread(team.project), new_thread(team.project)
    _run, red = turn(robots, "draw a red robot")
    _run, blue = turn(robots, "make it blue", parent=red)
    _run, flower = turn(flowers, "paint a sunflower", model="other-painter")
    _run, theirs = turn(new_thread(team.other), "not ours")
    Document.objects.filter(pk=flower.pk).update(created_at=timezone.now() - timedelta(days=10))
    client = team.client("reviewer")
    url = team.url("gallery")
    assert _shown(client.get(url).content) == {red.id.hex, blue.id.hex, flower.id.hex}
    assert _shown(client.get(url, {"thread": str(robots.id)}).content) == {red.id.hex, blue.id.hex}
    assert _shown(client.get(url, {"model": "local/other-painter"}).content) == {flower.id.hex}
    assert _shown(client.get(url, {"operation": "edit"}).content) == {blue.id.hex}
    week_ago = (timezone.now() - timedelta(days=7)).date().isoformat()
    assert _shown(client.get(url, {"date_from": week_ago}).content) == {red.id.hex, blue.id.hex}
    assert _shown(client.get(url, {"date_to": week_ago}).content) == {flower.id.hex}
    assert b"No image matches these filters" in client.get(url, {"operation": "upload"}).content


def test_gallery_filter_mistakes_are_field_errors(team, media_root):
    elsewhere = new_thread(team.other)
    client = team.client("member")
    url = team.url("gallery")
    bad_date = client.get(url, {"date_from": "yesterday"})
    assert b"Enter a valid date" in bad_date.content
    backwards = client.get(url, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert b"The end date is before the start date" in backwards.content
    foreign = client.get(url, {"thread": str(elsewhere.id)})
    assert b"No such thread in this project" in foreign.content
    assert b"Select a valid choice" in client.get(url, {"operation": "delete"}).content
    assert b"Enter a valid UUID" in client.get(url, {"thread": "not-a-thread"}).content


def test_an_image_page_shows_prompt_model_size_lineage_and_download(team, media_root):
    thread = new_thread(team.project)
    _run, red = turn(thread, "draw a red robot")
    _run, blue = turn(thread, "make it blue", parent=red)
    _run, green = turn(thread, "now green", parent=blue)
    page = team.client("member").get(team.url(f"images/{blue.id}")).content.decode()
    assert "make it blue" in page and "easel-local-painter" in page and "96 × 64 px" in page
    assert f'download="{blue.filename}"' in page
    chain = page[page.index('class="lineage-chain"') : page.index("Refined into</h3>")]
    assert f"/images/{red.id}" in chain and "This image" in chain
    refined = page[page.index("Refined into</h3>") :]
    assert f"/images/{green.id}" in refined
    assert f'name="refine_document_id" value="{blue.id}"' in page
    first = team.client("member").get(team.url(f"images/{red.id}")).content.decode()
    assert "Made from scratch" in first and "2 steps on" in first


def test_an_upload_is_captioned_with_its_file_name_and_never_its_uuid(team, media_root):
    data = png(colour=(20, 120, 200))
    upload = document_create(
        project=team.project,
        data=data,
        facts=inspect_image(data),
        thread=None,
        operation=Document.Operation.UPLOAD,
        original_filename="tote-bag-front.png",
    )
    client = team.client("member")

    gallery = client.get(team.url("gallery")).content.decode()
    image_page = client.get(team.url(f"images/{upload.id}")).content.decode()

    card = gallery[gallery.index(f'data-document-id="{upload.id}"') :]
    card = card[: card.index("</li>")]
    assert "tote-bag-front.png" in card and upload.filename not in card.replace(f"{upload.id}", "")
    heading = image_page[image_page.index('class="detail-title"') :]
    assert heading[: heading.index("</h1>")].endswith(">tote-bag-front.png")
    title = image_page[image_page.index("<title>") : image_page.index("</title>")]
    assert "tote-bag-front.png" in title and str(upload.id) not in title


def test_an_upload_without_a_file_name_is_called_an_uploaded_image(team, media_root):
    data = png()
    upload = document_create(
        project=team.project, data=data, facts=inspect_image(data), thread=None, operation=Document.Operation.UPLOAD
    )

    gallery = team.client("member").get(team.url("gallery")).content.decode()

    card = gallery[gallery.index(f'data-document-id="{upload.id}"') :]
    assert '<span class="grid-prompt">Uploaded image</span>' in card[: card.index("</li>")]
