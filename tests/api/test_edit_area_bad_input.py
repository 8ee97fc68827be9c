"""A mask or regions Easel cannot honour is refused before anything happens: a 400 (a 404 for an
id of another project) that says what is wrong, no row written, no run, so no provider call and
no cost."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from PIL import Image

from designs.models import Document, Message
from designs.services.documents import document_create
from designs.services.images import sanitize_image
from designs.services.threads import assistant_default, thread_create
from tests.api.conftest import row_counts

URL = "/api/threads/messages"
SIZE = (200, 100)


def png(size=SIZE, mode="RGB", colour=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, "PNG")
    return out.getvalue()


def stored(project, data: bytes) -> Document:
    thread = thread_create(project=project, assistant=assistant_default(project=project))
    clean = sanitize_image(data)
    return document_create(project=project, data=clean.data, facts=clean.facts, thread=thread, operation="upload")


@pytest.fixture
def source(alpha) -> Document:
    return stored(alpha.project, png())


def edit(client, source_id, *, files=None, model=("local", "easel-local-painter"), **fields):
    data = {
        "content": "make it red",
        "operation": "generate_image",
        "image_model_provider": model[0],
        "image_model_name": model[1],
        "input_image_document_id": str(source_id),
        **{k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in fields.items()},
    }
    if files:
        data.update(files)
    return client.post(URL, data=data)


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


def rect(x, y, w, h) -> dict:
    return {"x": x, "y": y, "width": w, "height": h}


REGION_CASES = [
    ([rect(150, 50, 60, 10)], "lies outside the 200x100 image"),
    ([rect(-1, 0, 10, 10)], "lies outside"),
    ([rect(0, 0, 0, 10)], "has no area"),
    ([{"points": [[0, 0], [50, 50], [100, 100]]}], "has no area"),
    ([{"points": [[0, 0], [100, 100], [100, 0], [0, 100]]}], "crosses itself"),
    ([{"points": [[0, 0], [10, 0]]}], "3 to 100"),
    ([{"points": [[0, 0], [10, 0], [500, 50]]}], "lies outside"),
    ([rect(0, 0, 10, 10)] * 33, "over the limit of 32"),
    ([rect(0, 0, "ten", 10)], "must be a number"),
    ([rect(0, 0, True, 10)], "must be a number"),
    ([rect(0, 0, 10**400, 10)], "over the limit"),
    ([{"points": [[0, 0], [10, 0], [1e308 * 10, 5]]}], "not a JSON number"),
    ([{"x": 0, "y": 0, "width": 5, "height": 5, "colour": "red"}], "unknown key"),
    ([{"type": "circle"}], "'rect' or 'polygon'"),
    ([], "at least one region"),
    (["top-left"], "must be an object"),
    ({"x": 0}, "JSON array"),
]


@pytest.mark.parametrize(("regions", "words"), REGION_CASES)
def test_regions_easel_cannot_draw_are_refused_and_nothing_is_stored(alpha, source, regions, words):
    before = row_counts()

    response = edit(alpha.client, source.id, regions=regions)

    assert response.status_code == 400, response.content
    assert words in response.json()["detail"]
    assert row_counts() == before


@pytest.mark.parametrize(
    ("mask", "words"),
    [
        (b"not an image at all", "mask: Not a valid"),
        (png((100, 100), "RGBA", (0, 0, 0, 0)), "mask: it is 100x100 but the image it applies to is 200x100"),
        (png(SIZE, "RGBA", (0, 0, 0, 255)), "fully opaque"),
        (png(SIZE, "L", 0), "fully opaque (or all black)"),
    ],
)
def test_masks_that_cannot_apply_are_refused(alpha, source, mask, words):
    before = row_counts()

    response = edit(alpha.client, source.id, files={"mask": upload("mask.png", mask)})

    assert response.status_code == 400, response.content
    assert words in response.json()["detail"]
    assert row_counts() == before


def test_a_fully_transparent_mask_with_regions_too_is_a_contradiction(alpha, source):
    response = edit(
        alpha.client,
        source.id,
        regions=[rect(0, 0, 10, 10)],
        files={"mask": upload("mask.png", png(SIZE, "RGBA", (0, 0, 0, 0)))},
    )

    assert response.status_code == 400 and "fully transparent" in response.json()["detail"]


def test_a_mask_with_nothing_to_apply_to_is_refused(alpha):
    response = alpha.client.post(
        URL,
        data={"content": "draw", "operation": "generate_image", "regions": json.dumps([rect(0, 0, 5, 5)])},
    )

    assert response.status_code == 400 and "apply to an image" in response.json()["detail"]


def test_a_model_that_cannot_edit_part_of_an_image_says_so(alpha, source):
    credentials = alpha.client.put(
        "/api/providers/openai/credentials", data={"api_key": "sk-test-key"}, content_type="application/json"
    )
    assert credentials.status_code == 200, credentials.content
    response = edit(alpha.client, source.id, regions=[rect(0, 0, 5, 5)], model=("openai", "dall-e-3"))

    assert response.status_code == 400
    assert "dall-e-3" in response.json()["detail"]


@pytest.mark.parametrize("field", ["input_image_document_ids", "mask_document_id"])
def test_another_projects_image_or_mask_is_not_found(alpha, bravo, source, field):
    theirs = stored(bravo.project, png(SIZE, "RGBA", (0, 0, 0, 0)))
    before = row_counts()

    value = [str(theirs.id)] if field == "input_image_document_ids" else str(theirs.id)
    response = edit(alpha.client, source.id, **{field: value})

    unknown = str(uuid.uuid4())
    value = [unknown] if field == "input_image_document_ids" else unknown
    stranger = edit(alpha.client, source.id, **{field: value})
    assert response.status_code == stranger.status_code == 404
    assert response.json()["detail"] == stranger.json()["detail"].replace(unknown, str(theirs.id))
    assert row_counts() == before


def test_n_over_the_models_limit_is_refused(alpha, source):
    response = edit(alpha.client, source.id, image_config={"n": 9})

    assert response.status_code == 400 and "allowed 1–8" in response.json()["detail"]


@pytest.mark.parametrize("ids", ["not-a-uuid", json.dumps(["a", "b"]), json.dumps([str(uuid.uuid4())] * 40)])
def test_malformed_reference_lists_are_refused(alpha, source, ids):
    response = alpha.client.post(
        URL, data={"content": "x", "operation": "generate_image", "input_image_document_ids": ids}
    )

    assert response.status_code == 400 and "input_image_document_ids" in response.json()["detail"]


def test_a_good_mask_document_and_regions_are_joined_into_one_stored_mask(alpha, source):
    left_half = Image.new("L", SIZE, 0)
    left_half.paste(255, (0, 0, 100, 100))
    out = io.BytesIO()
    left_half.save(out, "PNG")
    mask = stored(alpha.project, out.getvalue())

    response = edit(
        alpha.client, source.id, mask_document_id=str(mask.id), regions=[rect(150, 0, 50, 50)], stream="true"
    )

    assert response.status_code == 200
    message = Message.objects.filter(project=alpha.project, role="user").latest("created_at")
    (kept,) = message.input_documents(role="mask")
    assert kept.operation == "mask" and kept.id != mask.id
    with kept.file.open("rb") as handle, Image.open(handle) as image:
        editable = image.getchannel("A").point(lambda a: 255 - a)
    assert editable.getpixel((50, 50)) == 255 and editable.getpixel((175, 25)) == 255
    assert editable.getpixel((125, 50)) == 0 and editable.getpixel((175, 75)) == 0


@pytest.mark.parametrize("number", [10**400, float("inf"), float("nan")])
def test_numbers_an_llm_may_write_that_are_not_pixels_are_refused(number):
    """Tool-call arguments are read with json.loads, which takes Infinity, NaN and 400-digit ints."""
    from designs.exceptions import Invalid
    from designs.services.masks import parse_regions

    with pytest.raises(Invalid, match="finite number of pixels"):
        parse_regions([rect(0, 0, number, 10)], size=SIZE)
