"""Root conftest: test settings that must exist before Django loads."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "easel-test-secret-key-not-for-production")

# Limits (runs, requests a minute, websockets) out of reach of the tests that do not exercise
# them: in-process tests share one process's meters, and SQLite gives a new test's users the ids
# an earlier test's had. tests/limits sets its own; live servers get the same (LiveEasel).
from tests.support.processes import LIMITS_FOR_TESTS  # noqa: E402

for _name, _value in LIMITS_FOR_TESTS.items():
    os.environ.setdefault(_name, _value)
