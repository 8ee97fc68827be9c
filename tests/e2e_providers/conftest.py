"""Live Easel servers wired to the four provider fakes, in both topologies, with no local fallback.

The fakes run on loopback threads of this process; the web server and the Celery worker reach
them over HTTP like the real services. Every test starts with clean fakes (requests, faults and
scripts reset over their control endpoints). The server has no Anthropic key: project alpha
brings its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e_providers.stack import PROJECT_KEYS, Fakes, api_call, provider_env
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.gemini import FakeGemini
from tests.fakes.openai import FakeOpenAI
from tests.fakes.openrouter import FakeOpenRouter
from tests.support.processes import LiveEasel


@pytest.fixture(scope="session")
def fakes() -> Iterator[Fakes]:
    started = Fakes(FakeOpenAI(), FakeOpenRouter(), FakeAnthropic(), FakeGemini(), FakeOpenAI())
    for fake in started.all():
        fake.start()
    yield started
    for fake in started.all():
        fake.stop()


def _live(workdir, fakes: Fakes, **extra: str) -> LiveEasel:
    live = LiveEasel(workdir, env_overrides={**provider_env(fakes), **extra}, workers=1 if "REDIS_URL" in extra else 0)
    response = api_call(live, "PUT", "/providers/anthropic/credentials", json={"api_key": PROJECT_KEYS["anthropic"]})
    assert response.status_code == 200, response.text
    return live


@pytest.fixture(scope="session")
def providers_embedded(tmp_path_factory, fakes: Fakes) -> Iterator[LiveEasel]:
    live = _live(tmp_path_factory.mktemp("providers-embedded"), fakes)
    yield live
    live.stop()


@pytest.fixture(scope="session")
def providers_celery(tmp_path_factory, fakes: Fakes, redis_server) -> Iterator[LiveEasel]:
    live = _live(tmp_path_factory.mktemp("providers-celery"), fakes, REDIS_URL=redis_server.fresh_url())
    yield live
    live.stop()


@pytest.fixture(params=["embedded", "celery"])
def easel(request) -> LiveEasel:
    """Each test that takes `easel` runs once per topology."""
    return request.getfixturevalue(f"providers_{request.param}")


@pytest.fixture(autouse=True)
def clean_fakes(fakes: Fakes) -> None:
    for fake in fakes.all():
        httpx.post(fake.origin + "/__fake__/reset", timeout=5).raise_for_status()
