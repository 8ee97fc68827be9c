"""A live Easel of the OpenAPI tests' own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dashboard.browser import chromium  # noqa: F401 (the docs pages are looked at in Chromium)
from tests.support.processes import LiveEasel


@pytest.fixture(scope="module")
def fuzzed_easel(tmp_path_factory) -> Iterator[LiveEasel]:
    """The embedded topology, for the fuzzer alone: what it stores (assistants, threads, provider
    keys with random names) never reaches the servers other tests share."""
    # A feed connection ends after 0.3 s, so each fuzzed GET /api/events is a short one.
    env = {"EASEL_LOCAL_IMAGE_DELAY": "0", "EASEL_FEED_SECONDS": "0.3"}
    live = LiveEasel(tmp_path_factory.mktemp("openapi"), env_overrides=env)
    yield live
    live.stop()
