"""Slow live servers: the local engines take their time, so tests can act mid-run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.processes import LiveEasel

# A chat turn whose agent draws one picture with the local engines (slow under SLOW).
PICTURE = {
    "content": "Draw an orange balloon over the mountains.",
    "stream": True,
    "llm_provider": "local",
    "image_generation": "auto",
    "image_model_provider": "local",
    "image_model_name": "easel-local-painter",
}
SLOW = {"EASEL_LOCAL_STREAM_DELAY": "0.08", "EASEL_LOCAL_IMAGE_DELAY": "1.5", "EASEL_SSE_KEEPALIVE": "1"}


@pytest.fixture(scope="session")
def slow_embedded(tmp_path_factory) -> Iterator[LiveEasel]:
    live = LiveEasel(tmp_path_factory.mktemp("slow-embedded"), env_overrides=SLOW)
    yield live
    live.stop()


@pytest.fixture(scope="session")
def slow_celery(tmp_path_factory, redis_server) -> Iterator[LiveEasel]:
    live = LiveEasel(
        tmp_path_factory.mktemp("slow-celery"),
        env_overrides={**SLOW, "REDIS_URL": redis_server.fresh_url()},
        workers=1,
    )
    yield live
    live.stop()


@pytest.fixture(params=["embedded", "celery"])
def slow_easel(request) -> LiveEasel:
    return request.getfixturevalue(f"slow_{request.param}")
