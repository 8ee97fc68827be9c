"""Image turns held: N chat turns at once, each waiting on a slow image model, clients attached.

    python -m bench.image_turns [--turns 1000] [--rungs 100,500,1000] [--image-seconds 30]

The provider is bench.image_turn_fake (its own process): the LLM streams a few stamped deltas
and calls `generate_image`; the image takes `--image-seconds` with two partial previews; then a
short stamped answer. Easel runs in the Redis topology (uvicorn and one Celery worker, SQLite
unless DATABASE_URL names PostgreSQL). Each rung starts N turns (`POST /api/threads/messages`,
stream=true) spread over `--spread` seconds and holds every stream to its end, then checks:

* whole: the stream ended with run_ended, every event id once and in order, one user_message,
  one tool_call_start and tool_call_ready, two media_preview, one media_generated, every stamped
  text delta once, nothing else failed;
* memory: web RSS while every turn waits on its image (median of samples) minus idle, per held
  stream; the worker's PSS and RSS the same way per waiting run; the worker's threads;
* CPU per turn: web, worker, Redis, and the harness (fake + this client);
* lateness: each stamped delta's arrival minus the time the fake wrote it, and each preview's
  and image's arrival minus the time the fake wrote that image event (`late_ms`: the delay
  Easel added beyond the fake's own pacing), and the largest gap between two events a client saw.

`image_turns_phase(args)` runs it all (its own processes) and returns the result;
`tables(result)` renders it as Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.image_turn_fake import ANSWER_DELTAS, LEAD_DELTAS
from bench.measure import ms, pct
from bench.paced_fake import DELTA
from bench.proc_stats import cpu_seconds, own_cpu_seconds, pss_kib, rss_kib, stop, threads
from bench.sse_client import Reading, request_bytes, run_stream
from tests.support.processes import LiveEasel, RedisServer, free_port, is_postgres, wait_for

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
ONCE = ("user_message", "tool_call_start", "tool_call_ready", "media_generated", "run_ended")
FAILED = {"run_failed", "run_cancelled", "error", "media_failed"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=1000, help="the top rung")
    parser.add_argument("--rungs", default="", help="turns per rung (default 100,500,--turns)")
    parser.add_argument("--image-seconds", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between the LLM's deltas")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which a rung's turns start")
    parser.add_argument("--worker-concurrency", type=int, default=0, help="threads pool size (default: --turns)")
    parser.add_argument("--worker-env", action="append", default=[], help="NAME=VALUE for the worker (repeatable)")
    parser.add_argument(
        "--postgres",
        default="",
        help="a PostgreSQL server URL to hold Easel's database (the production topology); default: SQLite, "
        "or PostgreSQL when DATABASE_URL names it",
    )
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs and database")
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args(argv)


def rungs(args: argparse.Namespace) -> list[int]:
    if args.rungs:
        return [int(n) for n in args.rungs.split(",") if n]
    return [n for n in (100, 500) if n < args.turns] + [args.turns]


# --------------------------------------------------------------------------------------------
# One turn as its client sees it
# --------------------------------------------------------------------------------------------


@dataclass
class Turn:
    index: int
    events: list[tuple[str, str | None, float, float | None]] = field(default_factory=list)  # type, id, at, stamp
    waiting: bool = False  # the image tool was called and its image has not arrived
    ended: bool = False
    error: str | None = None

    def read(self, data: bytes) -> Reading:
        event = json.loads(data)
        kind = event.get("type", "")
        stamp = None
        if kind == "content_streaming":
            match = DELTA.search(event.get("content") or "")
            stamp = float(match[2]) if match else None
        self.events.append((kind, event.get("event_id"), time.time(), stamp))
        if kind == "tool_call_ready":
            self.waiting = True
        elif kind == "media_generated":
            self.waiting = False
        if kind == "run_ended":
            self.waiting = False
            return ("end", "")
        if kind in FAILED:
            self.waiting = False
            return ("error", f"{kind}: {event.get('error') or ''}"[:300])
        return ("skip", "")

    def problem(self) -> str | None:
        """Why this turn is not whole (None when it is)."""
        if self.error:
            return self.error
        ids = [event_id for _, event_id, _, _ in self.events if event_id]
        if len(ids) != len(set(ids)) or ids != sorted(ids, key=lambda i: tuple(map(int, i.split("-")))):
            return "event ids repeated or out of order"
        counts = Counter(kind for kind, *_ in self.events)
        for kind in ONCE:
            if counts[kind] != 1:
                return f"{counts[kind]} {kind}"
        if counts["media_preview"] != 2:
            return f"{counts['media_preview']} media_preview"
        stamped = [stamp for kind, _, _, stamp in self.events if kind == "content_streaming" and stamp]
        if len(stamped) != LEAD_DELTAS + ANSWER_DELTAS or len(set(stamped)) != len(stamped):
            return f"{len(stamped)} of {LEAD_DELTAS + ANSWER_DELTAS} text deltas"
        if not self.ended:
            return "no run_ended"
        return None

    def late(self, sent: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """(kind, arrival - the fake's write) for every stamped delta, preview and image."""
        out = [("delta", at - stamp) for kind, _, at, stamp in self.events if stamp]
        images = [at for kind, _, at, _ in self.events if kind in ("media_preview", "media_generated")]
        out += [(kind, at - written) for (kind, written), at in zip(sent, images, strict=False)]
        return out

    def largest_gap(self) -> float:
        arrivals = [at for _, event_id, at, _ in self.events if event_id]
        return max((b - a for a, b in zip(arrivals, arrivals[1:], strict=False)), default=0.0)

    def excess_gap(self, sent: list[tuple[str, float]]) -> float:
        """The largest gap between two stamped events beyond the gap the fake wrote them with."""
        images = [at for kind, _, at, _ in self.events if kind in ("media_preview", "media_generated")]
        pairs = [(stamp, at) for _, _, at, stamp in self.events if stamp]
        pairs += [(written, at) for (_, written), at in zip(sent, images, strict=False)]
        pairs.sort(key=lambda pair: pair[1])
        return max(((b[1] - a[1]) - (b[0] - a[0]) for a, b in zip(pairs, pairs[1:], strict=False)), default=0.0)


# --------------------------------------------------------------------------------------------
# The processes
# --------------------------------------------------------------------------------------------


@dataclass
class Rig:
    easel: LiveEasel
    worker: subprocess.Popen
    fake: subprocess.Popen
    fake_port: int
    redis: RedisServer

    def cpu(self) -> dict[str, float]:
        return {
            "web": cpu_seconds([self.easel.web.pid]),
            "worker": cpu_seconds([self.worker.pid]),
            "redis": cpu_seconds([self.redis.process.pid]),
            "harness": cpu_seconds([self.fake.pid]) + own_cpu_seconds(os.getpid()),
        }


def raise_file_limit() -> int:
    """Every held turn is a socket in the client, the web process, the worker and the fake:
    raise this process's soft limit (its children inherit it) as far as the hard one allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def start_rig(workdir: Path, stack: contextlib.ExitStack, args: argparse.Namespace) -> Rig:
    redis = RedisServer(workdir)
    stack.callback(redis.stop)
    fake_port = free_port()
    log = open(workdir / "fake.log", "ab")  # noqa: SIM115 - the fake's process holds it
    stack.callback(log.close)
    command = [sys.executable, "-m", "bench.image_turn_fake", "--port", str(fake_port)]
    command += ["--image-seconds", str(args.image_seconds), "--interval", str(args.interval)]
    fake = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    stack.callback(stop, fake)
    wait_for(lambda: _listening(fake_port), 20, "image turn fake")
    top = max(rungs(args))
    env = {
        "REDIS_URL": redis.url,
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{fake_port}/v1",
        "EASEL_LOCAL_FALLBACK": "0",
        "EASEL_MAX_RUNS_PER_PROJECT": "100000",
        "EASEL_MAX_RUNS_PER_KEY": "100000",
        "EASEL_RATE_LIMIT_PER_MINUTE": "100000000",
        "EASEL_WEB_MAX_CONNECTIONS": str(top * 2 + 100),
    }
    (workdir / "easel").mkdir()
    easel = LiveEasel(workdir / "easel", env_overrides=env, database_server=getattr(args, "postgres", ""))
    stack.callback(easel.stop)
    concurrency = str(args.worker_concurrency or top)
    easel.env.update(item.split("=", 1) for item in args.worker_env)
    worker = easel.start_worker("images", "--pool", "threads", "--concurrency", concurrency)
    easel.start_beat()  # the production topology's sweeper: a run whose worker lost it still ends
    return Rig(easel, worker, fake, fake_port, redis)


def _listening(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


async def _get_json(port: int, path: str) -> Any:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n".encode())
    raw = await reader.read()
    writer.close()
    return json.loads(raw.split(b"\r\n\r\n", 1)[1])


# --------------------------------------------------------------------------------------------
# A rung
# --------------------------------------------------------------------------------------------


def _body(index: int) -> dict[str, Any]:
    return {
        "content": f"draw a picture for turn-{index}",
        "stream": True,
        "llm_provider": "openai",
        "model_name": "gpt-4o-mini",
        "image_generation": "auto",
        "image_model_provider": "openai",
        "image_model_name": "gpt-image-1",
    }


async def ready(rig: Rig, args: argparse.Namespace) -> None:
    """One whole turn first (Celery's first task takes a few seconds)."""
    turn = Turn(-1)
    await _hold(rig, turn, args.image_seconds + 90)
    if turn.problem():
        raise RuntimeError(f"the first image turn was not whole: {turn.problem()}")


async def _hold(rig: Rig, turn: Turn, within: float) -> None:
    port = rig.easel.port
    request = request_bytes("POST", "/api/threads/messages", port, {"x-api-key": rig.easel.api_key}, _body(turn.index))
    stream = await run_stream(port, request, turn.read, within)
    turn.ended = stream.ended
    turn.error = turn.error or stream.error


def idle_memory(rig: Rig) -> dict[str, int]:
    web, worker = rig.easel.web.pid, rig.worker.pid
    idle = {"web_rss": rss_kib(web), "worker_pss": pss_kib([worker]), "worker_rss": rss_kib(worker)}
    idle["worker_threads"] = threads(worker)
    return idle


async def rung(rig: Rig, n: int, first: int, args: argparse.Namespace, fresh: dict[str, int]) -> dict[str, Any]:
    web, worker = rig.easel.web.pid, rig.worker.pid
    idle = idle_memory(rig)
    cpu_before, started = rig.cpu(), time.time()
    turns = [Turn(first + i) for i in range(n)]
    samples: list[dict[str, int]] = []

    async def client(turn: Turn, delay: float) -> None:
        await asyncio.sleep(delay)
        await _hold(rig, turn, args.spread + args.image_seconds + 300)

    async def sample() -> None:
        while True:
            waiting = sum(t.waiting for t in turns)
            open_ = sum(bool(t.events) and not t.ended and t.error is None for t in turns)
            samples.append(
                {
                    "waiting": waiting,
                    "open": open_,
                    "web_rss": rss_kib(web),
                    "worker_pss": pss_kib([worker]),
                    "worker_rss": rss_kib(worker),
                    "worker_threads": threads(worker),
                }
            )
            await asyncio.sleep(1.0)

    kept_before = footprint(rig)
    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(client(t, i * args.spread / n) for i, t in enumerate(turns)))
    sampler.cancel()
    wall = time.time() - started
    spent = {role: seconds - cpu_before[role] for role, seconds in rig.cpu().items()}
    sent = await _get_json(rig.fake_port, "/__fake__/sent")
    summary = summarise(n, turns, samples, idle, fresh, spent, sent, wall)
    kept_after = footprint(rig)
    summary["kept_per_turn"] = {k: round((kept_after[k] - kept_before[k]) / n, 1) for k in kept_before}
    return summary


def footprint(rig: Rig) -> dict[str, int]:
    """What finished turns leave behind: Redis's used memory (the event logs, kept
    EASEL_EVENT_LOG_TTL), the database's rows, and the files in storage (with their bytes)."""
    import redis as redis_py

    used = redis_py.Redis.from_url(rig.redis.url).info("memory")["used_memory"]
    rows = _rows(rig.easel.env["DATABASE_URL"])
    files = [f for f in (rig.easel.workdir / "media").rglob("*") if f.is_file()]
    return {
        "redis_bytes": used,
        "rows": rows,
        "files": len(files),
        "file_bytes": sum(f.stat().st_size for f in files),
    }


def _rows(url: str) -> int:
    """All rows of Easel's tables, in SQLite or PostgreSQL."""
    if is_postgres(url):
        import psycopg

        listed = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'designs_%'"
        with psycopg.connect(url) as db:
            tables = [r[0] for r in db.execute(listed)]
            return sum(db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables)
    import sqlite3

    listed = "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'designs_%'"
    with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
        tables = [r[0] for r in db.execute(listed)]
        return sum(db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables)


def summarise(
    n: int,
    turns: list[Turn],
    samples: list[dict[str, int]],
    idle: dict[str, int],
    fresh: dict[str, int],
    spent: dict[str, float],
    sent: dict[str, list],
    wall: float,
) -> dict[str, Any]:
    problems = [p for p in (t.problem() for t in turns) if p]
    most = max((s["waiting"] for s in samples), default=0)
    held = [s for s in samples if s["waiting"] == most and most] or samples[-1:]

    def per(key: str, idle_key: str, before: dict[str, int] = idle) -> float | None:
        """Growth over idle per run waiting (the worker) or per stream open (the web)."""
        count = statistics.median(s["open"] for s in held) if key == "web_rss" else most
        if not held or not count:
            return None
        return round((statistics.median(s[key] for s in held) - before[idle_key]) / count, 1)

    late: dict[str, list[float]] = {}
    excess = []
    for turn in turns:
        written = [tuple(x) for x in sent.get(str(turn.index), [])]
        for kind, seconds in turn.late(written):
            late.setdefault(kind, []).append(seconds)
        excess.append(turn.excess_gap(written))
    gaps = [t.largest_gap() for t in turns if t.events]
    return {
        "turns": n,
        "whole": n - len(problems),
        "failures": len(problems),
        "failure_samples": [f"{count} x {text}" for text, count in Counter(problems).most_common(3)],
        "most_waiting_at_once": most,
        "most_open_at_once": max((s["open"] for s in samples), default=0),
        "samples_all_waiting": len(held) if most == n else 0,
        "web_rss_kib": {
            "idle": idle["web_rss"],
            "held": int(statistics.median(s["web_rss"] for s in held)) if held else None,
            "per_stream": per("web_rss", "web_rss"),
            # Python keeps what earlier rungs freed: measured from before the first rung too.
            "per_stream_from_fresh": per("web_rss", "web_rss", fresh),
        },
        "worker_kib": {
            "pss_idle": idle["worker_pss"],
            "pss_held": int(statistics.median(s["worker_pss"] for s in held)) if held else None,
            "pss_per_run": per("worker_pss", "worker_pss"),
            "rss_per_run": per("worker_rss", "worker_rss"),
            "pss_per_run_from_fresh": per("worker_pss", "worker_pss", fresh),
        },
        "worker_threads": {"idle": idle["worker_threads"], "held": max((s["worker_threads"] for s in held), default=0)},
        "cpu_ms_per_turn": {role: round(seconds * 1000 / n, 2) for role, seconds in spent.items()},
        "late_ms": {
            kind: {"p50": ms(pct(values, 0.5)), "p99": ms(pct(values, 0.99)), "max": ms(max(values))}
            for kind, values in sorted(late.items())
        },
        "largest_gap_ms": ms(max(gaps, default=None)),  # the fake's own pacing included
        "largest_excess_gap_ms": ms(max(excess, default=None)),  # beyond it
        "wall_s": round(wall, 1),
    }


async def image_turns_phase(args: argparse.Namespace) -> dict[str, Any]:
    """Start the rig, hold each rung's turns, stop everything; the result (see `tables`)."""
    result: dict[str, Any] = {"nofile": raise_file_limit(), "rungs": []}
    with contextlib.ExitStack() as stack:
        tmp = tempfile.mkdtemp(prefix="easel-image-turns-")
        if getattr(args, "keep", False):
            print(f"image turns: logs in {tmp}", flush=True)
        else:
            stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        rig = start_rig(Path(tmp), stack, args)
        result["database"] = "PostgreSQL" if is_postgres(rig.easel.env["DATABASE_URL"]) else "SQLite"
        print(f"image turns: web pid {rig.easel.web.pid}, worker pid {rig.worker.pid}", flush=True)
        await ready(rig, args)
        fresh = idle_memory(rig)
        first = 0
        for n in rungs(args):
            summary = await rung(rig, n, first, args, fresh)
            first += n
            result["rungs"].append(summary)
            print(f"image turns: N={n} {summary['whole']} whole, most waiting {summary['most_waiting_at_once']}")
            if summary["failures"]:
                break
            await asyncio.sleep(3)
    return result


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

COLUMNS = [
    ("turns", "turns"),
    ("whole", "whole"),
    ("most waiting", "most_waiting_at_once"),
    ("web KiB/stream", "web_rss_kib.per_stream"),
    ("web from fresh", "web_rss_kib.per_stream_from_fresh"),
    ("worker PSS KiB/run", "worker_kib.pss_per_run"),
    ("from fresh", "worker_kib.pss_per_run_from_fresh"),
    ("worker RSS KiB/run", "worker_kib.rss_per_run"),
    ("worker threads", "worker_threads.held"),
    ("CPU ms/turn web", "cpu_ms_per_turn.web"),
    ("worker", "cpu_ms_per_turn.worker"),
    ("Redis", "cpu_ms_per_turn.redis"),
    ("harness", "cpu_ms_per_turn.harness"),
    ("late delta p99/max", "late_ms.delta"),
    ("late preview p99/max", "late_ms.preview"),
    ("late image p99/max", "late_ms.image"),
    ("largest gap ms", "largest_gap_ms"),
    ("beyond pacing ms", "largest_excess_gap_ms"),
    ("kept/turn: Redis B", "kept_per_turn.redis_bytes"),
    ("rows", "kept_per_turn.rows"),
    ("files", "kept_per_turn.files"),
    ("first failure", "failure_samples"),
]


def _cell(row: dict[str, Any], path: str) -> str:
    value: Any = row
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, dict):
        return f"{value.get('p99')} / {value.get('max')}"
    if isinstance(value, list):
        return value[0] if value else "–"
    return "–" if value is None else str(value)


def tables(result: dict[str, Any]) -> str:
    lines = [f"Image turns held (database: {result.get('database', 'SQLite')})", ""]
    lines += ["| " + " | ".join(title for title, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(row, path) for _, path in COLUMNS) + " |" for row in result["rungs"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the processes it started
    started = time.time()
    result = {"config": {k: str(v) for k, v in vars(args).items()}, **asyncio.run(image_turns_phase(args))}
    result["wall_seconds"] = round(time.time() - started, 1)
    out = args.out or RESULTS / time.strftime("image-turns-%Y%m%d-%H%M%S.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(tables(result))
    print(f"\nimage turns: wrote {out} ({result['wall_seconds']} s)")


if __name__ == "__main__":
    main()
