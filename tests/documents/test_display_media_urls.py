"""The display copy's signed URL (`<id>.display.webp`) and the srcset pages build from an image's
copies. The URL is signed like the thumbnail's, answers WebP in each delivery mode (stream,
redirect, public), and refuses a signature made for another variant. The API's media object
does not name it: it is for pages."""

from __future__ import annotations

import io
import json

import httpx
from PIL import Image

from designs import media
from designs.models import Assistant, Document, Project, Thread
from designs.payloads import document_payload
from designs.services.documents import document_create
from designs.services.images import inspect_image
from designs.views.pictures import picture
from tests.documents import images
from tests.documents.live import with_query

BASE = "http://testserver"
NO_KEY = {"X-API-Key": ""}


def stored(project: Project, size: tuple[int, int]) -> Document:
    data = images.png(size, (30, 140, 90))
    thread = Thread.objects.create(project=project, assistant=Assistant.objects.create(project=project, name="a"))
    return document_create(project=project, data=data, facts=inspect_image(data), thread=thread, operation="generate")


def display_url(document: Document) -> str:
    url = media.page_urls(document, BASE).display
    assert url is not None, "the document has a display copy"
    return url


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_the_display_url_streams_a_webp_of_the_display_size(alpha, media_dir):
    document = stored(alpha.project, (1024, 768))
    url = display_url(document)
    assert url.startswith(f"{BASE}/api/media/{document.id}.display.webp?expires=")

    response = alpha.client.get(url, headers=NO_KEY)

    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert decoded(b"".join(response.streaming_content)).size == (832, 624)
    assert response["ETag"] == f'"{document.sha256}-display"'
    assert response["Content-Disposition"] == f'inline; filename="{document.id}.display.webp"'


def test_a_display_url_with_another_signature_is_refused(alpha, media_dir):
    document = stored(alpha.project, (1024, 1024))
    urls = media.page_urls(document, BASE)
    path = display_url(document).split("?")[0]
    refused = {
        "a changed signature": with_query(display_url(document), sig="0" * 64),
        "the original's signature": f"{path}?{urls.url.split('?')[1]}",
        "the thumbnail's signature": f"{path}?{urls.thumbnail.split('?')[1]}",
        "the display's signature on the original": f"{urls.url.split('?')[0]}?{display_url(document).split('?')[1]}",
    }

    for what, url in refused.items():
        response = alpha.client.get(url, headers=NO_KEY)
        assert response.status_code == 403, what
        assert response.json()["detail"] == "Invalid signature", what


def test_an_image_without_a_display_copy_answers_404_at_a_signed_display_url(alpha, media_dir):
    document = stored(alpha.project, (600, 600))
    assert media.page_urls(document, BASE).display is None
    url, _expires = media.signed_url(document, BASE, variant=media.DISPLAY)

    assert alpha.client.get(url, headers=NO_KEY).status_code == 404


def test_in_redirect_mode_the_display_url_leads_to_the_buckets_webp(alpha, bucket_store):
    document = stored(alpha.project, (1024, 1024))

    response = alpha.client.get(display_url(document), headers=NO_KEY)

    assert response.status_code == 302 and "X-Amz-Signature=" in response["Location"]
    fetched = httpx.get(response["Location"])
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/webp"
    assert f"{document.id}.display.webp" in fetched.headers["content-disposition"]
    assert decoded(fetched.content).size == (832, 832)


def test_in_public_mode_pages_get_the_buckets_own_display_url(alpha, bucket_store, settings):
    document = stored(alpha.project, (1024, 1024))
    settings.EASEL_MEDIA_DELIVERY = "public"
    settings.STORAGES["default"]["OPTIONS"]["querystring_auth"] = False
    settings.STORAGES = dict(settings.STORAGES)  # tell Django the storage changed
    bucket = bucket_store.bucket
    policy = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    bucket_store.moto.client().put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [policy]})
    )

    url = display_url(document)

    assert url == f"{bucket_store.moto.endpoint}/{bucket}/{document.display.name}"
    fetched = httpx.get(url)
    assert fetched.status_code == 200 and decoded(fetched.content).size == (832, 832)


def test_the_api_media_object_does_not_change(alpha, media_dir):
    document = stored(alpha.project, (1024, 1024))

    meta = document_payload(document, BASE)["metadata_"]

    assert not [key for key in meta if "display" in key]
    assert ".display.webp" not in json.dumps(meta)


# --- srcset -----------------------------------------------------------------------------------


def candidates(srcset: str) -> list[tuple[str, str]]:
    """(which file, width descriptor) of each candidate, in order."""
    out = []
    for candidate in srcset.split(", "):
        url, width = candidate.split(" ")
        kind = url.split("?")[0].rsplit("/", 1)[1].split(".", 1)[1]
        out.append((kind, width))
    return out


def test_a_large_images_srcset_offers_thumbnail_display_and_original_by_their_widths(alpha, media_dir):
    item = picture(stored(alpha.project, (1024, 768)), BASE)

    assert candidates(item.srcset) == [("thumb.webp", "256w"), ("display.webp", "832w"), ("png", "1024w")]
    assert candidates(item.large_srcset) == [("display.webp", "832w"), ("png", "1024w")]
    assert item.display_url and item.display_url in item.srcset


def test_a_smaller_images_srcset_has_no_display_copy_and_never_repeats_a_width(alpha, media_dir):
    medium = picture(stored(alpha.project, (600, 400)), BASE)
    small = picture(stored(alpha.project, (200, 100)), BASE)

    assert medium.display_url is None
    assert candidates(medium.srcset) == [("thumb.webp", "256w"), ("png", "600w")]
    assert candidates(medium.large_srcset) == [("png", "600w")]
    assert candidates(small.srcset) == [("png", "200w")], "a thumbnail as large as the image adds nothing"


def test_before_its_copies_are_made_a_generated_images_srcset_is_its_original(alpha, media_dir):
    data = images.png((1024, 1024))
    thread = Thread.objects.create(
        project=alpha.project, assistant=Assistant.objects.create(project=alpha.project, name="a")
    )
    document = document_create(
        project=alpha.project,
        data=data,
        facts=inspect_image(data),
        thread=thread,
        operation="generate",
        thumbnail=False,
    )

    assert candidates(picture(document, BASE).srcset) == [("png", "1024w")]


def test_pages_sign_the_display_url_like_the_thumbnail(alpha, media_dir):
    document = stored(alpha.project, (1024, 1024))
    urls = media.page_urls(document, BASE)

    assert urls.display.split("expires=")[1].split("&")[0] == urls.thumbnail.split("expires=")[1].split("&")[0]
    assert urls.display == media.page_urls(document, BASE).display, "stable across renders, for the cache"
