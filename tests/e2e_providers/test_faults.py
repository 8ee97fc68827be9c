"""Provider faults, switched on in the fakes over HTTP (POST /__fake__/faults), as a live Easel meets
them: retried where that is safe, ended with a run_failed that says what went wrong, never a hang.

The servers run with EASEL_PROVIDER_READ_TIMEOUT=2, EASEL_PROVIDER_MAX_RETRIES=2 and
EASEL_PROVIDER_MAX_RETRY_WAIT=5 (see conftest.py).
"""

from __future__ import annotations

import time

import pytest

from tests.e2e_providers.stack import Fakes, api_call, logged, of_type, set_faults, stream_turn, turn
from tests.support.processes import free_port

DRAW = "Draw a tiny red robot watering a sunflower."
OPENAI_OPENROUTER = {
    "llm_provider": "openai",
    "model_name": "gpt-4.1",
    "image_generation": "auto",
    "image_model_provider": "openrouter",
    "image_model_name": "google/gemini-3.1-flash-image-preview",
}


def timed_stream(easel, **fields) -> tuple[list[dict], float]:
    started = time.monotonic()
    events = stream_turn(easel, **{**OPENAI_OPENROUTER, **fields})
    return events, time.monotonic() - started


def failed(events: list[dict]) -> dict:
    assert events[-1]["type"] == "run_failed", events[-1]
    return events[-1]


# --- retried ------------------------------------------------------------------------------------


def test_a_429_is_retried_after_the_wait_the_provider_asked_for(easel, fakes: Fakes):
    set_faults(fakes.openai, status=429, retry_after=0.6, fail_first=1, only="/chat/completions")

    events, seconds = timed_stream(easel, content=DRAW)

    assert events[-1]["type"] == "run_ended" and of_type(events, "media_generated")
    assert len(logged(fakes.openai, "/chat/completions")) == 3  # the refused call, then the two steps
    assert seconds >= 0.6


def test_a_429_asking_for_a_long_wait_fails_at_once_instead_of_holding_the_run(easel, fakes: Fakes):
    set_faults(fakes.openai, status=429, retry_after=120, only="/chat/completions")

    events, seconds = timed_stream(easel, content=DRAW)

    error = failed(events)
    assert error["error_kind"] == "rate_limited" and "asked to wait 120 s" in error["error"]
    assert len(logged(fakes.openai)) == 1 and seconds < 10


def test_a_5xx_from_the_llm_is_retried_with_backoff(easel, fakes: Fakes):
    set_faults(fakes.google, status=503, fail_first=1)

    events = stream_turn(easel, content="hello", llm_provider="google", model_name="gemini-2.5-flash")

    assert events[-1]["type"] == "run_ended" and events[-1]["content"].startswith("You said: hello")
    assert len(logged(fakes.google)) == 2


def test_a_read_timeout_before_the_headers_is_retried(easel, fakes: Fakes):
    set_faults(fakes.anthropic, delay=3, fail_first=1)

    events = stream_turn(easel, content="hello", llm_provider="anthropic", model_name="claude-haiku-4-5")

    assert events[-1]["type"] == "run_ended"
    assert len(logged(fakes.anthropic)) == 2


# --- not retried: a repeat could bill twice -----------------------------------------------------


def test_a_5xx_from_the_image_model_is_not_retried_and_fails_the_run(easel, fakes: Fakes):
    set_faults(fakes.openrouter, status=502)

    events = stream_turn(easel, content=DRAW, **OPENAI_OPENROUTER)

    error = failed(events)
    assert error["error_kind"] == "server_error" and "openrouter returned HTTP 502" in error["error"]
    assert len(logged(fakes.openrouter)) == 1, "one image request: a retry might have drawn and billed twice"


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "provider, model",
    [
        ("openrouter", "google/gemini-3.1-flash-image-preview"),
        ("openai", "gpt-image-1"),
        ("google", "gemini-2.5-flash-image"),
    ],
)
def test_an_image_refusal_reaches_the_llm_as_a_tool_error_and_the_client_as_media_failed(
    easel, fakes: Fakes, provider, model
):
    fake = {"openrouter": fakes.openrouter, "openai": fakes.openai, "google": fakes.google}[provider]
    set_faults(fake, safety=True, **({"only": "/images/"} if provider == "openai" else {}))

    events = stream_turn(
        easel,
        content=DRAW,
        llm_provider="anthropic",
        model_name="claude-sonnet-4-5",
        image_generation="auto",
        image_model_provider=provider,
        image_model_name=model,
    )

    (media_failed,) = of_type(events, "media_failed")
    assert media_failed["tool_call_id"] and provider in media_failed["error"]
    assert not of_type(events, "media_generated")
    assert events[-1]["type"] == "run_ended"
    assert events[-1]["content"].startswith("Sorry, I could not make that image:")
    tool_result = logged(fakes.anthropic, "/v1/messages")[-1]["json"]["messages"][-1]["content"][0]
    assert tool_result["type"] == "tool_result" and '"status":"error"' in tool_result["content"]


def test_a_refusal_in_direct_mode_fails_the_run_as_content_policy(easel, fakes: Fakes):
    set_faults(fakes.google, safety=True)

    error = failed(
        stream_turn(
            easel,
            content=DRAW,
            operation="generate_image",
            image_model_provider="google",
            image_model_name="gemini-2.5-flash-image",
        )
    )

    assert error["error_kind"] == "content_policy" and "google refused to make the image" in error["error"]


def test_an_llm_content_filter_without_text_fails_the_run_with_a_reason(easel, fakes: Fakes):
    set_faults(fakes.openai, safety=True, only="/chat/completions")

    response = turn(easel, content="something the filter dislikes", **OPENAI_OPENROUTER)

    assert response.status_code == 502
    assert "content filter" in response.json()["detail"]


# --- broken answers -----------------------------------------------------------------------------


def test_malformed_llm_output_ends_the_run_saying_what_was_wrong(easel, fakes: Fakes):
    set_faults(fakes.openai, malformed=True, after=2, only="/chat/completions")

    error = failed(stream_turn(easel, content="hello", **OPENAI_OPENROUTER))

    assert error["error_kind"] == "malformed_response" and "openai: malformed response" in error["error"]
    assert len(logged(fakes.openai)) == 1, "malformed output is permanent: not asked again"


@pytest.mark.parametrize(
    "switch, expected",
    [
        ({"corrupt": True}, "openrouter: malformed response (image base64 does not decode)"),
        ({"malformed": True}, "openrouter: malformed response (invalid JSON)"),
    ],
)
def test_a_broken_image_answer_ends_the_run_saying_what_was_wrong(easel, fakes: Fakes, switch, expected):
    set_faults(fakes.openrouter, **switch)

    error = failed(stream_turn(easel, content=DRAW, **OPENAI_OPENROUTER))

    assert error["error_kind"] == "malformed_response" and error["error"] == expected
    assert len(logged(fakes.openrouter)) == 1


def test_a_mid_stream_error_chunk_ends_the_run(easel, fakes: Fakes):
    set_faults(fakes.openrouter, stream_error="provider_overloaded", after=2)

    error = failed(stream_turn(easel, content="hello", llm_provider="openrouter", model_name="openai/gpt-4.1"))

    assert "openrouter reported an error mid-stream" in error["error"]


def test_a_dropped_stream_ends_the_run(easel, fakes: Fakes):
    set_faults(fakes.google, drop=True, after=1)

    error = failed(
        stream_turn(easel, content="hello there friend", llm_provider="google", model_name="gemini-2.5-flash")
    )

    assert error["error_kind"] == "connection"


def test_a_stalled_stream_fails_at_the_read_timeout_never_hangs(easel, fakes: Fakes):
    set_faults(fakes.openai, stall=8, after=2, only="/chat/completions")

    events, seconds = timed_stream(easel, content="hello")

    error = failed(events)
    assert error["error_kind"] == "timeout" and "stalled" in error["error"]
    assert of_type(events, "content_streaming"), "the text before the stall reached the client"
    assert seconds < 6


def test_a_non_streaming_client_gets_a_502_naming_the_failure(easel, fakes: Fakes):
    set_faults(fakes.openai, status=400, message="Invalid 'model': no such model", only="/chat/completions")

    response = turn(easel, content="hello", **OPENAI_OPENROUTER)

    assert response.status_code == 502
    assert "openai returned HTTP 400: Invalid 'model': no such model" in response.json()["detail"]


def test_a_provider_that_refuses_connections_fails_the_run_after_the_retries(easel):
    closed = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    bravo = easel.other_api_key
    api_call(
        easel,
        "PUT",
        "/providers/openai/credentials",
        key=bravo,
        json={"api_key": "sk-bravo-nowhere-0001", "base_url": closed},
    )
    try:
        started = time.monotonic()
        error = failed(stream_turn(easel, key=bravo, content="hello", llm_provider="openai", model_name="gpt-4.1"))
    finally:
        api_call(easel, "DELETE", "/providers/openai/credentials", key=bravo)

    assert error["error_kind"] == "connection" and "openai: could not connect" in error["error"]
    assert time.monotonic() - started < 10
