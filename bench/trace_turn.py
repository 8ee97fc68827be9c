"""Where Easel's time to first event goes: one turn at a time, phase by phase.

    python -m bench.trace_turn [--rounds 40] [--workers 1]

Starts what `make bench` starts for Easel (a private Redis, the paced fake, uvicorn and one
Celery worker, SQLite unless DATABASE_URL names PostgreSQL) with `EASEL_TRACE=1`, sends
`--rounds` streams one after another, and joins the client's clock, the web process's and the
worker's trace lines (designs/trace.py) and the send time the fake stamps into each delta (one
host, one clock). `phases()` is also what `make bench` reports beside its TTFE table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.sse_client import Stream, easel_reading, request_bytes, run_stream

TRACE = re.compile(r"trace run=(\S+) side=(\w+) (.*)$")
# (label, from, to): each a mark of the client ("client.*"), the fake ("fake.sent"), or a process.
PHASES = [
    ("request reaches Django", "client.started", "web.asgi"),
    ("middleware", "web.asgi", "web.request"),
    ("authenticate the key", "web.request", "web.auth"),
    ("parse and validate", "web.auth", "web.parsed"),
    ("store the turn (one transaction)", "web.parsed", "web.committed"),
    ("publish user_message", "web.committed", "web.published"),
    ("enqueue the run", "web.published", "web.enqueued"),
    ("(client gets the first event)", "web.enqueued", "client.first_event"),
    ("broker to worker", "web.enqueued", "worker.start"),
    ("claim the run", "worker.start", "worker.claimed"),
    ("load the run", "worker.claimed", "worker.loaded"),
    ("build the LLM adapter", "worker.loaded", "worker.llm"),
    ("load the conversation", "worker.llm", "worker.history"),
    ("prepare the request", "worker.history", "worker.request"),
    ("provider: connect, its pace, first delta", "worker.request", "worker.delta"),
    ("publish the delta", "worker.delta", "worker.emitted"),
    ("relay to the client", "worker.emitted", "client.first"),
    ("TTFE", "client.started", "client.first"),
]


def read_traces(logs: list[Path]) -> dict[str, dict[str, float]]:
    """run id -> {"web.request": t, "worker.claimed": t, ...} from the processes' logs."""
    runs: dict[str, dict[str, float]] = {}
    for path in logs:
        for line in path.read_text(errors="replace").splitlines():
            match = TRACE.search(line)
            if not match:
                continue
            run_id, side, marks = match.groups()
            into = runs.setdefault(run_id, {})
            for item in marks.split():
                name, _, value = item.partition("=")
                into[f"{side}.{name}"] = float(value)
    return runs


def join(streams: list[Stream], runs: dict[str, dict[str, float]]) -> list[dict[str, float]]:
    """Each stream with the trace of its turn: the run whose view began first after it was sent."""
    ordered = sorted((marks["web.asgi"], marks) for marks in runs.values() if "web.asgi" in marks)
    joined = []
    for stream in streams:
        if stream.first is None or not stream.deltas:
            continue
        after = [marks for t, marks in ordered if t >= stream.started]
        if not after:
            continue
        marks = dict(after[0])
        marks.update({"client.started": stream.started, "client.first": stream.first, "fake.sent": stream.deltas[0][1]})
        if stream.first_event is not None:
            marks["client.first_event"] = stream.first_event
        joined.append(marks)
    return joined


def phases(joined: list[dict[str, float]]) -> list[dict[str, Any]]:
    rows = []
    for label, start, end in PHASES:
        spans = [(m[end] - m[start]) * 1000 for m in joined if start in m and end in m]
        if spans:
            rows.append(
                {
                    "phase": label,
                    "p50_ms": round(statistics.median(spans), 3),
                    "p99_ms": round(sorted(spans)[min(len(spans) - 1, int(len(spans) * 0.99))], 3),
                    "n": len(spans),
                }
            )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| phase | p50 ms | p99 ms | turns |", "|---|---|---|---|"]
    lines += [f"| {r['phase']} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['n']} |" for r in rows]
    return "\n".join(lines)


async def traced_streams(port: int, api_key: str, rounds: int, warmup: int) -> list[Stream]:
    from bench.run import EASEL_TURN

    request = request_bytes("POST", "/api/threads/messages", port, {"x-api-key": api_key}, EASEL_TURN)
    streams = []
    for n in range(warmup + rounds):
        stream = await run_stream(port, request, easel_reading, within=30)
        if n >= warmup:
            streams.append(stream)
        await asyncio.sleep(0.05)
    return streams


def trace_phase(
    workdir: Path, redis: Any, fake_port: int, args: argparse.Namespace, rounds: int = 40, database_server: str = ""
) -> list[dict]:
    """`make bench`'s trace: a traced Easel of its own (the trace is set when a process starts),
    `rounds` turns one at a time, each phase's p50 and p99."""
    from bench.run import _run_loop, start_easel

    easel, _workers = start_easel(workdir, redis, fake_port, args, trace=True, database_server=database_server)
    try:
        streams = _run_loop(traced_streams(easel.port, easel.api_key, rounds, warmup=5))
    finally:
        easel.stop()
    return phases(join(streams, read_traces(sorted(workdir.glob("*.log")))))


def main(argv: list[str] | None = None) -> None:
    from bench.run import parse_args as bench_args
    from bench.run import start_fake
    from tests.support.processes import RedisServer, free_port

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", default="", help="a PostgreSQL server URL (default: SQLite)")
    ours = parser.parse_args(argv)
    args = bench_args(["--deltas", "4", "--workers", str(ours.workers)])
    with tempfile.TemporaryDirectory(prefix="easel-trace-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        redis = RedisServer(workdir)
        stack.callback(redis.stop)
        fake_port = free_port()
        fake = start_fake(fake_port, args, workdir / "fake.log")
        stack.callback(fake.kill)
        print(table(trace_phase(workdir / "easel", redis, fake_port, args, ours.rounds, ours.postgres)))


if __name__ == "__main__":
    main()
