"""In-process budget fixtures: the API tests' alpha (ours) and bravo (a stranger), and a team
(owner, admin, member, reviewer) for who may change the limits."""

from __future__ import annotations

from tests.api.conftest import alpha, bravo  # noqa: F401
from tests.dashboard.conftest import team  # noqa: F401
