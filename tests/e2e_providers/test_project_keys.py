"""A project's own provider keys on a live server: the run (in the web process or a Celery worker)
sends the project's key, other projects keep the server's, and a provider the server has no key
for works for exactly the projects that brought one."""

from __future__ import annotations

from tests.e2e_providers.stack import PROJECT_KEYS, SERVER_KEYS, Fakes, api_call, logged, stream_turn, turn

HELLO = {"content": "hello", "llm_provider": "openai", "model_name": "gpt-4.1"}


def test_the_run_sends_the_projects_key_and_other_projects_keep_the_servers(easel, fakes: Fakes):
    bravo = easel.other_api_key
    stored = api_call(
        easel, "PUT", "/providers/openai/credentials", key=bravo, json={"api_key": PROJECT_KEYS["openai"]}
    )
    try:
        assert stored.status_code == 200 and stored.json()["last4"] == PROJECT_KEYS["openai"][-4:]
        assert stream_turn(easel, key=bravo, **HELLO)[-1]["type"] == "run_ended"
        assert stream_turn(easel, **HELLO)[-1]["type"] == "run_ended"  # alpha has no openai key of its own
    finally:
        api_call(easel, "DELETE", "/providers/openai/credentials", key=bravo)
    assert stream_turn(easel, key=bravo, **HELLO)[-1]["type"] == "run_ended"

    sent = [r["headers"]["authorization"] for r in logged(fakes.openai, "/chat/completions")]
    assert sent == [
        f"Bearer {PROJECT_KEYS['openai']}",
        f"Bearer {SERVER_KEYS['openai']}",
        f"Bearer {SERVER_KEYS['openai']}",
    ]


def test_a_provider_without_a_server_key_serves_only_projects_with_their_own(easel, fakes: Fakes):
    refused = turn(
        easel, key=easel.other_api_key, content="hello", llm_provider="anthropic", model_name="claude-haiku-4-5"
    )
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("Anthropic has no API key in this project.")
    assert "PUT /api/providers/anthropic/credentials" in refused.json()["configure"]

    served = turn(easel, content="hello", llm_provider="anthropic", model_name="claude-haiku-4-5")

    assert served.status_code == 200 and served.json()["content"].startswith("You said: hello")
    assert [r["headers"]["x-api-key"] for r in logged(fakes.anthropic)] == [PROJECT_KEYS["anthropic"]]


def test_a_projects_base_url_sends_its_requests_elsewhere(easel, fakes: Fakes):
    bravo = easel.other_api_key
    api_call(
        easel,
        "PUT",
        "/providers/openrouter/credentials",
        key=bravo,
        json={"api_key": "sk-or-bravo-own-gateway-0001", "base_url": fakes.vllm.origin + "/v1"},
    )
    try:
        events = stream_turn(easel, key=bravo, content="hello", llm_provider="openrouter", model_name="openai/gpt-4.1")
    finally:
        api_call(easel, "DELETE", "/providers/openrouter/credentials", key=bravo)

    assert events[-1]["type"] == "run_ended"
    assert not logged(fakes.openrouter)
    (request,) = logged(fakes.vllm, "/v1/chat/completions")
    assert request["headers"]["authorization"] == "Bearer sk-or-bravo-own-gateway-0001"


def test_listings_say_what_is_configured_for_the_caller(easel):
    alpha = {p["name"]: p for p in api_call(easel, "GET", "/providers").json()["providers"]}
    bravo = {p["name"]: p for p in api_call(easel, "GET", "/providers", key=easel.other_api_key).json()["providers"]}

    assert alpha["anthropic"]["configured"]
    assert alpha["anthropic"]["project_key"]["last4"] == PROJECT_KEYS["anthropic"][-4:]
    assert not bravo["anthropic"]["configured"] and bravo["anthropic"]["project_key"] is None
    assert alpha["vllm"]["openai_compatible"] and alpha["vllm"]["configured"]
    llms = api_call(easel, "GET", "/models/llm?provider=anthropic", key=easel.other_api_key).json()["models"]
    assert llms and not any(m["configured"] for m in llms)
