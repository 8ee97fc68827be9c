"""The caller's own tools in a run: which are offered, and the pause when the LLM calls one.

Easel cannot run the caller's tools, so a step that calls one ends the attempt: the run is
paused (designs/services/tool_outputs.py `run_pause`), `tool_submit_required` tells the client
which calls to answer, and the worker returns. `generate_image` calls of the same step have run
already; their results are in the thread when the caller's outputs arrive, and the queued run
goes on from the thread (workers/history.py).
"""

from __future__ import annotations

import logging
from typing import Any

from designs.events import EventType
from designs.exceptions import Invalid
from designs.models import Message, Run
from designs.services.tool_outputs import run_pause
from designs.services.tools import tools_validate
from workers import history
from workers.providers.base import ToolCall
from workers.run_context import RunContext

logger = logging.getLogger(__name__)


class RunPaused(Exception):
    """The run waits for the caller's tool outputs (or was ended by someone else meanwhile)."""


def caller_tools(run: Run) -> list[dict[str, Any]]:
    """The caller's tools for this run: the turn's (`tools`, even []), else the assistant's.

    The turn's were checked when they came in (the turn, a tool-outputs submit), so they are
    offered as stored: checking a schema costs about half a millisecond a tool, before the
    first token. The assistant's are checked here because assistants stored before tools were
    checked may hold anything: those offer none rather than fail the run."""
    tools = run.params.get("tools")
    if tools is not None:
        return tools
    try:
        return tools_validate(run.assistant.tools or [])
    except Invalid as exc:
        logger.warning("run %s: ignoring the assistant's tools: %s", run.id, exc)
        return []


def pause(ctx: RunContext, stub: Message, calls: list[ToolCall]) -> None:
    """Pause the run for `calls` (the caller's, never generate_image) and raise RunPaused."""
    run = ctx.run
    waiting = history.tool_call_dicts(calls)
    cost = ctx.cost()
    if run_pause(run, attempt=ctx.attempt, stub=stub, calls=waiting, text=ctx.text, documents=ctx.documents, cost=cost):
        ctx.emit(
            EventType.TOOL_SUBMIT_REQUIRED,
            status="REQUIRES_ACTION",
            message_id=str(stub.id),
            tool_calls=waiting,
            input_tokens=run.input_tokens,
            output_tokens=run.output_tokens,
            total_tokens=run.total_tokens,
            cached_input_tokens=0,
            cache_write_input_tokens=0,
            cost_usd=cost,
        )
        logger.info("run %s waits for %d tool output(s)", run.id, len(waiting))
    raise RunPaused()
