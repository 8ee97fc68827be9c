"""The pieces the live provider tests share: the fakes, the keys, and how to talk to both sides.

Keys are random per session, so the leak test can grep for every one of them.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.gemini import FakeGemini
from tests.fakes.openai import FakeOpenAI
from tests.fakes.openrouter import FakeOpenRouter
from tests.support.processes import LiveEasel


def _key(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(12)}"


SERVER_KEYS = {
    "openai": _key("sk-server-openai"),
    "openrouter": _key("sk-or-server"),
    "google": _key("AIza-server-google"),
    "vllm": _key("vllm-server"),
}
PROJECT_KEYS = {"anthropic": _key("sk-ant-project-alpha"), "openai": _key("sk-project-bravo-openai")}
ALL_KEYS = [*SERVER_KEYS.values(), *PROJECT_KEYS.values()]
# Everything any Easel response said during the session, for the leak test.
RESPONSES: list[str] = []


@dataclass
class Fakes:
    openai: FakeOpenAI
    openrouter: FakeOpenRouter
    anthropic: FakeAnthropic
    google: FakeGemini
    vllm: FakeOpenAI  # an OpenAI-compatible server configured by name

    def all(self) -> list[Any]:
        return [self.openai, self.openrouter, self.anthropic, self.google, self.vllm]


def provider_env(fakes: Fakes) -> dict[str, str]:
    return {
        "EASEL_LOCAL_FALLBACK": "0",
        "EASEL_LOG_LEVEL": "DEBUG",  # the leak test greps the most talkative logs we have
        "OPENAI_API_KEY": SERVER_KEYS["openai"],
        "OPENAI_BASE_URL": fakes.openai.origin + "/v1",
        "OPENROUTER_API_KEY": SERVER_KEYS["openrouter"],
        "OPENROUTER_BASE_URL": fakes.openrouter.origin + "/api/v1",
        "ANTHROPIC_API_KEY": "",
        "ANTHROPIC_BASE_URL": fakes.anthropic.origin,
        "GOOGLE_API_KEY": SERVER_KEYS["google"],
        "GEMINI_API_KEY": "",
        "GOOGLE_BASE_URL": fakes.google.origin,
        "EASEL_OPENAI_COMPATIBLE": f"vllm={fakes.vllm.origin}/v1",
        "VLLM_API_KEY": SERVER_KEYS["vllm"],
        "VLLM_MODELS": "qwen3-8b",
        "EASEL_ALLOW_PROJECT_BASE_URLS": "1",
        # Short, so stalls and retries cost the suite seconds, not minutes.
        "EASEL_PROVIDER_CONNECT_TIMEOUT": "2",
        "EASEL_PROVIDER_READ_TIMEOUT": "2",
        "EASEL_PROVIDER_MAX_RETRIES": "2",
        "EASEL_PROVIDER_MAX_RETRY_WAIT": "5",
    }


# --- talking to the fakes over their control endpoints ------------------------------------------


def set_faults(fake: Any, **switches: Any) -> None:
    httpx.post(fake.origin + "/__fake__/faults", json=switches, timeout=5).raise_for_status()


def script(fake: Any, *replies: dict[str, Any]) -> None:
    httpx.post(fake.origin + "/__fake__/script", json=list(replies), timeout=5).raise_for_status()


def logged(fake: Any, path_suffix: str = "") -> list[dict[str, Any]]:
    records = httpx.get(fake.origin + "/__fake__/requests", timeout=5).json()
    return [r for r in records if r["path"].endswith(path_suffix)]


def body_bytes(record: dict[str, Any]) -> bytes:
    return base64.b64decode(record["body_b64"])


# --- talking to Easel ---------------------------------------------------------------------------


def api_call(easel: LiveEasel, method: str, path: str, *, key: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = {"X-API-Key": key or easel.api_key}
    response = httpx.request(method, easel.api_url + path, headers=headers, timeout=60, **kwargs)
    RESPONSES.append(response.text)
    return response


def turn(easel: LiveEasel, *, key: str | None = None, **fields: Any) -> httpx.Response:
    """One non-streaming turn (POST /threads/messages with JSON)."""
    return api_call(easel, "POST", "/threads/messages", key=key, json={"stream": False, **fields})


def stream_turn(easel: LiveEasel, *, key: str | None = None, **fields: Any) -> list[dict[str, Any]]:
    """One streaming turn: every SSE event, in order, up to the terminal one."""
    events: list[dict[str, Any]] = []
    headers = {"X-API-Key": key or easel.api_key}
    with httpx.stream(
        "POST", easel.api_url + "/threads/messages", headers=headers, json={**fields, "stream": True}, timeout=60
    ) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            RESPONSES.append(line)
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    return events


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("type") == kind]


@dataclass(frozen=True)
class Combo:
    """An LLM and an image model, as a request names them."""

    llm: str
    model: str
    image_provider: str
    image_model: str

    def request(self) -> dict[str, Any]:
        return {
            "llm_provider": self.llm,
            "model_name": self.model,
            "image_generation": "auto",
            "image_model_provider": self.image_provider,
            "image_model_name": self.image_model,
        }

    def __str__(self) -> str:
        return f"{self.llm}+{self.image_provider}"


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
