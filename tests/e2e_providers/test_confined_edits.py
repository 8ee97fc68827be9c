"""An edit confined to a region changes that region and nothing else, on every provider: OpenAI
gets the mask itself, Gemini and OpenRouter get the region's crop, the local engine edits inside
it, and whatever each model does outside, the stored image keeps every pixel beyond the feather
byte for byte (checked on decoded pixels). The fakes repaint the whole picture, as real models do."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from tests.e2e_providers.pictures import (
    changed_inside,
    changed_outside,
    decoded,
    fetch,
    photo,
    rect_area,
    upload,
)
from tests.e2e_providers.stack import Fakes, api_call, logged, of_type, script, stream_turn
from tests.fakes.openai import FakeOpenAI

BOX = (40, 60, 200, 140)  # x0, y0, x1, y1 in the 320x240 source
REGION = {"x": BOX[0], "y": BOX[1], "width": BOX[2] - BOX[0], "height": BOX[3] - BOX[1]}
CROP_MODELS = [("google", "gemini-2.5-flash-image"), ("openrouter", "google/gemini-2.5-flash-image")]


def direct_edit(easel, source_id: str, provider: str, model: str, **fields) -> list[dict]:
    return stream_turn(
        easel,
        content="paint a red dragon here",
        operation="generate_image",
        image_model_provider=provider,
        image_model_name=model,
        input_image_document_id=source_id,
        **fields,
    )


def the_media(events: list[dict]) -> dict:
    assert events[-1]["type"] == "run_ended", events[-1]
    (media,) = [e["media"] for e in of_type(events, "media_generated")]
    return media


def assert_confined(source_png: bytes, media: dict, area: Image.Image) -> None:
    source, result = decoded(source_png), decoded(fetch(media["url"]))
    assert result.size == source.size
    assert changed_outside(source, result, area) == 0, "a pixel outside the region and its feather changed"
    assert changed_inside(source, result, area) > 0.9, "the region was not edited"


def test_openai_gets_the_mask_and_the_stored_edit_keeps_every_pixel_outside_the_region(easel, fakes: Fakes):
    source_png = photo()
    source = upload(easel, source_png)

    media = the_media(direct_edit(easel, source["document_id"], "openai", "gpt-image-1", regions=[REGION]))

    (request,) = logged(fakes.openai, "/images/edits")
    parts = {part.name: part for part in FakeOpenAI.form(request)}
    assert decoded(parts["image"].data).tobytes() == decoded(source_png).tobytes()
    with Image.open(io.BytesIO(parts["mask"].data)) as mask:
        transparent = mask.getchannel("A").point(lambda a: 255 if a == 0 else 0)
    assert transparent.getbbox() == BOX, "the mask's transparent area is the region"
    assert_confined(source_png, media, rect_area((320, 240), BOX))
    assert media["edit_area"]["method"] == "native" and media["input_image_document_id"] == source["document_id"]
    assert media["edit_area"]["regions"] == [{"type": "rect", **{k: float(v) for k, v in REGION.items()}}]


@pytest.mark.parametrize(("provider", "model"), CROP_MODELS)
def test_models_without_masks_get_the_regions_crop_and_the_answer_is_pasted_back(easel, fakes: Fakes, provider, model):
    source_png = photo(seed=2)
    source = upload(easel, source_png)

    media = the_media(direct_edit(easel, source["document_id"], provider, model, regions=[REGION]))

    crop = media["edit_area"]["crop"]
    assert media["edit_area"]["method"] == "composite"
    assert crop[0] <= BOX[0] and crop[1] <= BOX[1] and crop[2] >= BOX[2] and crop[3] >= BOX[3]
    assert crop != [0, 0, 320, 240], "the model saw a crop, not the whole picture"
    fake = fakes.google if provider == "google" else fakes.openrouter
    (sent,) = received_images(fake)
    assert decoded(sent).tobytes() == decoded(source_png).crop(tuple(crop)).tobytes()
    assert_confined(source_png, media, rect_area((320, 240), BOX))


def test_the_local_engine_edits_only_inside_a_polygon(easel):
    source_png = photo(seed=3)
    source = upload(easel, source_png)
    triangle = {"points": [[160, 20], [300, 220], [20, 220]]}

    media = the_media(direct_edit(easel, source["document_id"], "local", "easel-local-painter", regions=[triangle]))

    area = Image.new("L", (320, 240), 0)
    from PIL import ImageDraw

    ImageDraw.Draw(area).polygon([(160, 20), (300, 220), (20, 220)], fill=255)
    source_img, result = decoded(source_png), decoded(fetch(media["url"]))
    assert changed_outside(source_img, result, area) == 0
    assert changed_inside(source_img, result, area) > 0.05
    assert media["edit_area"]["method"] == "native"


@pytest.mark.parametrize("convention", ["transparent", "white"])
def test_an_uploaded_mask_in_either_convention_confines_the_edit_and_is_kept_as_the_turns_mask(
    easel, fakes: Fakes, convention
):
    source_png = photo(seed=4)
    source = upload(easel, source_png)
    if convention == "transparent":
        mask = Image.new("RGBA", (320, 240), (0, 0, 0, 255))
        mask.paste((0, 0, 0, 0), BOX)
    else:
        mask = Image.new("L", (320, 240), 0)
        mask.paste(255, BOX)
    out = io.BytesIO()
    mask.save(out, "PNG")

    response = api_call(
        easel,
        "POST",
        "/threads/messages",
        data={
            "content": "make it gold",
            "operation": "generate_image",
            "image_model_provider": "openai",
            "image_model_name": "gpt-image-1",
            "input_image_document_id": source["document_id"],
            "stream": "false",
        },
        files={"mask": ("mask.png", out.getvalue(), "image/png")},
    )

    assert response.status_code == 200, response.text
    (media,) = response.json()["generated_media"]
    assert_confined(source_png, media, rect_area((320, 240), BOX))
    thread = api_call(easel, "GET", f"/threads/{response.json()['thread_id']}").json()
    user = [m for m in thread["messages"] if m["role"] == "user"][-1]
    roles = {a["role"]: a["document_id"] for a in user["attachments"]}
    assert roles["source"] == source["document_id"] and roles["mask"] == media["edit_area"]["mask_document_id"]
    sent_mask = {p.name: p for p in FakeOpenAI.form(logged(fakes.openai, "/images/edits")[0])}["mask"].data
    with Image.open(io.BytesIO(sent_mask)) as sent:
        assert sent.getchannel("A").point(lambda a: 255 if a == 0 else 0).getbbox() == BOX


def test_the_llm_confines_an_edit_with_regions_and_the_result_says_how(easel, fakes: Fakes):
    source_png = photo(seed=5)
    source = upload(easel, source_png)
    arguments = {"prompt": "a red hat", "input_image_document_ids": [source["document_id"]], "regions": [REGION]}
    script(fakes.openai, {"tool_calls": [{"name": "generate_image", "arguments": arguments}]}, {"text": "Done."})

    events = stream_turn(
        easel,
        thread_id=source["thread_id"],
        content="put a red hat in the left part",
        llm_provider="openai",
        model_name="gpt-4.1",
        image_generation="auto",
        image_model_provider="google",
        image_model_name="gemini-2.5-flash-image",
    )

    media = the_media(events)
    assert_confined(source_png, media, rect_area((320, 240), BOX))
    tool_result = json.loads(last_tool_result(fakes.openai))
    assert tool_result["status"] == "success" and tool_result["edit_area"]["method"] == "composite"
    mask = api_call(easel, "GET", f"/documents/{media['edit_area']['mask_document_id']}").json()
    assert mask["metadata_"]["operation"] == "mask" and mask["metadata_"]["regions"][0]["width"] == REGION["width"]


def received_images(fake) -> list[bytes]:
    """The input images the last image request to a Gemini or OpenRouter fake carried, in order."""
    if hasattr(fake, "received_images"):
        return [data for _, data in fake.received_images()]
    (record,) = [r for r in logged(fake, "/chat/completions")][-1:]
    return [data for _, data in fake.chat_images(record)]


def last_tool_result(fake) -> str:
    record = logged(fake, "/chat/completions")[-1]
    return next(m["content"] for m in reversed(record["json"]["messages"]) if m["role"] == "tool")
