"""Live Easel servers that send webhooks to loopback receivers, in both topologies.

Retries come fast (0.3, 0.6, 1 s), the poller looks every 0.5 s for deliveries overdue by 1 s,
an attempt waits 1 s at most and holds its delivery for 8 s,
and an endpoint failing for 3 s is disabled, so each behaviour costs the suite seconds. The
servers are shared by the whole folder: each test's endpoints are deleted and its receivers
stopped when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.processes import LiveEasel
from tests.webhooks.hooks import Hooks

WEBHOOK_ENV = {
    "EASEL_WEBHOOK_ALLOW_PRIVATE": "1",
    "EASEL_WEBHOOK_RETRY_SCHEDULE": "0.3,0.6,1",
    "EASEL_WEBHOOK_POLL_SECONDS": "0.5",
    "EASEL_WEBHOOK_POLL_GRACE": "1",
    "EASEL_WEBHOOK_LEASE_SECONDS": "8",
    "EASEL_WEBHOOK_TIMEOUT": "1",
    "EASEL_WEBHOOK_DISABLE_AFTER": "3",
}


@pytest.fixture(scope="session")
def hooked_servers(tmp_path_factory, redis_server) -> Iterator[dict[str, LiveEasel]]:
    """Both topologies, started side by side (each takes a while to migrate): embedded, and a
    Celery worker that delivers with beat running the outbox's poller."""
    with ThreadPoolExecutor(2) as pool:
        starting = {
            "embedded": pool.submit(LiveEasel, tmp_path_factory.mktemp("webhooks-embedded"), env_overrides=WEBHOOK_ENV),
            "celery": pool.submit(
                LiveEasel,
                tmp_path_factory.mktemp("webhooks-celery"),
                env_overrides={**WEBHOOK_ENV, "REDIS_URL": redis_server.fresh_url()},
                workers=1,
            ),
        }
    servers = {name: future.result() for name, future in starting.items() if future.exception() is None}
    try:
        for future in starting.values():
            future.result()  # raises the first failure to start, once the other server is known
        servers["celery"].start_beat()
        yield servers
    finally:
        for live in servers.values():
            live.stop()


@pytest.fixture(params=["embedded", "celery"])
def easel(request) -> LiveEasel:
    """Each delivery test runs once per topology."""
    return request.getfixturevalue("hooked_servers")[request.param]


@pytest.fixture
def hooks(easel: LiveEasel) -> Iterator[Hooks]:
    made = Hooks(easel)
    yield made
    made.clean_up()
