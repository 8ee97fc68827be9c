"""The in-process tenants of the limit tests: the API tests' alpha and bravo."""

from __future__ import annotations

from tests.api.conftest import alpha, bravo  # noqa: F401
