"""Round trips through each storage backend, over a live server: the filesystem, and a real
S3-compatible server (moto, over HTTP). Signed URLs, shared bytes and deletions behave the same
on both; on S3 the bytes come straight from the bucket."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.documents import images
from tests.documents.live import (
    api,
    direct,
    fetch,
    new_thread,
    resigned,
    sha256,
    upload,
    with_query,
)


def test_an_upload_round_trips_through_storage_and_its_url_needs_no_api_key(store):
    client = api(store.live)
    thread_id = new_thread(client)

    document = upload(client, thread_id, images.png((300, 200), (10, 120, 240)), "sky.png")

    meta = document["metadata_"]
    response = fetch(meta["url"])
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert sha256(response.content) == meta["sha256"] == document["metadata_"]["sha256"]
    assert images.decode(response.content).getpixel((150, 100)) == (10, 120, 240)
    digest = meta["sha256"]
    stored = [name.split("/", 2)[2] for name in store.files("projects/") if digest in name]
    assert stored == [f"images/{digest}.png", f"thumbnails/{digest}.webp"], "named by content, per project"


def test_each_image_has_a_small_webp_thumbnail_with_its_own_signed_url(store):
    client = api(store.live)

    document = upload(client, new_thread(client), images.png((1200, 600), (200, 200, 0)))

    meta = document["metadata_"]
    response = fetch(meta["thumbnail_url"])
    thumbnail = images.decode(response.content)
    assert response.status_code == 200 and response.headers["content-type"] == "image/webp"
    assert thumbnail.format == "WEBP" and thumbnail.size == (256, 128)
    assert (meta["thumbnail_width"], meta["thumbnail_height"]) == (256, 128)
    assert fetch(with_query(meta["thumbnail_url"], sig="0" * 64)).status_code == 403


def test_generated_images_are_stored_in_the_same_backend(store):
    client = api(store.live)

    media = direct(client, "a green triangle on white", image_config={"size": "96x64"})

    response = fetch(media["url"])
    assert response.status_code == 200 and sha256(response.content) == media["sha256"]
    assert images.decode(response.content).size == (96, 64)
    assert any(name.endswith(f"images/{media['sha256']}.png") for name in store.files())
    assert fetch(media["thumbnail_url"]).headers["content-type"] == "image/webp"


def test_identical_bytes_are_stored_once_and_deleting_one_document_keeps_the_other(store):
    client = api(store.live)
    data = images.png((50, 50), (uuid.uuid4().int % 256, 7, 7))
    first = upload(client, new_thread(client), data)
    second = upload(client, new_thread(client), data)
    digest = first["metadata_"]["sha256"]
    assert first["document_id"] != second["document_id"] and digest == second["metadata_"]["sha256"]
    assert len([n for n in store.files() if digest in n]) == 2, "one image and one thumbnail, shared"

    assert client.delete(f"/documents/{first['document_id']}").status_code == 200

    assert fetch(first["metadata_"]["url"]).status_code == 404
    assert fetch(second["metadata_"]["url"]).status_code == 200
    assert len([n for n in store.files() if digest in n]) == 2
    client.delete(f"/documents/{second['document_id']}")
    assert _eventually(lambda: not [n for n in store.files() if digest in n])


def _eventually(check, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_expired_and_tampered_urls_are_refused_with_403(store):
    client = api(store.live)
    a = upload(client, new_thread(client), images.png((20, 20), (1, 1, 1)))["metadata_"]
    b = upload(client, new_thread(client), images.png((20, 20), (2, 2, 2)))["metadata_"]
    b_id = b["url"].rsplit("/", 1)[-1].split(".")[0]
    a_id = a["url"].rsplit("/", 1)[-1].split(".")[0]

    refused = {
        "expired": resigned(store.live, a["url"]),
        "expired thumbnail": resigned(store.live, a["thumbnail_url"], subject=f"{a_id}/thumbnail"),
        "signature changed": with_query(a["url"], sig="f" * 64),
        "expiry extended": with_query(a["url"], expires=str(int(time.time()) + 10 * 365 * 86400)),
        "signature missing": a["url"].split("?")[0],
        "another document's signature": a["url"].replace(a_id, b_id),
        "the original's signature on the thumbnail": a["thumbnail_url"].split("?")[0] + "?" + a["url"].split("?")[1],
    }

    for what, url in refused.items():
        response = httpx.get(url, timeout=10)
        assert response.status_code == 403, what
        assert response.json()["detail"], what
    assert httpx.get(refused["expired"], timeout=10).json()["detail"] == "This media URL has expired"
    assert fetch(resigned(store.live, a["url"], expires=int(time.time()) + 60)).status_code == 200


def test_media_responses_carry_type_etag_and_cache_headers(store):
    client = api(store.live)
    meta = upload(client, new_thread(client), images.png((30, 30), (3, 4, 5)))["metadata_"]

    first = httpx.get(meta["url"], timeout=10)

    if store.kind == "s3":
        # Easel checks the signature and the document, then sends the client to the bucket.
        assert first.status_code == 302 and first.headers["location"].startswith(store.moto.endpoint)
        assert "X-Amz-Signature=" in first.headers["location"] and "X-Amz-Expires=300" in first.headers["location"]
        assert first.headers["cache-control"] == "private, max-age=150"
        from_bucket = httpx.get(first.headers["location"], timeout=10)
        assert from_bucket.status_code == 200 and from_bucket.headers["content-type"] == "image/png"
        assert "immutable" in from_bucket.headers["cache-control"] and from_bucket.headers["etag"]
        return
    assert first.status_code == 200
    assert first.headers["etag"] == f'"{meta["sha256"]}"'
    assert first.headers["cache-control"] == "private, max-age=3600, immutable"
    assert first.headers["x-content-type-options"] == "nosniff"
    assert first.headers["content-length"] == str(len(first.content))
    again = httpx.get(meta["url"], headers={"If-None-Match": first.headers["etag"]}, timeout=10)
    assert again.status_code == 304 and not again.content


def test_deleting_a_document_makes_its_urls_404_and_removes_its_files(store):
    client = api(store.live)
    document = upload(client, new_thread(client), images.png((21, 21), (uuid.uuid4().int % 256, 9, 9)))
    meta = document["metadata_"]

    body = client.delete(f"/documents/{document['document_id']}").json()

    assert body == {"message": "Document deleted successfully", "document_id": document["document_id"]}
    assert httpx.get(meta["url"], timeout=10).status_code == 404
    assert httpx.get(meta["thumbnail_url"], timeout=10).status_code == 404
    assert client.get(f"/documents/{document['document_id']}/status").status_code == 404
    assert _eventually(lambda: not [n for n in store.files() if meta["sha256"] in n])


@pytest.mark.parametrize("container", ["thread", "assistant"])
def test_deleting_a_thread_or_assistant_leaves_no_file_of_its_documents(store, container):
    key, project_id = store.new_project(f"cascade-{uuid.uuid4().hex[:8]}")
    client = api(store.live, key)
    thread_id = new_thread(client)
    original = upload(client, thread_id, images.png((40, 40), (200, 10, 10)))
    edit = direct(client, "make it blue", thread_id=thread_id, input_image_document_id=original["document_id"])
    assistant_id = client.get(f"/threads/{thread_id}").json()["assistant_id"]
    assert len(store.files(f"projects/{project_id}/")) == 4

    path = f"/threads/{thread_id}" if container == "thread" else f"/assistants/{assistant_id}"
    assert client.delete(path).status_code == 200

    assert fetch(original["metadata_"]["url"]).status_code == 404 and fetch(edit["url"]).status_code == 404
    assert client.get("/documents").json() == {"documents": [], "total": 0}
    assert _eventually(lambda: store.files(f"projects/{project_id}/") == [])


def test_healthz_checks_the_storage_in_use(store):
    body = httpx.get(f"{store.live.base_url}/healthz", timeout=10).json()

    assert body["storage"] == {"ok": True, "backend": "S3Storage" if store.kind == "s3" else "FileSystemStorage"}
