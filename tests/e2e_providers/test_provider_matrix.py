"""The launch post's flows (text to image as JSON, then a streamed edit by document_id) for every
thread LLM with every image provider, each provider played by its fake, in both topologies."""

from __future__ import annotations

import base64
import hashlib
import itertools

import pytest

from tests.e2e_providers.stack import Combo, Fakes, api_call, logged, of_type, stream_turn, turn
from tests.fakes.openai import FakeOpenAI
from tests.fakes.openrouter import FakeOpenRouter

ROBOT = "Generate a square image of a tiny red robot watering a sunflower in a sunny garden."
LLMS = [("openai", "gpt-4.1"), ("anthropic", "claude-sonnet-4-5"), ("google", "gemini-2.5-flash")]
IMAGES = [
    ("openrouter", "google/gemini-3.1-flash-image-preview"),
    ("openai", "gpt-image-1"),
    ("google", "gemini-2.5-flash-image"),
]
COMBOS = [Combo(llm, model, provider, name) for (llm, model), (provider, name) in itertools.product(LLMS, IMAGES)]
IMAGE_PATHS = {"openrouter": "/chat/completions", "openai": "/images/", "google": ":generateContent"}
LLM_PATHS = {"openai": "/chat/completions", "anthropic": "/v1/messages", "google": ":streamGenerateContent"}


def llm_fake(fakes: Fakes, provider: str):
    return {"openai": fakes.openai, "anthropic": fakes.anthropic, "google": fakes.google}[provider]


def image_fake(fakes: Fakes, provider: str):
    return {"openrouter": fakes.openrouter, "openai": fakes.openai, "google": fakes.google}[provider]


def sent_images(provider: str, record: dict) -> list[bytes]:
    """The input images an image request carried, decoded from the vendor's own wire format."""
    if provider == "openrouter":
        return [data for _, data in FakeOpenRouter.chat_images(record)]
    if provider == "openai":
        return [part.data for part in FakeOpenAI.form(record) if part.name.startswith("image")]
    parts = [part for content in record["json"]["contents"] for part in content["parts"]]
    return [base64.b64decode(part["inlineData"]["data"]) for part in parts if "inlineData" in part]


@pytest.mark.parametrize("combo", COMBOS, ids=str)
def test_generate_then_edit_by_document_id(easel, fakes: Fakes, combo: Combo):
    first = turn(easel, content=ROBOT, **combo.request())
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["content"] == "Here is your image."
    assert body["model_provider"] == combo.llm and body["model_name"] == combo.model
    (original,) = body["generated_media"]
    assert (original["model_provider"], original["model_name"]) == (combo.image_provider, combo.image_model)
    assert body["images_generated"] == 1 and body["cost_usd"] > 0

    events = stream_turn(
        easel,
        thread_id=body["thread_id"],
        **combo.request(),
        content=f"Edit the generated image with document_id {original['document_id']}. "
        "Pass this exact id as input_image_document_id to the generate_image tool. Make the robot blue.",
    )

    assert events[-1]["type"] == "run_ended", events[-1]
    (edited,) = [e["media"] for e in of_type(events, "media_generated")]
    assert edited["input_image_document_id"] == original["document_id"]
    assert edited["sha256"] != original["sha256"], "the fake draws an edit from its inputs"
    if combo.image_provider == "openai":  # gpt-image streams partial images: they reach the client
        assert of_type(events, "media_preview")
    assert events[-1]["input_tokens"] > 0 and events[-1]["cost_usd"] > 0

    image_calls = [
        r
        for r in logged(image_fake(fakes, combo.image_provider))
        if IMAGE_PATHS[combo.image_provider] in r["path"] and (combo.image_provider != "google" or "image" in r["path"])
    ]
    assert [sent_images(combo.image_provider, r) for r in image_calls] == [[], [stored_file(easel, original)]]
    llm_calls = [r for r in logged(llm_fake(fakes, combo.llm)) if LLM_PATHS[combo.llm] in r["path"]]
    assert len(llm_calls) == 4, "two LLM steps per turn: the tool call, then the answer"


def stored_file(easel, media: dict) -> bytes:
    (path,) = (easel.workdir / "media").glob(f"projects/*/images/{media['sha256']}.*")
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == media["sha256"]
    return data


def test_an_openai_compatible_server_is_a_thread_llm_under_its_own_name(easel, fakes: Fakes):
    listed = api_call(easel, "GET", "/models/llm?provider=vllm").json()["models"]
    assert [(m["provider"], m["name"], m["configured"]) for m in listed] == [("vllm", "qwen3-8b", True)]

    response = turn(
        easel,
        content=ROBOT,
        llm_provider="vllm",
        model_name="qwen3-8b",
        image_generation="auto",
        image_model_provider="openrouter",
        image_model_name="google/gemini-3.1-flash-image-preview",
    )

    assert response.status_code == 200, response.text
    assert response.json()["model_provider"] == "vllm" and len(response.json()["generated_media"]) == 1
    calls = logged(fakes.vllm, "/v1/chat/completions")
    assert len(calls) == 2 and all(r["json"]["model"] == "qwen3-8b" for r in calls)
    assert not logged(fakes.openai), "the OpenAI fake was not asked"
