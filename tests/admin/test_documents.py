"""Documents in the admin: thumbnails in every storage and delivery mode, the filters, a
view-only page, and deleting through document_delete (files shared by documents stay)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import httpx
import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from designs.models import Document
from tests.admin.conftest import listed
from tests.dashboard.stored import new_thread, turn
from tests.documents.conftest import s3_storages

LIST = "/admin/designs/document/"


def thumbnail_sources(html: str) -> dict[str, str]:
    """{document id: its thumbnail's src} of a list page."""
    rows = re.findall(
        r'/admin/designs/document/([0-9a-f-]{36})/change/"><img class="easel-thumbnail" src="([^"]+)"', html
    )
    return {document_id: src.replace("&amp;", "&") for document_id, src in rows}


def test_thumbnail_urls_are_same_origin_even_when_the_public_url_is_another_host(staff, team, media_root, settings):
    """img-src allows 'self': the admin may be reached on an internal host, so the signed
    URL keeps its path and drops EASEL_PUBLIC_URL's origin."""
    settings.EASEL_PUBLIC_URL = "https://easel.example.com"
    _run, document = turn(new_thread(team.project), "a red kite")

    [src] = thumbnail_sources(staff.get(LIST).content.decode()).values()

    assert src.startswith(f"/api/media/{document.id}.thumb.webp?expires=")
    assert Client().get(src).status_code == 200


@pytest.mark.parametrize("delivery", ["redirect", "public"])
def test_thumbnails_load_from_a_bucket(staff, team, settings, moto, delivery):
    settings.STORAGES = s3_storages(moto, moto.new_bucket())
    settings.EASEL_MEDIA_DELIVERY = delivery
    _run, document = turn(new_thread(team.project), "a red kite")

    [src] = thumbnail_sources(staff.get(LIST).content.decode()).values()

    if delivery == "public":  # the bucket's own URL, whose origin the CSP names
        assert src.startswith(moto.endpoint)
        data = httpx.get(src).content
    else:  # Easel checks the signature, then redirects to the bucket
        answer = Client().get(src)
        assert answer.status_code == 302 and answer["Location"].startswith(moto.endpoint)
        data = httpx.get(answer["Location"]).content
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (document.thumbnail_width, document.thumbnail_height)


def test_filters_by_model_and_date_narrow_the_list(staff, team, media_root):
    thread = new_thread(team.project)
    _run, painted = turn(thread, "a kite")
    _run, other = turn(thread, "a kite", model="other-painter")
    _run, old = turn(thread, "an old kite")
    Document.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    this_year = timezone.now().year

    assert listed(staff.get(LIST).content) == {str(painted.id), str(other.id), str(old.id)}
    assert listed(staff.get(LIST, {"model": "local/other-painter"}).content) == {str(other.id)}
    assert listed(staff.get(LIST, {"model": "local/easel-local-painter"}).content) == {str(painted.id), str(old.id)}
    assert listed(staff.get(LIST, {"created_at__year": this_year}).content) == {str(painted.id), str(other.id)}
    assert listed(staff.get(LIST, {"q": "old kite"}).content) == {str(old.id)}


def test_a_document_page_is_view_only_with_its_image_and_no_file_inputs(staff, team, media_root):
    _run, document = turn(new_thread(team.project), "a red kite")
    url = f"{LIST}{document.id}/change/"

    page = staff.get(url).content.decode()
    refused = staff.post(url, {"prompt": "edited", "operation": "upload"})

    assert 'type="file"' not in page and 'name="_save"' not in page
    assert f"/api/media/{document.id}.png?expires=" in page
    assert document.file.name.replace("/", "/<wbr>") in page  # the stored key, breakable at each "/"
    assert staff.get(f"{LIST}add/").status_code == 403
    document.refresh_from_db()
    assert refused.status_code == 403 and (document.prompt, document.operation) == ("a red kite", "generate")


def test_deleting_a_document_keeps_a_file_another_document_shares(
    staff, team, media_root, django_capture_on_commit_callbacks
):
    thread = new_thread(team.project)
    _run, first = turn(thread, "a kite")
    _run, same_bytes = turn(thread, "the same kite")  # same colour, same bytes: one shared file
    files = [media_root / first.file.name, media_root / first.thumbnail.name]
    assert first.file.name == same_bytes.file.name and all(path.exists() for path in files)

    with django_capture_on_commit_callbacks(execute=True):
        answer = staff.post(f"{LIST}{first.id}/delete/", {"post": "yes"})
    assert answer.status_code == 302
    assert not Document.objects.filter(pk=first.pk).exists() and all(path.exists() for path in files)

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(LIST, {"action": "delete_selected", "_selected_action": [str(same_bytes.id)], "post": "yes"})
    assert not Document.objects.exists() and not any(path.exists() for path in files)
