"""The benchmark's result (bench.run's JSON) as Markdown tables, for the terminal and the README."""

from __future__ import annotations

from typing import Any

TARGETS = {  # from the durability issue, for a 2-core machine
    "added TTFE p50 (ms)": 20,
    "added per-event p50 (ms)": 2,
    "added per-event p99 (ms)": 10,
    "concurrent streams sustained": 200,
    "KiB per held stream (web)": 100,
}


def _f(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_f(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def single_table(single: dict[str, Any]) -> str:
    rows = []
    for name, s in single.items():
        added = s.get("added", {})
        cpu = s.get("cpu_ms_per_event", {})
        rows.append(
            [
                name,
                s["streams"],
                s["ttfe_ms"]["p50"],
                s["ttfe_ms"]["p99"],
                added.get("ttfe_ms", {}).get("p50"),
                added.get("ttfe_ms", {}).get("p99"),
                added.get("reach_ms", {}).get("p50"),
                s["lag_ms"]["p50"],
                s["lag_ms"]["p99"],
                added.get("per_event_ms", {}).get("p50"),
                added.get("per_event_ms", {}).get("p99"),
                s["gap_jitter_ms"]["p99"],
                cpu.get("total"),
            ]
        )
    return _table(
        [
            "path",
            "streams",
            "TTFE p50",
            "TTFE p99",
            "added TTFE p50",
            "added TTFE p99",
            "of which reaching the LLM (p50)",
            "lag p50",
            "lag p99",
            "added/event p50",
            "added/event p99",
            "gap jitter p99",
            "CPU ms/event",
        ],
        rows,
    )


def ramp_table(ramps: dict[str, Any]) -> str:
    rows = []
    for name, rungs in ramps.items():
        if not isinstance(rungs, list):
            continue
        for r in rungs:
            cpu = r.get("cpu_ms_per_event", {})
            rows.append(
                [
                    name,
                    r["clients"],
                    "yes" if r["sustained"] else "no",
                    r["streams"],
                    r["lost_events"],
                    r["gap_ms"]["max"],
                    r["ttfe_ms"]["p50"],
                    r["ttfe_ms"]["p99"],
                    r["lag_ms"]["p50"],
                    r["lag_ms"]["p99"],
                    r["events_per_s"],
                    (r.get("rss_kib") or {}).get("per_stream"),
                    cpu.get("web", cpu.get("proxy")),
                    cpu.get("worker"),
                ]
            )
    return _table(
        [
            "path",
            "C",
            "sustained",
            "streams",
            "lost",
            "max gap",
            "TTFE p50",
            "TTFE p99",
            "lag p50",
            "lag p99",
            "events/s",
            "KiB/stream",
            "CPU ms/event web",
            "CPU ms/event worker",
        ],
        rows,
    )


def most_sustained(rungs: list[dict[str, Any]]) -> int | None:
    held = [r["clients"] for r in rungs if r["sustained"]]
    return max(held) if held else None


def verdicts(result: dict[str, Any]) -> str:
    easel = result["single"].get("easel")
    if easel is None or "added" not in easel:
        return ""
    rungs = result["ramp"].get("easel", [])
    best = most_sustained(rungs)
    per_stream = next(
        (r["rss_kib"]["per_stream"] for r in reversed(rungs) if r["sustained"] and r.get("rss_kib")), None
    )
    measured = {
        "added TTFE p50 (ms)": easel["added"]["ttfe_ms"]["p50"],
        "added per-event p50 (ms)": easel["added"]["per_event_ms"]["p50"],
        "added per-event p99 (ms)": easel["added"]["per_event_ms"]["p99"],
        "concurrent streams sustained": best,
        "KiB per held stream (web)": per_stream,
    }
    rows = []
    for name, target in TARGETS.items():
        value = measured[name]
        at_least = name == "concurrent streams sustained"
        met = value is not None and (value >= target if at_least else value <= target)
        rows.append([name, f"{'≥' if at_least else '≤'} {target}", value, "met" if met else "MISSED"])
    return _table(["Easel target", "goal", "measured", ""], rows)


def render(result: dict[str, Any]) -> str:
    m = result["machine"]
    parts = [
        f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}, Redis {m['redis']}; LiteLLM {result.get('litellm_version', '–')}; "
        f"Celery pool {result['config']['pool']} x{result['config']['worker_concurrency']}",
        "",
        "One stream at a time (times in ms):",
        "",
        single_table(result["single"]),
        "",
        "Concurrency ramp, closed loop (times in ms):",
        "",
        ramp_table(result["ramp"]),
    ]
    summary = verdicts(result)
    if summary:
        parts += ["", summary]
    return "\n".join(parts)
