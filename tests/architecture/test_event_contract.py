"""One event contract: every event type is a member of designs.events.EventType, and no
producer spells one as a string of its own."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from designs.events import TERMINAL_TYPES, EventType
from tests.architecture.test_import_rules import ROOT, app_modules, dotted

CONTRACT = ROOT.parent / "shared" / "contract" / "backboard-api.md"
# Values that are also ordinary words in payloads ("error" is a field name everywhere).
ALSO_A_FIELD = {EventType.ERROR.value}


def type_literals(path: Path) -> list[str]:
    """String constants equal to an event type, used as the value of a `type` key or argument."""
    tree = ast.parse(path.read_text())
    values = {member.value for member in EventType} - ALSO_A_FIELD
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            pairs = zip(node.keys, node.values, strict=True)
            found += [v.value for k, v in pairs if _is(k, "type") and _constant_in(v, values)]
        elif isinstance(node, ast.Call):
            found += [kw.value.value for kw in node.keywords if kw.arg == "type" and _constant_in(kw.value, values)]
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("emit", "publish"):
                found += [a.value for a in node.args if _constant_in(a, values)]
    return found


def _is(node: ast.AST | None, text: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == text


def _constant_in(node: ast.AST, values: set[str]) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in values


def test_no_module_but_the_contract_spells_an_event_type():
    spelled = {
        dotted(path): literals
        for path in app_modules()
        if dotted(path) != "designs.events" and (literals := type_literals(path))
    }
    assert spelled == {}


def test_the_reader_finds_a_spelled_type(tmp_path: Path):
    module = tmp_path / "probe.py"
    module.write_text('publish(type="run_ended")\nemit("media_generated")\nx = {"type": "run_failed"}\n')
    assert sorted(type_literals(module)) == ["media_generated", "run_ended", "run_failed"]


def test_every_type_the_contract_names_for_streams_is_listed():
    text = CONTRACT.read_text()
    for name in ("content_streaming", "tool_submit_required", "run_ended", "run_failed", "media_generated"):
        if f"`{name}`" in text or f'"{name}"' in text:
            if name == "tool_submit_required":
                continue  # custom tools (issue 13) will send it; Easel does not yet
            assert name in {member.value for member in EventType}, name


def test_types_serialise_as_their_plain_value_and_terminal_ones_end_a_run():
    assert json.dumps({"type": EventType.RUN_ENDED}) == '{"type": "run_ended"}'
    assert {EventType.RUN_ENDED, EventType.RUN_FAILED, EventType.RUN_CANCELLED} <= TERMINAL_TYPES
    assert EventType.CONTENT_STREAMING not in TERMINAL_TYPES
