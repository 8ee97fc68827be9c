"""A run that waits for the caller's tool outputs: pausing it, continuing it, expiring it.

When the LLM calls one of the caller's own tools, the worker pauses the run (`run_pause`): the
run row goes RUNNING -> REQUIRES_ACTION with what it spent so far, the assistant stub that
holds the calls is marked REQUIRES_ACTION, and no worker holds the run while it waits. The
caller's outputs (`tool_outputs_submit`) are stored as `role: tool` messages and the same run
is queued again (REQUIRES_ACTION -> QUEUED); it re-reads the thread and goes on. A run nobody
answers is ended by the sweep (workers.liveness: its wait began at `heartbeat_at`; then
`runs.run_take`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from designs import events
from designs.exceptions import Conflict, Invalid, NotFound
from designs.models import Document, Message, Project, Run
from designs.services.messages import message_create
from designs.services.threads import thread_get
from designs.services.tools import tools_validate

MAX_OUTPUT_BYTES = 1_000_000
MAX_OUTPUTS = 128


def pending_tool_calls(run: Run) -> list[dict[str, Any]]:
    """The caller's tool calls a waiting run waits for ([] when it waits for none)."""
    stub = _waiting_stub(run)
    return list((stub.metadata or {}).get("pending_tool_calls") or []) if stub else []


def _waiting_stub(run: Run) -> Message | None:
    return (
        Message.objects.filter(run=run, role=Message.Role.ASSISTANT, status=Message.Status.REQUIRES_ACTION)
        .order_by("-seq")
        .first()
    )


def run_pause(
    run: Run,
    *,
    attempt: int,
    stub: Message,
    calls: list[dict[str, Any]],
    text: str,
    documents: Sequence[Document],
    cost: float,
) -> bool:
    """RUNNING -> REQUIRES_ACTION for the attempt that holds the run, keeping what it spent so
    far (tokens, images, cost) on the row so a continuation adds to it and charges nothing twice.
    False when the attempt no longer holds the run (cancelled, swept)."""
    with transaction.atomic():
        paused = Run.objects.filter(id=run.id, status=Run.Status.RUNNING, attempts=attempt).update(
            status=Run.Status.REQUIRES_ACTION,
            heartbeat_at=timezone.now(),  # when the wait began: EASEL_TOOL_OUTPUT_TIMEOUT counts from here
            input_tokens=run.input_tokens,
            output_tokens=run.output_tokens,
            images_generated=F("images_generated") + len(documents),
            cost_usd=Decimal(str(cost)),
        )
        if not paused:
            return False
        stub.status = Message.Status.REQUIRES_ACTION
        stub.content = text
        stub.input_tokens, stub.output_tokens = run.input_tokens, run.output_tokens
        stub.metadata = {**(stub.metadata or {}), "pending_tool_calls": calls}
        stub.save(update_fields=["status", "content", "input_tokens", "output_tokens", "metadata"])
        # The images made before the pause belong to the stub (the continuation's answer has its own).
        Document.objects.filter(id__in=[d.id for d in documents]).update(message=stub)
    run.status = Run.Status.REQUIRES_ACTION
    run.images_generated += len(documents)
    return True


@dataclass(frozen=True)
class Continuation:
    """A run queued again with the caller's outputs, and where its event log stood (the pause
    event): a reader follows from there and sees only the continuation."""

    run: Run
    after: str | None
    stream: bool


def tool_outputs_submit(
    *, project: Project, thread_id: Any, run_id: Any | None, data: Any, stream: bool = False
) -> Continuation:
    """Store the outputs and queue the run again. Nothing changes on any error: Invalid (bad
    shape, unknown or missing ids, an output over 1 MB), NotFound (not this project's thread
    or run), Conflict (the run does not wait, or the outputs were already submitted)."""
    outputs = _outputs(data)
    tools = tools_validate(data["tools"]) if data.get("tools") is not None else None
    thinking = data.get("thinking")
    if thinking is not None and not isinstance(thinking, dict):
        raise Invalid("thinking: must be an object")
    with transaction.atomic():
        thread = thread_get(project=project, thread_id=thread_id, for_update=True)
        run = _run_for(project, thread, run_id)
        stub = _waiting_stub(run)
        if run.status != Run.Status.REQUIRES_ACTION or stub is None:
            raise Conflict(f"Run {run.id} is not waiting for tool outputs (it is {run.status})")
        pending = list((stub.metadata or {}).get("pending_tool_calls") or [])
        _check_ids(outputs, pending)
        by_id = dict(outputs)
        for call in pending:
            message_create(
                thread,
                run=run,
                role=Message.Role.TOOL,
                content=by_id[call["id"]],
                metadata={
                    "run_id": str(run.id),
                    "tool_call_id": call["id"],
                    "tool_name": call["function"]["name"],
                    "parent_message_id": str(stub.id),
                },
            )
        stub.status = Message.Status.COMPLETED
        stub.save(update_fields=["status"])
        params = dict(run.params or {})
        if tools is not None:
            params["tools"] = tools
        if thinking is not None:
            params["thinking"] = thinking
        queued = Run.objects.filter(id=run.id, status=Run.Status.REQUIRES_ACTION).update(
            status=Run.Status.QUEUED, params=params, heartbeat_at=timezone.now()
        )
        if not queued:
            raise Conflict(f"Run {run.id} is not waiting for tool outputs")
        run.status, run.params = Run.Status.QUEUED, params
        # Nothing is appended to a waiting run's log, so its last event is the pause.
        after = events.get_log().last_id(events.run_stream(run.id))
        transaction.on_commit(lambda: _start(str(run.id)))
    return Continuation(run, after, stream)


def _outputs(data: Any) -> list[tuple[str, str]]:
    if not isinstance(data, dict):
        raise Invalid("The JSON body must be an object")
    outputs = data.get("tool_outputs")
    if not isinstance(outputs, list) or not outputs:
        raise Invalid("tool_outputs: must be a non-empty list of {tool_call_id, output}")
    if len(outputs) > MAX_OUTPUTS:
        raise Invalid(f"tool_outputs: at most {MAX_OUTPUTS} outputs are allowed")
    parsed = []
    for index, item in enumerate(outputs):
        if not isinstance(item, dict) or not isinstance(item.get("tool_call_id"), str) or not item["tool_call_id"]:
            raise Invalid(f"tool_outputs[{index}]: must be an object with a tool_call_id string and an output string")
        output = item.get("output")
        if not isinstance(output, str):
            raise Invalid(f"tool_outputs[{index}].output: must be a string (encode structured results as JSON text)")
        if len(output.encode()) > MAX_OUTPUT_BYTES:
            raise Invalid(f"tool_outputs[{index}].output: over the limit of {MAX_OUTPUT_BYTES} bytes")
        parsed.append((item["tool_call_id"], output))
    return parsed


def _check_ids(outputs: list[tuple[str, str]], pending: list[dict[str, Any]]) -> None:
    wanted = [call["id"] for call in pending]
    given = [call_id for call_id, _ in outputs]
    repeated = sorted({i for i in given if given.count(i) > 1})
    if repeated:
        raise Invalid(f"tool_outputs: more than one output for {', '.join(repeated)}")
    unknown = [i for i in given if i not in wanted]
    if unknown:
        raise Invalid(f"tool_outputs: unknown tool_call_id {', '.join(unknown)}; the run waits for {', '.join(wanted)}")
    missing = [i for i in wanted if i not in given]
    if missing:
        raise Invalid(f"tool_outputs: missing outputs for {', '.join(missing)}; answer every pending tool call")


def _run_for(project: Project, thread, run_id: Any | None) -> Run:
    if run_id is not None:
        run = Run.objects.select_for_update().filter(project=project, thread=thread, id=run_id).first()
        if run is None:
            raise NotFound("Run not found")
        return run
    stub = (
        Message.objects.filter(thread=thread, role=Message.Role.ASSISTANT, status=Message.Status.REQUIRES_ACTION)
        .order_by("-seq")
        .first()
    )
    if stub is None or stub.run_id is None:
        raise Conflict(f"Thread {thread.id} has no run waiting for tool outputs")
    return Run.objects.select_for_update().get(id=stub.run_id)


def _start(run_id: str) -> None:
    from workers.dispatch import enqueue_run

    enqueue_run(run_id)
