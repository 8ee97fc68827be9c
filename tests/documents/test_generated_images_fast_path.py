"""A generated image is announced as soon as its file is verified and stored; its thumbnail is
made just after. Until then the thumbnail URL is the image's own, so no URL an event carries
ever names a missing file. A plain PNG is checked for completeness by walking its scanlines
(not by a second decode), and refuses whatever a full decode would refuse."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from PIL import Image

from designs.models import Document
from designs.payloads import media_payload
from designs.services.documents import document_create, document_delete, document_derivatives_add
from designs.services.images import NotAnImage, check_decodes, inspect_header, inspect_image
from tests.documents import images
from tests.documents.live import LOCAL_IMAGE, api, fetch, new_thread
from tests.documents.stored import generated_without_derivatives, make_thread


def test_until_its_thumbnail_is_made_an_image_hands_out_its_own_url_as_the_thumbnail(alpha, local_store):
    data = images.png((600, 300), (9, 99, 199))
    document = generated_without_derivatives(alpha.project, data)

    before = media_payload(document, "http://testserver")
    assert before["thumbnail_url"] == before["url"]
    assert (before["thumbnail_width"], before["thumbnail_height"]) == (600, 300)
    assert [name.rsplit("/", 2)[1] for name in local_store.files()] == ["images"]

    document_derivatives_add(document, data)

    after = media_payload(Document.objects.get(id=document.id), "http://testserver")
    assert ".thumb.webp" in after["thumbnail_url"] or "thumbnails/" in after["thumbnail_url"]
    assert (after["thumbnail_width"], after["thumbnail_height"]) == (256, 128)
    assert sorted(name.rsplit("/", 2)[1] for name in local_store.files()) == ["images", "thumbnails"]


def test_a_thumbnail_made_after_its_document_was_deleted_is_not_kept(
    alpha, local_store, django_capture_on_commit_callbacks
):
    data = images.png((40, 40), (1, 2, 3))
    document = generated_without_derivatives(alpha.project, data)
    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=document)

    document_derivatives_add(document, data)

    assert local_store.files() == []


def test_an_image_whose_pixels_do_not_decode_leaves_no_file_and_no_document(alpha, local_store):
    """The full decode runs while the file is written; when it fails, the file goes too."""
    cut = flip_idat(noisy_png())  # chunks and CRCs are right: only a full decode tells
    facts = inspect_header(cut)
    with pytest.raises(NotAnImage):
        check_decodes(cut)

    def refuse() -> None:
        check_decodes(cut)

    with pytest.raises(NotAnImage):
        document_create(
            project=alpha.project,
            data=cut,
            facts=facts,
            thread=make_thread(alpha.project),
            operation="generate",
            thumbnail=False,
            on_stored=refuse,
        )
    assert local_store.files() == [] and not Document.objects.filter(project=alpha.project).exists()


def test_a_generated_images_event_urls_answer_at_once_and_its_thumbnail_follows(store):
    client = api(store.live)
    body = {"content": "a blue kite", "operation": "generate_image", "stream": True, **LOCAL_IMAGE}
    events = []
    with client.stream("POST", f"/threads/{new_thread(client)}/messages", json=body) as response:
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            events.append(json.loads(line[6:]))
            if events[-1]["type"] == "media_generated":  # fetched before the run goes on
                media = events[-1]["media"]
                assert fetch(media["url"]).status_code == 200
                assert fetch(media["thumbnail_url"]).status_code == 200

    [ended] = [e for e in events if e["type"] == "run_ended"]
    [final] = ended["generated_media"]
    thumbnail = fetch(final["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/webp"
    assert final["thumbnail_url"] != final["url"]


# --- the completeness check -------------------------------------------------------------------


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    found, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        found.append((data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return found


def assemble(parts: list[tuple[bytes, bytes]]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in parts:
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return out


def with_scanlines(data: bytes, change) -> bytes:
    """The PNG with its inflated image data passed through `change`, recompressed, CRCs right."""
    parts = chunks(data)
    raw = zlib.decompress(b"".join(body for kind, body in parts if kind == b"IDAT"))
    idat = zlib.compress(change(raw))
    rest = [(kind, body) for kind, body in parts if kind != b"IDAT"]
    return assemble([rest[0], (b"IDAT", idat), *rest[1:]])


def noisy_png(size=(64, 32), mode="RGB") -> bytes:
    image = Image.frombytes(mode, size, bytes((i * 37) % 251 for i in range(size[0] * size[1] * len(mode))))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "name, broken",
    [
        ("cut short", lambda data: data[: len(data) * 2 // 3]),
        ("a bad filter type", lambda data: with_scanlines(data, lambda raw: raw[: 1 + 64 * 3] + b"\x09" + raw[194:])),
        ("a flipped byte under a right CRC", lambda data: flip_idat(data)),
    ],
)
def test_a_broken_png_is_refused(name, broken):
    data = broken(noisy_png())
    with pytest.raises(NotAnImage):
        inspect_image(data)


def flip_idat(data: bytes) -> bytes:
    parts = chunks(data)
    kind, body = next(p for p in parts if p[0] == b"IDAT")
    middle = len(body) // 2
    bad = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :]
    return assemble([(k, bad if k == b"IDAT" else b) for k, b in parts])
