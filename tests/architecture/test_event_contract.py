"""One event contract: every event type is a member of designs.events.EventType, written only
there. A type spelled elsewhere is one a typo can turn into a type no client knows, and one a
search for the member's producers does not find; the SSE paths are declared once too."""

from __future__ import annotations

import ast
import json
import re
import uuid
from pathlib import Path

import pytest

from designs import events
from designs.events import TERMINAL_TYPES, EventType
from designs.streaming import is_event_stream_path
from tests.architecture.test_import_rules import ROOT, app_modules, dotted

VALUES = {member.value for member in EventType}
# "error" is a field name and a status too ({"error": ...}, {"status": "error"}): it counts only
# where it names a type. Every other value counts wherever it is given, compared or listed.
ALSO_A_WORD = {EventType.ERROR.value}

# backboard-api.md §3.2 (the event catalogue), sorted by what Easel does with each type.
SENT_BY_EASEL = {
    "user_message",
    "content_streaming",
    "tool_call_start",
    "tool_call_ready",
    "media_generated",
    "run_ended",
    "run_failed",
    "error",
    "run_cancelled",
    "tool_submit_required",  # the run pauses for the caller's own tools
}
NOT_SENT_YET = {"reasoning_streaming", "reasoning_ended"}  # thinking
OUT_OF_SCOPE = {"tts_stream_start", "tts_audio_chunk", "tts_stream_end"}  # voice
NEVER_SENT = {"message_complete", "run_completed", "tool_calls"}  # aliases: "Do not emit"
# Not in the catalogue; clients ignore them. The review ones go to thread and project feeds only.
EASELS_OWN = {
    "media_preview",
    "media_failed",
    "run_restarted",
    "review_updated",
    "comment_added",
    "variant_generated",  # the customization ones: their run's stream ends with its own terminal event
    "variant_failed",
    "customization_completed",
    "customization_failed",
}
CONTRACT = ROOT.parent / "shared" / "contract" / "backboard-api.md"


def type_literals(path: Path) -> list[str]:
    """String constants naming an event type: as a `type` key's value or `type=` argument, as
    the type given to emit/publish, or compared or collected ({...}) like one."""
    found: dict[int, ast.Constant] = {}  # by node, so a set inside a comparison counts once
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if _is(key, "type"):
                    _collect(found, value, VALUES)
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "type":
                    _collect(found, keyword.value, VALUES)
            if getattr(node.func, "attr", getattr(node.func, "id", "")) in ("emit", "publish"):
                for argument in node.args:
                    _collect(found, argument, VALUES)
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            names = VALUES if any(_reads_type(operand) for operand in operands) else VALUES - ALSO_A_WORD
            for operand in operands:
                _collect(found, operand, names)
        elif isinstance(node, ast.Set):
            _collect(found, node, VALUES - ALSO_A_WORD)
    return [constant.value for constant in sorted(found.values(), key=lambda c: (c.lineno, c.col_offset))]


def _collect(found: dict[int, ast.Constant], node: ast.AST | None, names: set[str]) -> None:
    items = node.elts if isinstance(node, ast.Set | ast.Tuple | ast.List) else [node]
    for item in items:
        if isinstance(item, ast.Constant) and isinstance(item.value, str) and item.value in names:
            found[id(item)] = item


def _is(node: ast.AST | None, text: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == text


def _reads_type(node: ast.AST) -> bool:
    """`x.get("type")` or `x["type"]`."""
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "get" and node.args:
        return _is(node.args[0], "type")
    return isinstance(node, ast.Subscript) and _is(node.slice, "type")


def test_no_module_but_the_contract_spells_an_event_type():
    spelled = {
        dotted(path): literals
        for path in app_modules()
        if dotted(path) != "designs.events" and (literals := type_literals(path))
    }
    assert spelled == {}


def test_the_reader_finds_every_way_of_spelling_a_type(tmp_path: Path):
    module = tmp_path / "probe.py"
    module.write_text(
        'publish(type="run_ended")\nemit("media_generated")\nx = {"type": "run_failed"}\n'
        'if kind == "content_streaming": pass\nshown = {"media_preview"}\n'
        'if event.get("type") in {"error", "run_cancelled"}: pass\n'
        'ok = {"error": "x", "status": "error"}\nif finish == "error": pass\n'
    )
    assert type_literals(module) == [
        "run_ended",
        "media_generated",
        "run_failed",
        "content_streaming",
        "media_preview",
        "error",
        "run_cancelled",
    ], "a type in every position, and 'error' only where it names one"


def test_every_member_a_module_names_exists():
    """`EventType.TYPO` fails only when its line runs (a rare failure path, say): read it here."""
    unknown = [
        f"{dotted(path)}:{node.lineno} EventType.{node.attr}"
        for path in app_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and getattr(node.value, "id", getattr(node.value, "attr", "")) == "EventType"
        and node.attr not in EventType.__members__
        and node.attr not in dir(EventType)
    ]
    assert unknown == []


def test_the_enum_is_what_easel_sends_of_the_catalogue_and_its_own_types():
    assert VALUES == SENT_BY_EASEL | EASELS_OWN
    assert not VALUES & (NOT_SENT_YET | OUT_OF_SCOPE | NEVER_SENT)
    run_ends = {EventType.RUN_ENDED, EventType.RUN_FAILED, EventType.RUN_CANCELLED, EventType.ERROR}
    customization_ends = {EventType.CUSTOMIZATION_COMPLETED, EventType.CUSTOMIZATION_FAILED}
    assert run_ends | customization_ends == TERMINAL_TYPES


@pytest.mark.skipif(not CONTRACT.exists(), reason="the contract is kept beside the repository")
def test_the_lists_above_are_the_contracts_catalogue():
    section = CONTRACT.read_text().split("### 3.2", 1)[1].split("\n### ", 1)[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    catalogue = {name for cell in first_cells for name in re.findall(r"`([a-z_]+)`", cell)} - {"type"}
    assert catalogue == SENT_BY_EASEL | NOT_SENT_YET | OUT_OF_SCOPE | NEVER_SENT


def test_publish_takes_only_a_member_and_stores_its_plain_value():
    ids = {"project_id": uuid.uuid4(), "thread_id": uuid.uuid4(), "run_id": uuid.uuid4(), "assistant_id": uuid.uuid4()}
    with pytest.raises(ValueError):
        events.publish(**ids, type="run_completed")  # an alias the contract says never to send

    events.publish(**ids, type=EventType.RUN_RESTARTED, attempt=2)

    [(_event_id, stored)] = events.get_log().entries(events.run_stream(ids["run_id"]))
    assert type(stored["type"]) is str and stored["type"] == "run_restarted"
    assert json.dumps({"type": EventType.RUN_ENDED}) == '{"type": "run_ended"}'
    assert events.sse_frame(None, {"type": EventType.ERROR}) == b'data: {"type":"error"}\n\n'


THREAD, RUN = uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(
    ("path", "streams"),
    [
        ("/api/threads/messages", True),
        (f"/api/threads/{THREAD}/messages", True),
        (f"/api/threads/{THREAD}/runs/{RUN}/events", True),
        (f"/api/threads/{THREAD}", False),
        (f"/api/threads/{THREAD}/runs/{RUN}/cancel", False),
        (f"/api/threads/{THREAD}/documents", False),
        ("/api/threads", False),
        ("/healthz", False),
        ("/api/threads/messages/extra", False),
        ("/no/such/page", False),
    ],
)
def test_the_asgi_handler_finds_the_stream_paths_in_the_url_configuration(path: str, streams: bool):
    """The handler skips the per-request thread for exactly the paths of views that stream."""
    assert is_event_stream_path(path) is streams
