"""Generation: claim a run, talk to the LLM (and the image tool), persist, emit events.

Safe to call twice for the same run: only a QUEUED run is claimed. Every way out ends the run
with exactly one terminal event (run_ended, run_failed or run_cancelled).
"""

from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from designs import trace
from designs.db import release_connection
from designs.events import EventType
from designs.models import Message, Run
from designs.services.messages import message_create
from workers import history
from workers.adapters import llm_for
from workers.customize import customize
from workers.image_tool import TOOL_NAME, TOOL_SCHEMA, ImageTool, ToolError
from workers.liveness import Heartbeat, dead_attempt, take_over
from workers.providers.base import (
    ChatMessage,
    ChatRequest,
    ContentPolicyError,
    Finished,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolCallStarted,
    Usage,
)
from workers.run_context import RunCancelled, RunContext, RunTimedOut
from workers.tool_pause import RunPaused, caller_tools, pause

logger = logging.getLogger(__name__)


def run_generation(run_id: str, *, redelivered: bool = False) -> None:
    """Execute one run to its end.

    Only a QUEUED run is claimed, so a duplicate delivery is a no-op. A redelivery after a
    worker died mid-run takes the run over (fenced by the attempt counter) when the dead attempt
    showed nothing to the client yet, and otherwise fails it: never two answers, never two
    images for one tool call.
    """
    trace.begin("start")
    run = _claim(run_id, redelivered=redelivered)
    if run is None:
        return
    trace.mark("loaded")
    ctx = RunContext(run)
    with Heartbeat(run_id, ctx.attempt):
        _execute(ctx)


def _claim(run_id: str, *, redelivered: bool) -> Run | None:
    now = timezone.now()
    claimed = Run.objects.filter(id=run_id, status=Run.Status.QUEUED).update(
        status=Run.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
    )
    trace.mark("claimed")
    if not claimed and redelivered:
        return _take_over(run_id)
    if not claimed:
        logger.info("run %s is not queued; nothing to do", run_id)
        return None
    return _load(run_id)


def _load(run_id: str) -> Run:
    return Run.objects.select_related("thread", "assistant", "project", "user_message").get(id=run_id)


def _take_over(run_id: str) -> Run | None:
    """A redelivered run: once its attempt is known dead, restart it here or fail it (the
    sweeper's rules, in workers.liveness)."""
    dead = dead_attempt(run_id)
    if dead is None or take_over(dead, elsewhere=False) != "restarted":
        return None
    return _load(run_id)


def _execute(ctx: RunContext) -> None:
    run = ctx.run
    run_id = str(run.id)
    if run.fallback:
        logger.warning("run %s uses the local engines (EASEL_LOCAL_FALLBACK)", run_id)
    try:
        if run.operation == Run.Operation.GENERATE_IMAGE:
            _direct_image(ctx)
        elif run.operation == Run.Operation.CUSTOMIZE:
            customize(ctx)
        else:
            _chat(ctx)
    except RunPaused:  # waits for the caller's tool outputs, holding no worker
        pass
    except RunCancelled:
        ctx.cancel()
    except ToolError as exc:  # direct mode has no LLM to read a tool error back
        ctx.fail(str(exc), exc.kind)
    except (SoftTimeLimitExceeded, RunTimedOut):
        ctx.fail(f"The run exceeded its time limit of {settings.EASEL_RUN_TIME_LIMIT} s", "timeout")
    except ProviderError as exc:
        logger.warning("run %s failed: %s (%s)", run_id, exc.message, exc.kind)
        ctx.fail(exc.message, exc.kind)
    except Exception:
        logger.exception("run %s crashed", run_id)
        ctx.fail("Internal error while generating; the server log has details", "internal")
    else:
        ctx.complete()


def _chat(ctx: RunContext) -> None:
    """LLM turns, with tool round-trips, until the model answers without calling a tool, or
    calls one of the caller's own tools (the run then pauses: RunPaused)."""
    run = ctx.run
    llm = llm_for(run)
    tool = ImageTool(ctx) if run.image_generation else None
    trace.mark("llm")
    theirs = caller_tools(run)
    offered = ((TOOL_SCHEMA,) if tool is not None else ()) + tuple(theirs)
    their_names = {t["function"]["name"] for t in theirs}
    messages = history.conversation(run)
    trace.mark("history")
    max_rounds = _max_rounds()
    for round_number in range(max_rounds + 1):
        # The last round offers no tools, so a model that keeps calling them must answer.
        offer_tools = bool(offered) and round_number < max_rounds
        request = ChatRequest(
            model=run.llm_model,
            messages=messages,
            tools=offered if offer_tools else (),
            system=next((m.content for m in messages if m.role == "system"), None),
            extra={k: v for k, v in run.params.items() if k in ("openrouter", "thinking") and v},
        )
        calls = _stream_step(ctx, llm, request)
        if not calls:
            return
        stub, round_trip = _tool_round(ctx, tool, calls, waiting_for=their_names)
        waiting = [call for call in calls if call.name in their_names]
        if waiting:
            pause(ctx, stub, waiting)
        messages = (*messages, *round_trip)


def _max_rounds() -> int:
    return settings.EASEL_MAX_TOOL_ROUNDS


def _stream_step(ctx: RunContext, llm, request: ChatRequest) -> list[ToolCall]:
    calls: list[ToolCall] = []
    release_connection()  # the stream takes seconds to minutes
    trace.mark("request")
    for event in llm.stream(request, cancelled=ctx.cancelled):
        ctx.raise_if_cancelled()
        if isinstance(event, TextDelta):
            trace.mark("delta")
            ctx.add_text(event.text)
            trace.mark("emitted")
            trace.flush(ctx.run.id, "worker")
        elif isinstance(event, ToolCallStarted):
            ctx.emit(EventType.TOOL_CALL_START, tool_call_id=event.id, name=event.name, hosted=event.name == TOOL_NAME)
        elif isinstance(event, ToolCallReady):
            calls.append(event.call)
            ctx.emit(
                EventType.TOOL_CALL_READY,
                hosted=event.call.name == TOOL_NAME,
                tool_call=history.tool_call_dicts([event.call])[0],
            )
        elif isinstance(event, Usage):
            ctx.add_usage(event.input_tokens, event.output_tokens)
        elif isinstance(event, Finished) and event.reason == "content_filter" and not ctx.text:
            # Otherwise the client would get an empty "completed" answer and no reason why.
            raise ContentPolicyError(f"{llm.name} withheld the answer: its content filter flagged this conversation")
    ctx.raise_if_cancelled()
    return calls


def _tool_round(
    ctx: RunContext, tool: ImageTool | None, calls: list[ToolCall], *, waiting_for: set[str]
) -> tuple[Message, list[ChatMessage]]:
    """Run the calls, persist the round-trip in the thread, and return it (and its stub) for the
    next LLM step. Calls of the caller's own tools (`waiting_for`) are left for the caller."""
    run = ctx.run
    stub = _save_message(
        ctx,
        role=Message.Role.ASSISTANT,
        content="",
        metadata={"run_id": str(run.id), "tool_calls": history.tool_call_dicts(calls)},
    )
    out: list[ChatMessage] = [ChatMessage(role="assistant", content="", tool_calls=tuple(calls))]
    for call in calls:
        if call.name in waiting_for:
            continue
        if tool is not None and call.name == TOOL_NAME:
            result = tool.call(call)
        else:
            result = {"status": "error", "error": f"Unknown tool '{call.name}'"}
        content = history.tool_result_json(result)
        _save_message(
            ctx,
            role=Message.Role.TOOL,
            content=content,
            metadata={
                "run_id": str(run.id),
                "tool_call_id": call.id,
                "tool_name": call.name,
                "parent_message_id": str(stub.id),
            },
        )
        out.append(ChatMessage(role="tool", content=content, tool_call_id=call.id, name=call.name))
    return stub, out


def _save_message(ctx: RunContext, *, role: str, content: str, metadata: dict) -> Message:
    run = ctx.run
    return message_create(
        run.thread,
        run=run,
        role=role,
        content=content,
        metadata=metadata,
        model_provider=run.llm_provider if role == Message.Role.ASSISTANT else None,
        model_name=run.llm_model if role == Message.Role.ASSISTANT else None,
    )


def _direct_image(ctx: RunContext) -> None:
    """operation=generate_image: the user's text goes straight to the image model, no LLM."""
    tool = ImageTool(ctx)
    inputs, _mask = tool.turn()  # the turn's mask confines the edit of its first image
    tool.generate(prompt=ctx.run.user_message.content or "", inputs=inputs, tool_call_id="direct")
