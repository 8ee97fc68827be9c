"""`make bench-customization`: how fast the preview tier answers a storefront.

    python -m bench.customization [--rounds 20] [--n 4]

A live Easel in each topology (embedded; Redis + one Celery worker), a 1024x768 product photo as
a template, then `--rounds` preview customizations of `--n` variants each: the time to the first
variant on a stream (what a storefront shows first) and to the whole answer without one (what a
blocking client waits). Prints a Markdown table with p50 and p95, and the machine it ran on.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

from tests.support.processes import LiveEasel, RedisServer

AREA = {"x": 352, "y": 224, "width": 320, "height": 400}
OUTPUT = {"width_px": 2400, "height_px": 3000, "dpi": 300, "format": "png"}


def shirt() -> bytes:
    image = Image.new("RGB", (1024, 768), (214, 220, 226))
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [
            (262, 120),
            (412, 80),
            (612, 80),
            (762, 120),
            (900, 300),
            (790, 360),
            (740, 300),
            (740, 730),
            (284, 730),
            (284, 300),
            (234, 360),
            (124, 300),
        ],
        fill=(250, 250, 248),
        outline=(180, 180, 180),
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def template(easel: LiveEasel) -> str:
    response = httpx.post(
        easel.api_url + "/templates",
        headers={"X-API-Key": easel.api_key},
        data={"name": "bench tee", "print_area": json.dumps(AREA), "output": json.dumps(OUTPUT)},
        files={"base": ("tee.png", shirt(), "image/png")},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()["template_id"]


def blocking(easel: LiveEasel, template_id: str, n: int) -> float:
    started = time.perf_counter()
    response = httpx.post(
        easel.api_url + "/customizations",
        headers={"X-API-Key": easel.api_key},
        json={"template_id": template_id, "prompt": "a red dragon", "n": n, "tier": "preview"},
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    body = response.json()
    assert response.status_code == 201 and body["status"] == "completed", body
    return elapsed


def first_variant(easel: LiveEasel, template_id: str, n: int) -> float:
    started = time.perf_counter()
    body = {"template_id": template_id, "prompt": "a blue whale", "n": n, "tier": "preview", "stream": True}
    first = None
    with httpx.stream(
        "POST", easel.api_url + "/customizations", headers={"X-API-Key": easel.api_key}, json=body, timeout=120
    ) as response:
        for line in response.iter_lines():
            if first is None and line.startswith("data: ") and '"variant_generated"' in line:
                first = time.perf_counter() - started
    assert first is not None
    return first


def measure(easel: LiveEasel, rounds: int, n: int) -> dict[str, list[float]]:
    template_id = template(easel)
    blocking(easel, template_id, n)  # warm up: imports, the preview base, connections
    whole = [blocking(easel, template_id, n) for _ in range(rounds)]
    first = [first_variant(easel, template_id, n) for _ in range(rounds)]
    return {"whole": whole, "first": first}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--n", type=int, default=4)
    args = parser.parse_args(argv)
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "redis").mkdir()
        redis = RedisServer(Path(tmp) / "redis")
        try:
            for name, env, workers in (("embedded", {}, 0), ("redis + celery", {"REDIS_URL": redis.fresh_url()}, 1)):
                workdir = Path(tmp) / ("web-" + name.split()[0])
                workdir.mkdir()
                easel = LiveEasel(workdir, env_overrides=env, workers=workers)
                try:
                    results[name] = measure(easel, args.rounds, args.n)
                finally:
                    easel.stop()
        finally:
            redis.stop()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(
        f"\nPreview customizations, n={args.n}, {args.rounds} rounds; {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()}, {os.environ.get('DATABASE_URL', 'SQLite').split('@')[-1]}\n"
    )
    print("| topology | first variant p50 | first variant p95 | all variants p50 | all variants p95 |")
    print("|---|---|---|---|---|")
    for name, times in results.items():
        cells = [f"{percentile(times[k], q) * 1000:.0f} ms" for k in ("first", "whole") for q in (0.5, 0.95)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\n(mean of all-variant times: {statistics.mean(results['embedded']['whole']) * 1000:.0f} ms embedded)")


if __name__ == "__main__":
    main()
