"""Shared fixtures: real Redis, live Easel servers in both topologies, SDK clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.processes import LiveEasel, RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def embedded_easel(tmp_path_factory) -> Iterator[LiveEasel]:
    """`make run`'s topology: SQLite (or the suite's PostgreSQL), generation in the web process."""
    live = LiveEasel(tmp_path_factory.mktemp("embedded"))
    yield live
    live.stop()


@pytest.fixture(scope="session")
def celery_easel(tmp_path_factory, redis_server) -> Iterator[LiveEasel]:
    """The production topology: a Celery worker process runs generation, events go via Redis."""
    live = LiveEasel(
        tmp_path_factory.mktemp("celery"), env_overrides={"REDIS_URL": redis_server.fresh_url()}, workers=1
    )
    yield live
    live.stop()


@pytest.fixture(params=["embedded", "celery"])
def easel(request) -> LiveEasel:
    """Each test that takes `easel` runs once per topology: one code path, two deployments."""
    return request.getfixturevalue(f"{request.param}_easel")


@pytest.fixture(autouse=True)
def _a_fresh_request_meter():
    """The in-process request meter counts per user id, and test databases hand the same ids
    out again: without this, one test's requests would count against the next test's user."""
    from designs import ratelimit

    ratelimit._memory = ratelimit._MemoryMeter()


def pytest_sessionstart(session):
    """No sweeper thread in this process: importing project.asgi (the in-process websocket and
    ASGI tests do) would start the embedded one, which then sweeps outside any test's database
    access. Tests that need a sweep call workers.liveness.sweep_stale_runs() themselves; the live
    servers run their own."""
    from workers import liveness

    liveness._sweeper_started = True
