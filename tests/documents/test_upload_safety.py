"""Every upload is sniffed, bounded, decoded in full and re-encoded before it is stored.

Bad uploads get a clear 400 (413 for size) with {"detail": ...} and leave no row and no file,
whichever of the three upload paths they come through.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from PIL import Image

from designs.models import Assistant, Document, Thread
from tests.api.conftest import row_counts
from tests.documents import images

LOCAL_IMAGE = {"image_model_provider": "local", "image_model_name": "easel-local-painter"}


def upload(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


@pytest.fixture
def thread(alpha) -> Thread:
    assistant = Assistant.objects.create(project=alpha.project, name="mine")
    return Thread.objects.create(project=alpha.project, assistant=assistant)


def send(path: str, tenant, thread: Thread, data: bytes, name: str = "picture.png"):
    """POST one file through one of the three upload paths."""
    if path == "thread_document":
        return tenant.client.post(f"/api/threads/{thread.id}/documents", {"file": upload(data, name)})
    if path == "direct_input_image":
        return tenant.client.post(
            "/api/threads/messages",
            {
                "content": "make it blue",
                "operation": "generate_image",
                "thread_id": str(thread.id),
                "input_image": upload(data, name),
                **LOCAL_IMAGE,
            },
        )
    return tenant.client.post(
        "/api/threads/messages",
        {
            "content": "look at this",
            "thread_id": str(thread.id),
            "llm_provider": "local",
            "files": upload(data, name),
            "send_to_llm": "false",  # store the turn only: in-process tests run no generation
        },
    )


PATHS = ["thread_document", "direct_input_image", "message_files"]
BAD_UPLOADS = [
    pytest.param(images.PDF, "report.png", "Not a valid PNG, JPEG, WebP or GIF", id="pdf-named-png"),
    pytest.param(images.bmp(), "old.bmp", "Not a valid PNG, JPEG, WebP or GIF", id="bmp-is-not-allowed"),
    pytest.param(images.SVG, "logo.svg", "Not a valid PNG, JPEG, WebP or GIF", id="svg"),
    pytest.param(images.SVG, "logo.png", "Not a valid PNG, JPEG, WebP or GIF", id="svg-named-png"),
    pytest.param(b"just some text, honest", "photo.png", "Not a valid", id="text-named-png"),
    pytest.param(b"", "empty.png", "Not a valid", id="empty-file"),
    pytest.param(images.truncated_png(), "cut.png", "Not a valid", id="truncated-png"),
    pytest.param(images.halves_jpeg_with_exif()[:-400], "cut.jpg", "Not a valid", id="truncated-jpeg"),
    pytest.param(images.png_bomb(), "bomb.png", "decompression bomb", id="decompression-bomb"),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("data", "name", "mentions"), BAD_UPLOADS)
def test_a_bad_upload_is_refused_and_stores_nothing(alpha, thread, media_dir, path, data, name, mentions):
    before = row_counts()

    response = send(path, alpha, thread, data, name)

    assert response.status_code == 400, response.content
    assert mentions in response.json()["detail"]
    assert row_counts() == before
    assert media_dir.files() == []


@pytest.mark.parametrize("path", PATHS)
def test_a_60_mb_upload_is_refused_with_413_before_it_is_read(alpha, thread, media_dir, path):
    before = row_counts()

    response = send(path, alpha, thread, images.png() + b"\0" * (60 * 1024 * 1024))

    assert response.status_code == 413
    assert "over the limit" in response.json()["detail"]
    assert row_counts() == before and media_dir.files() == []


@pytest.mark.parametrize("path", PATHS)
def test_the_byte_limit_per_image_is_configurable(alpha, thread, media_dir, settings, path):
    settings.EASEL_MAX_UPLOAD_BYTES = 500
    before = row_counts()

    response = send(path, alpha, thread, images.png((200, 200)) + b"\0" * 1000)

    assert response.status_code == 413
    assert "over the limit of 500 bytes" in response.json()["detail"]
    assert row_counts() == before and media_dir.files() == []


def test_the_pixel_limit_is_configurable(alpha, thread, media_dir, settings):
    settings.EASEL_MAX_IMAGE_PIXELS = 1000

    response = send("thread_document", alpha, thread, images.png((64, 48)))

    assert response.status_code == 400
    assert "64x48 pixels is over the limit of 1000 pixels" in response.json()["detail"]
    assert media_dir.files() == []


def test_an_input_image_on_a_chat_turn_is_refused(alpha, thread, media_dir):
    before = row_counts()

    response = alpha.client.post(
        "/api/threads/messages",
        {
            "content": "edit this",
            "thread_id": str(thread.id),
            "llm_provider": "local",
            "input_image": upload(images.png(), "x.png"),
        },
    )

    assert response.status_code == 400
    assert "operation=generate_image" in response.json()["detail"]
    assert row_counts() == before and media_dir.files() == []


def stored(tenant, payload: dict) -> tuple[bytes, str]:
    """The bytes Easel serves for a document (the signed URL, no API key) and their type."""
    response = tenant.client.get(payload["metadata_"]["url"], headers={"X-API-Key": ""})
    assert response.status_code == 200
    return b"".join(response.streaming_content), response["Content-Type"]


def test_exif_orientation_is_applied_and_gps_and_camera_data_are_removed(alpha, thread, media_dir):
    original = images.halves_jpeg_with_exif(orientation=6)
    assert b"SpyCam" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(images.GPS_IFD)

    response = send("thread_document", alpha, thread, original, "holiday.jpg")

    assert response.status_code == 200
    meta = response.json()["metadata_"]
    data, content_type = stored(alpha, response.json())
    image = images.decode(data)
    assert content_type == "image/jpeg" and (meta["width"], meta["height"]) == image.size == (30, 60)
    assert image.getpixel((15, 10))[0] > 200 and image.getpixel((15, 50))[2] > 200, "turned upright: red on top"
    assert not image.getexif() and b"Exif" not in data and b"SpyCam" not in data
    assert {"orientation_applied", "metadata_removed"} <= set(meta["upload"]["sanitized"])
    assert meta["upload"]["source_sha256"] == hashlib.sha256(original).hexdigest() != meta["sha256"]


def test_an_animated_gif_is_stored_as_its_first_frame_in_png(alpha, thread, media_dir):
    response = send("thread_document", alpha, thread, images.animated_gif(), "spinner.gif")

    body = response.json()
    data, content_type = stored(alpha, body)
    frame = images.decode(data)
    assert content_type == "image/png" and body["filename"].endswith(".png")
    assert getattr(frame, "n_frames", 1) == 1 and frame.convert("RGB").getpixel((5, 5)) == (250, 0, 0)
    assert body["metadata_"]["upload"]["source_mime_type"] == "image/gif"
    assert {"first_frame_only", "converted_gif_to_png"} <= set(body["metadata_"]["upload"]["sanitized"])


@pytest.mark.parametrize("trailer", [images.zip_payload(), images.HTML_PAYLOAD], ids=["zip", "html"])
def test_a_polyglot_is_accepted_only_as_a_clean_re_encode_without_its_trailer(alpha, thread, media_dir, trailer):
    polyglot = images.png((40, 40), (0, 128, 255)) + trailer

    response = send("thread_document", alpha, thread, polyglot, "innocent.png")

    assert response.status_code == 200
    data, content_type = stored(alpha, response.json())
    assert content_type == "image/png" and data.endswith(b"IEND\xaeB`\x82")
    assert trailer not in data and b"<script>" not in data and not zipfile.is_zipfile(io.BytesIO(data))
    assert images.decode(data).getpixel((20, 20)) == (0, 128, 255)
    assert all(trailer not in (media_dir.root / name).read_bytes() for name in media_dir.files())


def test_the_format_comes_from_the_bytes_not_the_name(alpha, thread, media_dir):
    response = send("thread_document", alpha, thread, images.png(), "really-a-photo.jpg")

    body = response.json()
    assert body["metadata_"]["mime_type"] == "image/png" and body["filename"].endswith(".png")
    assert body["metadata_"]["original_filename"] == "really-a-photo.jpg"


@pytest.mark.parametrize(("lossless", "chunk"), [(True, b"VP8L"), (False, b"VP8 ")])
def test_webp_keeps_its_alpha_and_its_kind_of_compression(alpha, thread, media_dir, lossless, chunk):
    response = send("thread_document", alpha, thread, images.webp(lossless), "sticker.webp")

    data, content_type = stored(alpha, response.json())
    assert content_type == "image/webp" and chunk in data[:64]
    assert images.decode(data).mode == "RGBA"


def test_message_attachments_are_cleaned_the_same_way(alpha, thread, media_dir):
    response = send("message_files", alpha, thread, images.halves_jpeg_with_exif(), "ref.jpg")

    assert response.status_code == 200
    document = Document.objects.get(project=alpha.project)
    with document.file.open("rb") as handle:
        data = handle.read()
    assert b"Exif" not in data and images.decode(data).size == (30, 60)
