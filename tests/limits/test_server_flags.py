"""The web server's limits are set where a deployment starts it (the Procfile's `web:`), where
`make run` starts it, and where the tests start it (LiveEasel), and all three say the same, so
what the live tests prove is what a deployment runs."""

from __future__ import annotations

import re
import shlex

from tests.support.processes import ROOT, server_flags

LIMIT_FLAGS = ("--http", "--timeout-keep-alive", "--limit-concurrency", "--h11-max-incomplete-event-size")
VARIABLE = re.compile(r"^\$?\$\{(\w+):-([^}]*)\}$")  # ${NAME:-default}, or $${...} in a Makefile


def _flags(command: str) -> dict[str, tuple[str | None, str]]:
    """flag -> (the variable it is read from, or None, and its default or literal value)."""
    words = shlex.split(command.split("uvicorn", 1)[1])
    flags = {}
    for flag, value in zip(words, words[1:], strict=False):
        if flag in LIMIT_FLAGS:
            match = VARIABLE.match(value)
            flags[flag] = (match[1], match[2]) if match else (None, value)
    return flags


def _procfile_web() -> str:
    return next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))


def _make_run() -> str:
    recipe = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    command = recipe.replace("\\\n", " ")
    return next(line for line in command.splitlines() if "uvicorn" in line)


def _live_easel() -> dict[str, tuple[str | None, str]]:
    defaults = server_flags({})
    named = server_flags({variable: f"<{variable}>" for variable in _variables()})
    flags = {}
    for index in range(0, len(defaults), 2):
        flag, default, value = defaults[index], defaults[index + 1], named[index + 1]
        flags[flag] = (value[1:-1], default) if value != default else (None, default)
    return flags


def _variables() -> set[str]:
    return {variable for variable, _ in _flags(_procfile_web()).values() if variable}


def test_the_procfile_sets_every_server_limit_with_easel_s_protocol():
    flags = _flags(_procfile_web())
    assert set(flags) == set(LIMIT_FLAGS)
    assert flags["--http"] == (None, "project.server:HttpToolsProtocol")


def test_make_run_and_the_live_test_servers_set_the_same_limits_as_the_procfile():
    procfile = _flags(_procfile_web())
    assert _flags(_make_run()) == procfile
    assert _live_easel() == procfile
