"""`make bench`: one paced fake LLM stream measured direct, through Easel, and through LiteLLM;
the trace of one turn; a provider's image to the client; image turns held.

    python -m bench.run [--rounds 25] [--rungs 50,100,200,300] [--duration 12] [--phases ...]

Everything listens on 127.0.0.1: a private redis-server, the paced fake (bench.paced_fake, its
own process), a live Easel (uvicorn + one Celery worker, Redis topology) on SQLite and another on
a fresh PostgreSQL database (`--postgres`), and a pinned LiteLLM proxy in bench/.venv-litellm.

Phase 1 sends one stream at a time, round-robin over the paths. The trace (bench.trace_turn)
times one turn phase by phase. Phase 2 holds `--hold` streams at once with the fake slowed to
`--hold-interval` (so the CPU is not the limit) and reads the relay's memory. Phase 3 ramps
closed-loop concurrency at the real pace (each of C clients starts a new stream as soon as its
last one ends), stopping a path at its first rung that is not sustained. Then bench.media and
bench.image_turns (bench.image_phases) with processes of their own. Definitions are in
bench/measure.py. Prints Markdown tables, writes bench/results/*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import measure, report
from bench.image_phases import image_phases
from bench.proc_stats import cpu_seconds, machine_busy_seconds, own_cpu_seconds, pss_kib, rss_kib, stop, threads
from bench.sse_client import Reading, Stream, easel_reading, openai_reading, request_bytes, run_stream
from tests.support.processes import LiveEasel, RedisServer, free_port, is_postgres, maintenance_connection, wait_for

RESULTS = Path(__file__).resolve().parent / "results"
CHAT = {"model": "fake", "messages": [{"role": "user", "content": "bench"}], "stream": True}
EASEL_TURN = {
    "content": "bench",
    "stream": True,
    "llm_provider": "openai",
    "model_name": "gpt-4o-mini",
    "image_generation": "off",
}


@dataclass
class Target:
    name: str
    port: int
    path: str
    body: dict[str, Any]
    read: Callable[[bytes], Reading]
    headers: dict[str, str] = field(default_factory=dict)
    cpu_pids: dict[str, list[int]] = field(default_factory=dict)  # role -> pids (descendants included)
    memory_pid: int | None = None  # the process that holds client connections

    def request(self) -> bytes:
        return request_bytes("POST", self.path, self.port, self.headers, self.body)

    async def stream(self, within: float) -> Stream:
        return await run_stream(self.port, self.request(), self.read, within)

    def cpu(self) -> dict[str, float]:
        return {role: cpu_seconds(pids) for role, pids in self.cpu_pids.items()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deltas", type=int, default=64)
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between the fake's deltas")
    parser.add_argument("--warmup", type=int, default=5, help="streams per path before phase 1")
    parser.add_argument("--rounds", type=int, default=25, help="phase 1 streams per path")
    parser.add_argument("--hold", type=int, default=200, help="phase 2: streams held at once")
    parser.add_argument("--hold-interval", type=float, default=0.5, help="phase 2: the fake's slowed pace")
    parser.add_argument("--rungs", default="10,25,50,100,200,300", help="phase 3 concurrency levels")
    parser.add_argument("--duration", type=float, default=12.0, help="seconds of new streams per rung")
    parser.add_argument("--paths", default="direct,easel,litellm", help="which paths to measure")
    parser.add_argument(
        "--phases",
        default="single,trace,hold,ramp,media,image_turns",
        help="which phases to run (single, trace, hold, ramp, media, image_turns)",
    )
    parser.add_argument("--media-rounds", type=int, default=20, help="media phase: images per size and setup")
    parser.add_argument("--image-rungs", default="100,500,1000", help="image-turns phase: turns held per rung")
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server for phase 1's second Easel ('' for none); SQLite is the first",
    )
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork"], help="Celery worker pool")
    parser.add_argument("--worker-concurrency", type=int, default=320, help="threads (or children) per worker")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--wait-quiet", type=float, default=0, help="wait up to this many seconds for an idle machine")
    parser.add_argument("--out", type=Path, default=None, help="JSON path (default bench/results/<time>.json)")
    return parser.parse_args(argv)


def checkout() -> dict[str, Any]:
    """Which code was measured: the commit, and whether the tree differed from it."""
    root = Path(__file__).resolve().parents[1]
    git = ["git", "-C", str(root)]
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    return {"commit": commit or None, "modified": bool(dirty.stdout.strip()) if commit else None}


def machine() -> dict[str, Any]:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0]
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(int(meminfo.split()[1]) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "redis": subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2],
    }


# --------------------------------------------------------------------------------------------
# The processes
# --------------------------------------------------------------------------------------------


def start_fake(port: int, args: argparse.Namespace, log: Path) -> subprocess.Popen:
    with open(log, "ab") as handle:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.paced_fake",
                "--port",
                str(port),
                "--deltas",
                str(args.deltas),
                "--interval",
                str(args.interval),
            ],
            cwd=Path(__file__).resolve().parents[1],
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for(lambda: _listening(port), 20, "paced fake")
    return process


def postgres_reachable(url: str) -> bool:
    try:
        with maintenance_connection(url):
            return True
    except Exception as exc:  # no server, or no rights: phase 1 runs on SQLite only
        print(f"bench: PostgreSQL at {url} is not reachable ({type(exc).__name__}); SQLite only", flush=True)
        return False


def _listening(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def start_easel(
    workdir: Path,
    redis: RedisServer,
    fake_port: int,
    args: argparse.Namespace,
    *,
    trace: bool = False,
    database_server: str = "",
) -> tuple[LiveEasel, list[subprocess.Popen]]:
    """A live Easel in the Redis topology and its `--workers` Celery workers (the processes
    returned), on SQLite, or on a fresh database of `database_server` (a PostgreSQL URL)."""
    workdir.mkdir()
    easel = LiveEasel(
        workdir,
        database_server=database_server,
        env_overrides={
            "REDIS_URL": redis.fresh_url(),  # a database of its own: two Easels may share the server
            "OPENAI_API_KEY": "sk-bench",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{fake_port}/v1",
            "EASEL_LOCAL_FALLBACK": "0",
            "EASEL_DEFAULT_LLM": "openai/gpt-4o-mini",
            # One key drives every stream, up to --hold and the top rung at once: the limits stay
            # on (their cost is measured) but out of reach.
            "EASEL_MAX_RUNS_PER_PROJECT": "10000",
            "EASEL_MAX_RUNS_PER_KEY": "10000",
            "EASEL_RATE_LIMIT_PER_MINUTE": "10000000",
            "EASEL_WEB_MAX_CONNECTIONS": "5000",
            "EASEL_TRACE": "1" if trace else "0",
        },
    )
    workers = [
        easel.start_worker(f"bench{n}", "--pool", args.pool, "--concurrency", str(args.worker_concurrency))
        for n in range(1, args.workers + 1)
    ]
    return easel, workers


# --------------------------------------------------------------------------------------------
# Phase 1: one stream at a time, round-robin
# --------------------------------------------------------------------------------------------


async def ready(target: Target, within: float = 90) -> None:
    """The first whole stream through a path (Celery's first task can take a few seconds)."""
    deadline = time.monotonic() + within
    last: Stream | None = None
    while time.monotonic() < deadline:
        last = await target.stream(within=30)
        if last.ended and last.error is None:
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{target.name} never streamed: {last.error if last else 'no attempt'}")


async def single_stream(targets: list[Target], args: argparse.Namespace) -> dict[str, Any]:
    for target in targets:
        await ready(target)
        for _ in range(args.warmup):
            await target.stream(within=30)
    streams: dict[str, list[Stream]] = {t.name: [] for t in targets}
    cpu_before = {t.name: t.cpu() for t in targets}
    for _ in range(args.rounds):
        for target in targets:
            streams[target.name].append(await target.stream(within=30))
    out: dict[str, Any] = {}
    for target in targets:
        summary = measure.summary(streams[target.name], args.deltas)
        summary["cpu_ms_per_event"] = _cpu_per_event(cpu_before[target.name], target.cpu(), summary["events"])
        overhead = [
            float(s.headers["x-litellm-overhead-duration-ms"])
            for s in streams[target.name]
            if "x-litellm-overhead-duration-ms" in s.headers
        ]
        if overhead:
            summary["x_litellm_overhead_ms_p50"] = statistics.median(overhead)
        out[target.name] = summary
    if "direct" in out:
        for name in out:
            if name != "direct":
                out[name]["added"] = measure.added(out[name], out["direct"])
    return out


def _cpu_per_event(before: dict[str, float], after: dict[str, float], events: int) -> dict[str, float | None]:
    spent = {role: after[role] - before[role] for role in before}
    if spent:
        spent["total"] = sum(spent.values())
    return {role: round(seconds * 1000 / events, 4) if events else None for role, seconds in spent.items()}


# --------------------------------------------------------------------------------------------
# Phase 2: many streams held at a slow pace, for memory
# --------------------------------------------------------------------------------------------


async def set_pace(fake_port: int, interval: float) -> None:
    """The fake's `pace` switch, set over its control endpoint (it serves other processes too)."""
    body = json.dumps({"pace": interval}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", fake_port)
    writer.write(
        b"POST /__fake__/faults HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n"
        b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )
    status = (await reader.readline()).split()[1]
    writer.close()
    if status != b"200":
        raise RuntimeError(f"the fake refused pace={interval}: HTTP {status.decode()}")


async def hold(target: Target, args: argparse.Namespace, fake_port: int) -> dict[str, Any]:
    """`--hold` streams open together (starts spread over 4 s); the relay's RSS while they are."""
    pid = target.memory_pid
    assert pid is not None
    stream_seconds = args.deltas * args.hold_interval
    idle = rss_kib(pid)
    workers = target.cpu_pids.get("worker")
    worker_idle = pss_kib(workers) if workers else None
    await set_pace(fake_port, args.hold_interval)
    try:

        async def client(index: int) -> Stream:
            await asyncio.sleep(index * 4.0 / args.hold)
            return await target.stream(within=stream_seconds + 120)

        tasks = [asyncio.create_task(client(i)) for i in range(args.hold)]
        await asyncio.sleep(4 + stream_seconds / 3)
        held, busy = [], []
        for _ in range(6):
            held.append(rss_kib(pid))
            busy.append(threads(pid))
            await asyncio.sleep(0.5)
        worker_held = pss_kib(workers) if workers else None
        streams = await asyncio.gather(*tasks)
        await asyncio.sleep(2)
        after = rss_kib(pid)
    finally:
        await set_pace(fake_port, args.interval)
    summary = measure.summary(streams, args.deltas)
    steady = int(statistics.median(held))
    return {
        "streams": args.hold,
        "whole": summary["whole"],
        "errors": summary["errors"],
        "error_samples": summary["error_samples"],
        # per_stream is the measure; Python keeps most of what the requests allocated, so
        # `released` (what closing the streams gave back) is the lower bound of what holding costs.
        "rss_kib": {
            "idle": idle,
            "held": steady,
            "after": after,
            "per_stream": round((steady - idle) / args.hold, 1),
            "released_per_stream": round((steady - after) / args.hold, 1),
        },
        "threads_held": int(statistics.median(busy)),
        # The Celery worker (all its processes, PSS so forked pages count once), per run held.
        "worker_pss_kib": None
        if worker_idle is None or worker_held is None
        else {"idle": worker_idle, "held": worker_held, "per_run": round((worker_held - worker_idle) / args.hold, 1)},
    }


# --------------------------------------------------------------------------------------------
# Phase 3: closed-loop concurrency ramp
# --------------------------------------------------------------------------------------------


@dataclass
class Shared:
    """What every path's streams also cost on the same 2 cores: the fake, the load generator
    (this process, without its children) and Redis (Easel's only)."""

    fake_pid: int
    redis_pid: int

    def cpu(self) -> dict[str, float]:
        return {
            "fake": cpu_seconds([self.fake_pid]),
            "client": own_cpu_seconds(os.getpid()),
            "redis": cpu_seconds([self.redis_pid]),
            "machine": machine_busy_seconds(),
        }


async def rung(
    target: Target, clients: int, args: argparse.Namespace, idle_rss: int | None, shared: Shared
) -> dict[str, Any]:
    stream_seconds = args.deltas * args.interval
    start = time.time()
    deadline = start + args.duration
    streams: list[Stream] = []
    rss: list[tuple[float, int]] = []
    cpu_before = target.cpu()
    shared_before = shared.cpu()

    async def client(index: int) -> None:
        await asyncio.sleep(index * stream_seconds / clients)  # spread the first starts over one stream
        while time.time() < deadline:
            streams.append(await target.stream(within=60))

    async def sample() -> None:
        while time.time() < deadline + stream_seconds:
            if target.memory_pid:
                rss.append((time.time(), rss_kib(target.memory_pid)))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(client(i) for i in range(clients)))
    sampler.cancel()
    summary = measure.summary(streams, args.deltas)
    summary["clients"] = clients
    summary["sustained"], summary["verdict"] = measure.sustained(streams, args.deltas, args.interval)
    window = (start + stream_seconds, deadline)  # every client has a stream open in here
    in_window = sum(1 for s in streams for _, _, received in s.deltas if window[0] <= received <= window[1])
    summary["events_per_s"] = round(in_window / (window[1] - window[0]), 1)
    summary["offered_per_s"] = round(clients / args.interval, 1)  # if the fake kept its pace exactly
    summary["streams_per_s"] = round(len(streams) / (time.time() - start), 1)
    summary["cpu_ms_per_event"] = _cpu_per_event(cpu_before, target.cpu(), summary["events"])
    summary["shared_cpu"] = _shared_cpu(shared_before, shared.cpu(), summary["events"], time.time() - start)
    steady = [kib for t, kib in rss if window[0] <= t <= window[1]]
    if steady and idle_rss is not None:
        summary["rss_kib"] = {
            "idle": idle_rss,
            "steady": int(statistics.median(steady)),
            "per_stream": round((statistics.median(steady) - idle_rss) / clients, 1),
        }
    return summary


def _shared_cpu(before: dict[str, float], after: dict[str, float], events: int, seconds: float) -> dict[str, Any]:
    """The fake's, the client's and Redis's CPU per delta over a rung, and how many of the
    machine's cores were busy (everything on it, the path under test included)."""
    spent = {role: after[role] - before[role] for role in before}
    spent["harness"] = spent["fake"] + spent["client"]
    return {
        "ms_per_event": {
            role: round(spent[role] * 1000 / events, 4) if events else None
            for role in ("fake", "client", "harness", "redis")
        },
        "machine_cores_busy": round(spent["machine"] / seconds, 2),
        "harness_cores": round(spent["harness"] / seconds, 2),
    }


async def ramp(target: Target, args: argparse.Namespace, shared: Shared) -> list[dict[str, Any]]:
    idle_rss = rss_kib(target.memory_pid) if target.memory_pid else None
    results = []
    for clients in [int(c) for c in args.rungs.split(",") if c]:
        result = await rung(target, clients, args, idle_rss, shared)
        results.append(result)
        print(
            f"bench: {target.name:8} C={clients:<4} {result['verdict']}, {result['events_per_s']} events/s", flush=True
        )
        await asyncio.sleep(2)  # let the last runs finish their writes before the next rung
        if not result["sustained"]:
            break
    return results


async def measure_all(targets: list[Target], args: argparse.Namespace, shared: Shared, fake_port: int) -> dict:
    phases = set(args.phases.split(","))
    out: dict[str, Any] = {"single": {}, "hold": {}, "ramp": {}}
    if "single" in phases:
        print("bench: phase 1, one stream at a time", flush=True)
        out["single"] = await single_stream(targets, args)
    # Phases 2 and 3 measure the paths as they are deployed by default (Easel on SQLite).
    loaded = [t for t in targets if t.name != "easel-pg"]
    if "hold" in phases:
        print(f"bench: phase 2, {args.hold} streams held at a {args.hold_interval} s pace", flush=True)
        for target in loaded:
            if target.memory_pid:
                out["hold"][target.name] = await hold(target, args, fake_port)
                print(f"bench: {target.name:8} {out['hold'][target.name]['whole']} of {args.hold} whole", flush=True)
                await asyncio.sleep(2)
    if "ramp" in phases:
        print("bench: phase 3, concurrency ramp", flush=True)
        for target in loaded:
            out["ramp"][target.name] = await ramp(target, args, shared)  # Redis's CPU: each rung's shared_cpu
    return out


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def wait_quiet(limit: float) -> None:
    """Wait (up to `limit` s) until other processes use under 10% of the machine for 5 s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = machine_busy_seconds()
        time.sleep(5)
        share = (machine_busy_seconds() - before) / (5 * (os.cpu_count() or 1))
        if share < 0.10:
            return
        print(f"bench: the machine is {share:.0%} busy; waiting for it to settle", flush=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    wait_quiet(args.wait_quiet)
    paths = args.paths.split(",")
    started = time.time()
    result: dict[str, Any] = {
        "machine": machine(),
        "checkout": checkout(),
        "config": {k: str(v) for k, v in vars(args).items()},
    }
    result["config"]["database"] = "PostgreSQL" if is_postgres(os.environ.get("DATABASE_URL", "")) else "SQLite"
    with tempfile.TemporaryDirectory(prefix="easel-bench-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        redis = RedisServer(workdir)
        stack.callback(redis.stop)
        fake_port = free_port()
        fake = start_fake(fake_port, args, workdir / "fake.log")
        stack.callback(stop, fake)
        targets = []
        if "direct" in paths:
            targets.append(
                Target(
                    "direct",
                    fake_port,
                    "/v1/chat/completions",
                    CHAT,
                    openai_reading,
                    headers={"authorization": "Bearer sk-bench"},
                )
            )
        databases: list[tuple[str, str]] = []
        easels: list[LiveEasel] = []
        if "easel" in paths:
            databases = [("easel", "")]
            if args.postgres and "single" in args.phases and postgres_reachable(args.postgres):
                databases.append(("easel-pg", args.postgres))
            for name, server in databases:
                easel, workers = start_easel(workdir / name, redis, fake_port, args, database_server=server)
                stack.callback(easel.stop)
                easels.append(easel)
                pids = " ".join(str(worker.pid) for worker in workers)
                print(f"bench: {name} web pid {easel.web.pid}, worker pid {pids} (for py-spy)", flush=True)
                targets.append(
                    Target(
                        name,
                        easel.port,
                        "/api/threads/messages",
                        EASEL_TURN,
                        easel_reading,
                        headers={"x-api-key": easel.api_key},
                        cpu_pids={"web": [easel.web.pid], "worker": [worker.pid for worker in workers]},
                        memory_pid=easel.web.pid,
                    )
                )
        if "litellm" in paths:
            from bench.litellm_peer import VERSION, LiteLLMProxy

            proxy = LiteLLMProxy(workdir, f"http://127.0.0.1:{fake_port}", free_port())
            stack.callback(proxy.stop)
            result["litellm_version"] = VERSION
            targets.append(
                Target(
                    "litellm",
                    proxy.port,
                    "/v1/chat/completions",
                    CHAT,
                    openai_reading,
                    headers={"authorization": "Bearer sk-bench"},
                    cpu_pids={"proxy": [proxy.pid]},
                    memory_pid=proxy.pid,
                )
            )
        busy, ours, wall = machine_busy_seconds(), cpu_seconds([os.getpid()]), time.time()
        shared = Shared(fake_pid=fake.pid, redis_pid=redis.process.pid)
        result.update(_run_loop(measure_all(targets, args, shared, fake_port)))
        for easel in easels:
            easel.stop()  # idle, but the later phases start processes of their own
        phases = set(args.phases.split(","))
        if "trace" in phases and "easel" in paths:
            from bench.trace_turn import trace_phase

            print("bench: the trace of one turn, phase by phase", flush=True)
            result["trace"] = {
                name: trace_phase(workdir / f"trace-{name}", redis, fake_port, args, database_server=server)
                for name, server in databases
            }
        # Other work on the machine skews every number here; say how much there was.
        foreign = (machine_busy_seconds() - busy) - (cpu_seconds([os.getpid()]) - ours)
        result["other_load"] = {
            "cpu_seconds": round(foreign, 1),
            "share_of_machine": round(foreign / ((time.time() - wall) * (os.cpu_count() or 1)), 3),
        }
    result.update(image_phases(args, paths))
    result["wall_seconds"] = round(time.time() - started, 1)
    out = args.out or RESULTS / time.strftime("bench-%Y%m%d-%H%M%S.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(report.render(result))
    print(f"\nbench: wrote {out} ({result['wall_seconds']} s)")


def _run_loop(coroutine: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


if __name__ == "__main__":
    main()
