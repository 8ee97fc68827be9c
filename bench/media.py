"""`make bench`'s media phase: from the image model's last write to the client's `media_generated`.

    python -m bench.media [--rounds 20] [--sizes 1024,2048] [--topologies embedded,celery] [--storage fs,s3]

The image model is bench.media_fake (its own process): one precomputed photo-like PNG per size
(~1.9 MB at 1024x1024), streamed as GPT image does (two partial images, then, `--gap` s later,
`image_generation.completed`), stamping `time.time()` just before it writes the completed event.
Easel runs in direct mode (`operation=generate_image`, no LLM) with `EASEL_TRACE=1`, once
per topology x storage: embedded (generation in the web process) and celery (Redis, one Celery
worker, threads pool), each with files on disk (fs) or in a bucket of a moto S3 server (s3).

Measures, per size x topology x storage:

* **latency**: the client's arrival time of `media_generated` minus the fake's stamp (one host,
  one clock), p50 / p99 / max over `--rounds` images, one at a time.
* **phases**, joined by document id from the worker's `media_trace` lines (p50 of each):
  `read` (the last event's bytes read, JSON-parsed, base64-decoded: inside the provider),
  `finish` (the plan: untouched here), `store` (the header checked and the file written, while
  another thread decodes the image in full), `verify` (what is left of that decode once the file
  is written), `db` (row, review, webhook outbox, commit), `publish` (the media
  object and the event log), `deliver` (log to SSE to the client).
* **floor**: base64-decoding and decoding the same PNG in this process (Pillow's full load),
  the least any path that checks the image can take; one sample after each image, so it is
  measured under the same load (the machine is shared).
* **memory per image in flight**: `--in-flight` K images held at the fake, then released at
  once; (peak RSS of the process doing the work while they are stored - its RSS before) / K.

`media_phase(args)` returns the JSON-able results, `tables(results)` renders them as Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from bench.measure import ms, pct
from bench.proc_stats import rss_kib, stop
from bench.sse_client import Reading, request_bytes, run_stream
from tests.support.processes import LiveEasel, RedisServer, free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("read", "finish", "store", "verify", "db", "publish", "deliver")
MARKS = ("returned", "finished", "stored", "verified", "committed", "published")
TRACE = re.compile(r"media_trace (\{.*\})")
ARRIVED = "t000 0.0 "  # how a media_generated event is handed to sse_client: a "delta" stamped on arrival


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--media-rounds", "--rounds", dest="media_rounds", type=int, default=20)
    parser.add_argument("--media-warmup", type=int, default=3, help="images per size before measuring")
    parser.add_argument("--sizes", default="1024,2048")
    parser.add_argument("--topologies", default="embedded,celery")
    parser.add_argument("--storage", default="fs,s3")
    parser.add_argument("--gap", type=float, default=0.6, help="the fake's pause before the final event")
    parser.add_argument("--in-flight", type=int, default=8, help="images stored at once for the memory measure")


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


def start_fake(port: int, sizes: list[int], gap: float, log: Path) -> subprocess.Popen:
    with open(log, "ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.media_fake", "--port", str(port), "--sizes", ",".join(map(str, sizes))]
            + ["--gap", str(gap)],
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for(lambda: _get(port, "/__bench__/waiting") is not None, 60, "media fake")  # drawing takes a few s
    return process


def _get(port: int, path: str) -> Any:
    import httpx

    with contextlib.suppress(httpx.HTTPError):
        response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
        return response.json() if response.status_code == 200 else None
    return None


def _post(port: int, path: str, body: dict[str, Any]) -> None:
    import httpx

    httpx.post(f"http://127.0.0.1:{port}{path}", json=body, timeout=5).raise_for_status()


@contextlib.contextmanager
def easel_for(workdir: Path, topology: str, storage: dict[str, str], fake_port: int, redis: RedisServer | None):
    """A live Easel (and its worker, for celery) pointed at the media fake; the pid doing the work."""
    env = {
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{fake_port}/v1",
        "EASEL_LOCAL_FALLBACK": "0",
        "EASEL_TRACE": "1",
        "EASEL_MAX_RUNS_PER_PROJECT": "10000",
        "EASEL_MAX_RUNS_PER_KEY": "10000",
        "EASEL_RATE_LIMIT_PER_MINUTE": "10000000",
        **storage,
    }
    if topology == "celery":
        assert redis is not None
        env["REDIS_URL"] = redis.fresh_url()
    workdir.mkdir(parents=True)
    easel = LiveEasel(workdir, env_overrides=env)
    try:
        work_pid = easel.web.pid
        if topology == "celery":
            work_pid = easel.start_worker("media", "--pool", "threads", "--concurrency", "32").pid
        yield easel, work_pid
    finally:
        easel.stop()


# --------------------------------------------------------------------------------------------
# One image
# --------------------------------------------------------------------------------------------


class Image1:
    """One direct-mode request: what came back and when."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.bench_id = uuid.uuid4().hex
        self.media: dict[str, Any] | None = None
        self.arrived: float | None = None
        self.error: str | None = None
        self.stamp: dict[str, float] | None = None
        self.urls_ok: bool | None = None

    def body(self) -> dict[str, Any]:
        return {
            "content": f"bench size={self.size} id={self.bench_id}",
            "stream": True,
            "operation": "generate_image",
            "image_model_provider": "openai",
            "image_model_name": "gpt-image-1",
        }

    def reading(self, data: bytes) -> Reading:
        event = json.loads(data)
        kind = event.get("type")
        if kind == "media_generated" and self.media is None:
            self.media = event.get("media") or {}
            return ("delta", ARRIVED)
        if kind == "run_ended":
            return ("end", "")
        if kind in ("run_failed", "run_cancelled", "error", "media_failed"):
            return ("error", f"{kind}: {event.get('error') or ''}"[:300])
        return ("skip", "")

    async def send(self, easel: LiveEasel, within: float = 120) -> Image1:
        request = request_bytes("POST", "/api/threads/messages", easel.port, {"x-api-key": easel.api_key}, self.body())
        stream = await run_stream(easel.port, request, self.reading, within)
        self.error = stream.error
        if stream.deltas:
            self.arrived = stream.deltas[0][2]
        return self

    def latency(self) -> float | None:
        if self.arrived is None or self.stamp is None:
            return None
        return self.arrived - self.stamp["final_write"]


def traces(workdir: Path) -> dict[str, dict[str, Any]]:
    """Every `media_trace` line in the live server's logs, by document id."""
    found = {}
    for log in workdir.glob("*.log"):
        for match in TRACE.finditer(log.read_text(errors="replace")):
            line = json.loads(match[1])
            found[line["document_id"]] = line
    return found


def phases(image: Image1, trace: dict[str, Any] | None) -> dict[str, float] | None:
    if trace is None or image.stamp is None or image.arrived is None or not all(m in trace for m in MARKS):
        return None
    points = [image.stamp["final_write"], *(trace[m] for m in MARKS), image.arrived]
    return {name: b - a for name, a, b in zip(PHASES, points[:-1], points[1:], strict=True)}


# --------------------------------------------------------------------------------------------
# Measures
# --------------------------------------------------------------------------------------------


async def one_at_a_time(
    easel: LiveEasel, fake_port: int, pictures: dict[int, bytes], rounds: int, warmup: int
) -> tuple[dict[int, list[Image1]], dict[int, list[float]]]:
    """`rounds` images per size, one at a time; after each, one floor sample of its size, so
    the floor is measured under the same load as the image (the machine is shared)."""
    for size in pictures:
        for _ in range(warmup):
            await Image1(size).send(easel)
    made: dict[int, list[Image1]] = {size: [] for size in pictures}
    floors: dict[int, list[float]] = {size: [] for size in pictures}
    for round in range(rounds):
        for size, picture in pictures.items():
            image = await Image1(size).send(easel)
            image.stamp = _get(fake_port, f"/__bench__/stamp/{image.bench_id}")
            if round < 3:  # right after the event, before the thumbnail is likely made
                image.urls_ok = urls_ok(image)
            made[size].append(image)
            floors[size].append(floor_sample(picture))
    return made, floors


def floor_sample(picture: bytes) -> float:
    """base64-decoding and fully decoding the picture here: the least any check of it costs."""
    encoded = base64.b64encode(picture)
    start = time.perf_counter()
    with Image.open(io.BytesIO(base64.b64decode(encoded, validate=True))) as image:
        image.load()
    return time.perf_counter() - start


def summary(images: list[Image1], found: dict[str, dict[str, Any]], floors: list[float]) -> dict[str, Any]:
    latencies = [lat for lat in (i.latency() for i in images) if lat is not None]
    split = [p for p in (phases(i, found.get((i.media or {}).get("document_id", ""))) for i in images) if p]
    return {
        "images": len(images),
        "errors": sum(1 for i in images if i.error or i.media is None),
        "error_samples": sorted({i.error for i in images if i.error})[:3],
        "latency_ms": {
            "p50": ms(pct(latencies, 0.5)),
            "p99": ms(pct(latencies, 0.99)),
            "max": ms(max(latencies, default=None)),
        },
        "floor_ms": {"p50": ms(pct(floors, 0.5)), "p99": ms(pct(floors, 0.99))},
        "phases_ms_p50": {name: ms(pct([p[name] for p in split], 0.5)) for name in PHASES},
        "phases_traced": len(split),
        "urls_ok": all(i.urls_ok for i in images if i.urls_ok is not None),
    }


def urls_ok(image: Image1) -> bool:
    """The event's URLs answer 200 at once (the thumbnail's falls back to the image until it is made)."""
    import httpx

    for key in ("url", "thumbnail_url"):
        url = (image.media or {}).get(key)
        if not url or httpx.get(url, timeout=30, follow_redirects=True).status_code != 200:
            return False
    return True


async def in_flight(easel: LiveEasel, fake_port: int, work_pid: int, size: int, count: int) -> dict[str, Any]:
    """`count` images of `size` released at once; the work process's peak RSS above its RSS before."""
    _post(fake_port, "/__bench__/hold", {"hold": True})
    try:
        tasks = [asyncio.create_task(Image1(size).send(easel, within=180)) for _ in range(count)]
        deadline = time.monotonic() + 120
        while (_get(fake_port, "/__bench__/waiting") or {}).get("waiting", 0) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the images never all reached the fake")
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # the previews' work is done; the process is quiet
        before = rss_kib(work_pid)
        Path(f"/proc/{work_pid}/clear_refs").write_text("5")  # noqa: ASYNC240 - VmHWM := VmRSS, instant
    finally:
        _post(fake_port, "/__bench__/release", {})
    images = await asyncio.gather(*tasks)
    peak = _status_kib(work_pid, "VmHWM")
    return {
        "size": size,
        "images": count,
        "errors": sum(1 for i in images if i.error or i.media is None),
        "rss_before_kib": before,
        "peak_kib": peak,
        "per_image_kib": round((peak - before) / count, 1),
    }


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------------------------
# The phase
# --------------------------------------------------------------------------------------------


def combos(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    for storage in args.storage.split(","):
        for topology in args.topologies.split(","):
            yield topology, storage


async def media_phase(args: argparse.Namespace) -> dict[str, Any]:
    """The whole media phase (its own fake, Redis, moto and live servers); JSON-able results."""
    from bench.media_fake import photo_like

    sizes = [int(s) for s in args.sizes.split(",")]
    pictures = {size: photo_like(size) for size in sizes}  # the same bytes the fake sends
    results: dict[str, Any] = {"png_bytes": {str(k): len(v) for k, v in pictures.items()}, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="easel-bench-media-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        fake_port = free_port()
        fake = start_fake(fake_port, sizes, args.gap, workdir / "media-fake.log")
        stack.callback(stop, fake)
        topologies = args.topologies.split(",")
        redis = RedisServer(workdir) if "celery" in topologies else None
        if redis is not None:
            stack.callback(redis.stop)
        moto = None
        if "s3" in args.storage.split(","):
            from tests.support.s3 import MotoServer

            moto = MotoServer()
            stack.callback(moto.stop)
        for topology, storage in combos(args):
            name = f"{topology}/{storage}"
            env = moto.env(moto.new_bucket()) if storage == "s3" and moto else {}
            print(f"bench: media {name}", flush=True)
            with easel_for(workdir / name.replace("/", "-"), topology, env, fake_port, redis) as (easel, pid):
                # Memory first, on a fresh process: memory freed by earlier images and kept by the
                # allocator would be reused by these, hiding what they need.
                await Image1(sizes[0]).send(easel)
                memory = await in_flight(easel, fake_port, pid, sizes[0], args.in_flight)
                made, floors = await one_at_a_time(easel, fake_port, pictures, args.media_rounds, args.media_warmup)
                await asyncio.sleep(1)  # the last trace lines reach the log
                found = traces(easel.workdir)
            results["runs"][name] = {
                "by_size": {str(size): summary(images, found, floors[size]) for size, images in made.items()},
                "memory": memory,
            }
    return results


def tables(results: dict[str, Any]) -> str:
    """The media phase as Markdown: latency against the floor, the phase split, memory."""
    lines = [
        "### Media: fake's final image event → client's `media_generated` (ms)",
        "",
        "| size | topology/storage | p50 | p99 | max | floor p50 (b64 + decode, same moments) | p50 / floor | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, run in results["runs"].items():
        for size, row in run["by_size"].items():
            base = row["floor_ms"]["p50"]
            p50 = row["latency_ms"]["p50"]
            ratio = f"{p50 / base:.2f}" if p50 and base else "-"
            lat = row["latency_ms"]
            lines.append(
                f"| {size} | {name} | {lat['p50']} | {lat['p99']} | {lat['max']} | {base} | {ratio} | {row['errors']} |"
            )
    lines += ["", "### Media: where the time goes (p50 per phase, ms)", ""]
    lines += ["| size | topology/storage | " + " | ".join(PHASES) + " |", "|---|---|" + "---:|" * len(PHASES)]
    for name, run in results["runs"].items():
        for size, row in run["by_size"].items():
            cells = " | ".join(str(row["phases_ms_p50"][p]) for p in PHASES)
            lines.append(f"| {size} | {name} | {cells} |")
    lines += ["", "### Media: memory per image in flight", ""]
    lines += ["| topology/storage | size | images at once | RSS before (MiB) | peak (MiB) | per image (MiB) |"]
    lines += ["|---|---:|---:|---:|---:|---:|"]
    for name, run in results["runs"].items():
        m = run["memory"]
        lines.append(
            f"| {name} | {m['size']} | {m['images']} | {m['rss_before_kib'] / 1024:.0f} | {m['peak_kib'] / 1024:.0f} "
            f"| {m['per_image_kib'] / 1024:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON results here")
    args = parser.parse_args(argv)
    results = asyncio.run(media_phase(args))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    print(tables(results))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench")
    main()
