"""n images are n different images, each with its seed; sizes come back as asked or are refused
before any call; several references reach each vendor in the order given; and any image of the
project, from any of its threads, can be edited, while another project's stays a 404."""

from __future__ import annotations

import pytest

from tests.e2e_providers.pictures import decoded, fetch, photo, sha, upload
from tests.e2e_providers.stack import Fakes, api_call, logged, of_type, script, stream_turn, turn
from tests.fakes.openai import FakeOpenAI

EVERY_IMAGE_MODEL = [
    ("openai", "gpt-image-1"),
    ("google", "gemini-2.5-flash-image"),
    ("openrouter", "google/gemini-2.5-flash-image"),
    ("local", "easel-local-painter"),
]


def direct(easel, provider: str, model: str, content: str = "a lighthouse at dusk", **fields) -> list[dict]:
    return stream_turn(
        easel,
        content=content,
        operation="generate_image",
        image_model_provider=provider,
        image_model_name=model,
        **fields,
    )


def media_of(events: list[dict]) -> list[dict]:
    assert events[-1]["type"] == "run_ended", events[-1]
    return [e["media"] for e in of_type(events, "media_generated")]


@pytest.mark.parametrize(("provider", "model"), EVERY_IMAGE_MODEL)
def test_four_variants_are_four_different_images(easel, provider, model):
    media = media_of(direct(easel, provider, model, image_config={"n": 4}))

    assert len(media) == 4
    assert len({sha(fetch(m["url"])) for m in media}) == 4, "two variants have the same bytes"
    if provider != "openai":  # OpenAI's Images API takes no seed
        assert len({m["seed"] for m in media}) == 4 and None not in {m["seed"] for m in media}


def test_models_that_make_one_image_per_call_are_called_once_per_variant(easel, fakes: Fakes):
    media = media_of(direct(easel, "google", "gemini-2.5-flash-image", image_config={"n": 3, "seed": 10}))

    calls = logged(fakes.google, ":generateContent")
    assert len(calls) == 3
    assert sorted(c["json"]["generationConfig"]["seed"] for c in calls) == [10, 11, 12]
    assert sorted(m["seed"] for m in media) == [10, 11, 12]
    usage = api_call(easel, "GET", "/usage").json()
    assert usage["totals"]["images_generated"] >= 3


@pytest.mark.parametrize(
    ("provider", "model", "config", "size"),
    [
        ("openai", "gpt-image-1", {"size": "1024x1536"}, (1024, 1536)),
        ("openai", "gpt-image-1", {"aspect_ratio": "3:4"}, (1024, 1536)),
        ("local", "easel-local-painter", {"size": "1024x1536"}, (1024, 1536)),
        ("local", "easel-local-painter", {"size": "640x360"}, (640, 360)),
        ("google", "gemini-2.5-flash-image", {"aspect_ratio": "3:4"}, None),
    ],
)
def test_the_stored_image_has_the_size_asked_for(easel, provider, model, config, size):
    (media,) = media_of(direct(easel, provider, model, image_config=config))

    stored = decoded(fetch(media["url"]))
    assert (media["width"], media["height"]) == stored.size
    if size is not None:
        assert stored.size == size
    else:  # Gemini draws a ratio: the picture has it
        assert abs(stored.width / stored.height - 3 / 4) < 0.03
    assert media["sizing"]["asked"] == config and media["sizing"]["delivered"] == f"{stored.width}x{stored.height}"


@pytest.mark.parametrize(
    ("provider", "model", "config", "words"),
    [
        ("google", "gemini-2.5-flash-image", {"size": "1024x1536"}, "aspect_ratio"),
        ("openai", "gpt-image-1", {"size": "1000x1000"}, "1024x1536"),
        ("openai", "gpt-image-1", {"aspect_ratio": "5:1"}, "3:4"),
        ("local", "easel-local-painter", {"size": "4096x4096"}, "2048"),
    ],
)
def test_a_size_the_model_cannot_make_is_refused_before_any_call(easel, fakes: Fakes, provider, model, config, words):
    response = turn(
        easel,
        content="a lighthouse",
        operation="generate_image",
        image_model_provider=provider,
        image_model_name=model,
        image_config=config,
    )

    assert response.status_code == 400 and words in response.json()["detail"], response.text
    assert not any(logged(fake) for fake in fakes.all())


def test_references_reach_openai_in_order(easel, fakes: Fakes):
    pictures = [photo(64, 64, seed=s) for s in (11, 12, 13)]
    ids = [upload(easel, p)["document_id"] for p in pictures]

    media_of(direct(easel, "openai", "gpt-image-1", "combine them", input_image_document_ids=ids))

    (request,) = logged(fakes.openai, "/images/edits")
    sent = [p.data for p in FakeOpenAI.form(request) if p.name.startswith("image")]
    assert [decoded(s).tobytes() for s in sent] == [decoded(p).tobytes() for p in pictures]


@pytest.mark.parametrize(("provider", "model"), [EVERY_IMAGE_MODEL[1], EVERY_IMAGE_MODEL[2]])
def test_references_reach_gemini_and_openrouter_in_order(easel, fakes: Fakes, provider, model):
    pictures = [photo(64, 64, seed=s) for s in (21, 22, 23)]
    ids = [upload(easel, p)["document_id"] for p in pictures]

    (media,) = media_of(direct(easel, provider, model, "combine them", input_image_document_ids=ids))

    fake = fakes.google if provider == "google" else fakes.openrouter
    if provider == "google":
        sent = [data for _, data in fake.received_images()]
    else:
        sent = [data for _, data in fake.chat_images(logged(fake, "/chat/completions")[-1])]
    assert [decoded(s).tobytes() for s in sent] == [decoded(p).tobytes() for p in pictures]
    assert media["input_image_document_ids"] == ids


def test_more_references_than_the_model_takes_is_a_400_naming_the_limit(easel, fakes: Fakes):
    ids = [upload(easel, photo(32, 32, seed=s))["document_id"] for s in range(4)]

    response = turn(
        easel,
        content="combine",
        operation="generate_image",
        image_model_provider="google",
        image_model_name="gemini-2.5-flash-image",
        input_image_document_ids=ids,
    )

    assert response.status_code == 400 and "at most 3 input images" in response.json()["detail"]
    assert not logged(fakes.google)


def test_an_image_from_another_thread_of_the_project_can_be_edited_and_lineage_records_it(easel):
    base = upload(easel, photo(seed=31))
    other_thread = upload(easel, photo(seed=32))["thread_id"]

    (media,) = media_of(
        direct(
            easel,
            "local",
            "easel-local-painter",
            "add a moon",
            thread_id=other_thread,
            input_image_document_ids=[base["document_id"]],
        )
    )

    assert media["input_image_document_id"] == base["document_id"]
    lineage = api_call(easel, "GET", f"/documents/{media['document_id']}/lineage").json()
    assert base["document_id"] in {node["document_id"] for node in lineage["ancestors"]}
    thread = api_call(easel, "GET", f"/threads/{other_thread}").json()
    assert any(a["document_id"] == base["document_id"] for m in thread["messages"] for a in m["attachments"]), (
        "the turn carries the base image from the other thread"
    )


def test_another_projects_image_is_not_found_and_nothing_is_called(easel, fakes: Fakes):
    theirs = upload(easel, photo(seed=41), key=easel.other_api_key)

    response = turn(
        easel,
        content="edit",
        operation="generate_image",
        image_model_provider="openai",
        image_model_name="gpt-image-1",
        input_image_document_ids=[theirs["document_id"]],
    )

    assert response.status_code == 404
    assert not logged(fakes.openai)


def test_the_llm_may_name_another_threads_image_but_not_another_projects(easel, fakes: Fakes):
    ours = upload(easel, photo(seed=51))
    theirs = upload(easel, photo(seed=52), key=easel.other_api_key)
    script(
        fakes.openai,
        {
            "tool_calls": [
                {
                    "name": "generate_image",
                    "arguments": {"prompt": "x", "input_image_document_ids": [theirs["document_id"]]},
                }
            ]
        },
        {"text": "I could not."},
        {
            "tool_calls": [
                {
                    "name": "generate_image",
                    "arguments": {"prompt": "x", "input_image_document_ids": [ours["document_id"]]},
                }
            ]
        },
        {"text": "Done."},
    )
    chat = {
        "llm_provider": "openai",
        "model_name": "gpt-4.1",
        "image_generation": "auto",
        "image_model_provider": "local",
        "image_model_name": "easel-local-painter",
    }

    refused = stream_turn(easel, content="edit their picture", **chat)
    edited = stream_turn(easel, content="edit my picture", **chat)

    (failure,) = of_type(refused, "media_failed")
    assert "No image with document_id" in failure["error"] and not of_type(refused, "media_generated")
    assert failure["error"].endswith("in this project"), "their image reads exactly like an unknown id"
    (media,) = media_of(edited)
    assert media["input_image_document_id"] == ours["document_id"]
