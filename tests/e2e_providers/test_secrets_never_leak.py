"""No provider key, the server's or a project's, ever appears in a response, an event or a log line.

Runs last in this folder (by name), so it also greps everything the earlier tests made the
servers say and log. Its own turns include providers that quote the key back in their errors,
which is the path most likely to leak one.
"""

from __future__ import annotations

from tests.e2e_providers.stack import (
    ALL_KEYS,
    PROJECT_KEYS,
    RESPONSES,
    SERVER_KEYS,
    Fakes,
    api_call,
    set_faults,
    stream_turn,
    turn,
)


def everything_said(easel) -> str:
    logs = "\n".join(path.read_text(errors="replace") for path in sorted(easel.workdir.glob("*.log")))
    return logs + "\n".join(RESPONSES)


def test_no_key_appears_in_responses_events_or_logs(easel, fakes: Fakes):
    set_faults(fakes.openai, status=401, message=f"Incorrect API key provided: {SERVER_KEYS['openai']}.")
    set_faults(fakes.anthropic, status=401, message=f"invalid x-api-key {PROJECT_KEYS['anthropic']}")

    quoted_server = stream_turn(easel, content="hello", llm_provider="openai", model_name="gpt-4.1")
    quoted_project = turn(easel, content="hello", llm_provider="anthropic", model_name="claude-haiku-4-5")
    for path in ("/providers", "/providers/anthropic/credentials", "/models/llm", "/models/image/all", "/usage"):
        assert api_call(easel, "GET", path).status_code == 200
    stored = api_call(
        easel,
        "PUT",
        "/providers/google/credentials",
        key=easel.other_api_key,
        json={"api_key": PROJECT_KEYS["openai"] + "-google"},
    )
    api_call(easel, "DELETE", "/providers/google/credentials", key=easel.other_api_key)

    # The masked form shows the key-quoting paths really ran.
    assert quoted_server[-1]["type"] == "run_failed" and quoted_server[-1]["error_kind"] == "auth"
    assert "****" + SERVER_KEYS["openai"][-4:] in quoted_server[-1]["error"]
    assert quoted_project.status_code == 502 and "****" + PROJECT_KEYS["anthropic"][-4:] in quoted_project.text
    assert stored.status_code == 200
    said = everything_said(easel)
    leaked = [key for key in [*ALL_KEYS, PROJECT_KEYS["openai"] + "-google"] if key in said]
    assert leaked == []
