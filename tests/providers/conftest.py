"""Fixtures for the OpenAI and OpenRouter fakes and adapters (all named openai_* / openrouter_*).

Each fake runs on a loopback port for one test; settings use small timeouts and backoffs so
the fault tests stay fast. Generic helpers (fast_settings, png, text_of...) live in `tests.providers.kit`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import openai
import pytest

from tests.fakes.openai import FakeOpenAI
from tests.fakes.openrouter import FakeOpenRouter
from tests.providers.kit import API_KEY, fast_settings
from workers.providers.base import ChatRequest, LLMEvent
from workers.providers.http import ProviderSettings
from workers.providers.openai import OpenAIChat, OpenAIImages
from workers.providers.openrouter import OpenRouterChat, OpenRouterImages


def read_until_cancelled(chat: OpenAIChat, request: ChatRequest) -> tuple[list[LLMEvent], float]:
    """Stream with `cancelled` turning true after the first event: (events seen, seconds taken)."""
    events: list[LLMEvent] = []
    started = time.monotonic()
    for event in chat.stream(request, cancelled=lambda: bool(events)):
        events.append(event)
    return events, time.monotonic() - started


# Loopback reads are instant; 2 s only has to outlast image encoding in the fake.
READ_TIMEOUT = 2.0


@pytest.fixture
def openai_fake() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def openai_settings(openai_fake: FakeOpenAI) -> ProviderSettings:
    return fast_settings(openai_fake.origin + "/v1", read_timeout=READ_TIMEOUT)


@pytest.fixture
def openai_chat(openai_settings: ProviderSettings) -> OpenAIChat:
    return OpenAIChat(openai_settings)


@pytest.fixture
def openai_images(openai_settings: ProviderSettings) -> OpenAIImages:
    return OpenAIImages(openai_settings)


@pytest.fixture
def openai_sdk(openai_fake: FakeOpenAI) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(api_key=API_KEY, base_url=openai_fake.origin + "/v1", max_retries=0, timeout=5.0)
    yield client
    client.close()


@pytest.fixture
def openrouter_fake() -> Iterator[FakeOpenRouter]:
    fake = FakeOpenRouter()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def openrouter_settings(openrouter_fake: FakeOpenRouter) -> ProviderSettings:
    return fast_settings(openrouter_fake.origin + "/api/v1", read_timeout=READ_TIMEOUT)


@pytest.fixture
def openrouter_chat(openrouter_settings: ProviderSettings) -> OpenRouterChat:
    return OpenRouterChat(openrouter_settings)


@pytest.fixture
def openrouter_images(openrouter_settings: ProviderSettings) -> OpenRouterImages:
    return OpenRouterImages(openrouter_settings)


@pytest.fixture
def openrouter_sdk(openrouter_fake: FakeOpenRouter) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(api_key=API_KEY, base_url=openrouter_fake.origin + "/api/v1", max_retries=0, timeout=5.0)
    yield client
    client.close()
