"""What a request asks of the providers reaches them: image_config in each vendor's own fields (or a
400 before any call when the model cannot do it), and OpenRouter's routing dict as given."""

from __future__ import annotations

import pytest

from tests.e2e_providers.stack import Fakes, logged, of_type, set_faults, stream_turn, turn

DRAW = "Draw a tiny red robot watering a sunflower."
LLM = {"llm_provider": "openai", "model_name": "gpt-4.1", "image_generation": "auto"}


def test_gpt_image_gets_size_quality_and_the_number_of_partial_previews_asked_for(easel, fakes: Fakes):
    events = stream_turn(
        easel,
        content=DRAW,
        **LLM,
        image_model_provider="openai",
        image_model_name="gpt-image-1",
        image_config={"size": "1536x1024", "quality": "low", "partial_images": 1},
    )

    assert events[-1]["type"] == "run_ended"
    (request,) = logged(fakes.openai, "/images/generations")
    sent = request["json"]
    assert (sent["size"], sent["quality"], sent["partial_images"], sent["stream"]) == ("1536x1024", "low", 1, True)
    (preview,) = of_type(events, "media_preview")
    assert preview["preview"]["data_url"].startswith("data:image/jpeg;base64,")
    (media,) = [e["media"] for e in of_type(events, "media_generated")]
    assert (media["width"], media["height"]) == (1536, 1024)


def test_partial_previews_can_be_turned_off(easel, fakes: Fakes):
    events = stream_turn(
        easel,
        content=DRAW,
        **LLM,
        image_model_provider="openai",
        image_model_name="gpt-image-1",
        image_config={"partial_images": 0},
    )

    assert events[-1]["type"] == "run_ended" and not of_type(events, "media_preview")
    assert "stream" not in logged(fakes.openai, "/images/generations")[0]["json"]


def test_gemini_gets_aspect_ratio_resolution_and_seed_as_image_config(easel, fakes: Fakes):
    events = stream_turn(
        easel,
        content=DRAW,
        **LLM,
        image_model_provider="google",
        image_model_name="gemini-3.1-flash-image-preview",
        image_config={"aspect_ratio": "16:9", "resolution": "2K", "seed": 7},
    )

    assert events[-1]["type"] == "run_ended"
    (request,) = logged(fakes.google, "gemini-3.1-flash-image-preview:generateContent")
    config = request["json"]["generationConfig"]
    assert config["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"} and config["seed"] == 7
    (media,) = [e["media"] for e in of_type(events, "media_generated")]
    assert (media["width"], media["height"]) == (2688, 1536) and media["seed"] == 7


def test_openrouter_images_get_n_image_config_and_the_provider_routing(easel, fakes: Fakes):
    events = stream_turn(
        easel,
        content=DRAW,
        **LLM,
        image_model_provider="openrouter",
        image_model_name="google/gemini-3.1-flash-image-preview",
        image_config={"aspect_ratio": "1:4", "resolution": "0.5K", "n": 2, "provider": {"order": ["google-vertex"]}},
    )

    assert events[-1]["type"] == "run_ended"
    requests = logged(fakes.openrouter)
    assert len(requests) == 2, "chat completions has no n: one call per image"
    assert all(r["json"]["image_config"] == {"aspect_ratio": "1:4", "image_size": "0.5K"} for r in requests)
    assert all(r["json"]["provider"] == {"order": ["google-vertex"]} for r in requests)
    assert len(of_type(events, "media_generated")) == 2


@pytest.mark.parametrize(
    "provider, model, config",
    [
        ("openai", "dall-e-3", {"partial_images": 2}),
        ("google", "gemini-2.5-flash-image", {"resolution": "4K"}),
        ("openrouter", "google/gemini-2.5-flash-image", {"n": 9}),
    ],
)
def test_options_the_model_cannot_honour_are_a_400_before_any_provider_call(
    easel, fakes: Fakes, provider, model, config
):
    response = turn(
        easel, content=DRAW, **LLM, image_model_provider=provider, image_model_name=model, image_config=config
    )

    assert response.status_code == 400 and "image_config." in response.json()["detail"]
    assert not any(logged(fake) for fake in fakes.all())


def test_openrouter_as_thread_llm_passes_routing_through_and_skips_processing_comments(easel, fakes: Fakes):
    set_faults(fakes.openrouter, processing=5)
    routing = {"order": ["anthropic", "openai"], "allow_fallbacks": False, "models": ["openai/gpt-4.1-mini"]}

    events = stream_turn(
        easel, content="hello there", llm_provider="openrouter", model_name="openai/gpt-4.1", openrouter=routing
    )

    assert events[-1]["type"] == "run_ended" and events[-1]["content"].startswith("You said: hello there")
    (request,) = logged(fakes.openrouter)
    sent = request["json"]
    assert sent["provider"] == {"order": ["anthropic", "openai"], "allow_fallbacks": False}
    assert sent["models"] == ["openai/gpt-4.1-mini"]
    assert request["headers"]["x-title"] == "Easel"
