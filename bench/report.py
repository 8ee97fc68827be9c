"""The benchmark's result (bench.run's JSON) as Markdown tables, for the terminal and the README."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The durability issue's targets for a 2-core machine: (goal, at least?) per measured figure.
TARGETS = {
    "added TTFE p50 (ms)": (20, False),
    "added per-event p50 (ms)": (2, False),
    "added per-event p99 (ms)": (10, False),
    "concurrent streams sustained": (200, True),
    "KiB per held stream (web)": (100, False),
}

Column = tuple[str, Callable[[str, dict[str, Any]], Any]]


def _f(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _dig(data: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _table(columns: list[Column], rows: list[tuple[str, dict[str, Any]]]) -> str:
    lines = ["| " + " | ".join(title for title, _ in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_f(get(name, row)) for _, get in columns) + " |" for name, row in rows]
    return "\n".join(lines)


def _col(title: str, path: str) -> Column:
    return title, lambda _name, row: _dig(row, path)


PATH: Column = ("path", lambda name, _row: name)

SINGLE = [
    PATH,
    _col("streams", "streams"),
    _col("TTFE p50", "ttfe_ms.p50"),
    _col("TTFE p99", "ttfe_ms.p99"),
    _col("added TTFE p50", "added.ttfe_ms.p50"),
    _col("added TTFE p99", "added.ttfe_ms.p99"),
    _col("first event p50", "first_event_ms.p50"),
    _col("lag p50", "lag_ms.p50"),
    _col("lag p99", "lag_ms.p99"),
    _col("added/event p50", "added.per_event_ms.p50"),
    _col("added/event p99", "added.per_event_ms.p99"),
    _col("gap jitter p99", "gap_jitter_ms.p99"),
]

HOLD = [
    PATH,
    _col("held", "streams"),
    _col("whole", "whole"),
    _col("RSS idle KiB", "rss_kib.idle"),
    _col("RSS held KiB", "rss_kib.held"),
    _col("KiB/stream", "rss_kib.per_stream"),
    _col("released KiB/stream", "rss_kib.released_per_stream"),
    _col("threads", "threads_held"),
    _col("worker PSS KiB/run", "worker_pss_kib.per_run"),
    ("first error", lambda _name, row: ((row.get("error_samples") or ["–"])[0])[:90]),
]

RAMP = [
    PATH,
    _col("C", "clients"),
    ("sustained", lambda _name, row: "yes" if row["sustained"] else "no"),
    _col("streams", "streams"),
    _col("lost", "lost_events"),
    _col("max gap", "gap_ms.max"),
    _col("TTFE p50", "ttfe_ms.p50"),
    _col("TTFE p99", "ttfe_ms.p99"),
    _col("lag p50", "lag_ms.p50"),
    _col("lag p99", "lag_ms.p99"),
    _col("events/s", "events_per_s"),
    (
        "of offered",
        lambda _name, row: f"{row['events_per_s'] / row['offered_per_s']:.0%}" if row.get("offered_per_s") else None,
    ),
    ("CPU ms/event web", lambda _name, row: _dig(row, "cpu_ms_per_event.web") or _dig(row, "cpu_ms_per_event.proxy")),
    _col("CPU ms/event worker", "cpu_ms_per_event.worker"),
    ("CPU ms/event Redis", lambda name, row: _dig(row, "shared_cpu.ms_per_event.redis") if name == "easel" else None),
    _col("CPU ms/event fake + client", "shared_cpu.ms_per_event.harness"),
    _col("cores busy", "shared_cpu.machine_cores_busy"),
]


def most_sustained(rungs: list[dict[str, Any]]) -> int | None:
    held = [r["clients"] for r in rungs if r["sustained"]]
    return max(held) if held else None


def verdicts(result: dict[str, Any]) -> str:
    easel = result["single"].get("easel")
    if easel is None or "added" not in easel:
        return ""
    held = result.get("hold", {}).get("easel")
    measured = {
        "added TTFE p50 (ms)": easel["added"]["ttfe_ms"]["p50"],
        "added per-event p50 (ms)": easel["added"]["per_event_ms"]["p50"],
        "added per-event p99 (ms)": easel["added"]["per_event_ms"]["p99"],
        "concurrent streams sustained": most_sustained(result["ramp"].get("easel", [])),
        "KiB per held stream (web)": held["rss_kib"]["per_stream"] if held else None,
    }
    rows = []
    for name, (goal, at_least) in TARGETS.items():
        value = measured[name]
        met = value is not None and (value >= goal if at_least else value <= goal)
        rows.append((name, {"goal": f"{'≥' if at_least else '≤'} {goal}", "value": value, "met": met}))
    columns = [
        ("Easel target", lambda name, _row: name),
        _col("goal", "goal"),
        _col("measured", "value"),
        ("", lambda _name, row: "met" if row["met"] else "MISSED"),
    ]
    return _table(columns, rows)


def render(result: dict[str, Any]) -> str:
    m, config = result["machine"], result["config"]
    checkout = result.get("checkout") or {}
    ramp_rows = [(name, r) for name, rungs in result["ramp"].items() if isinstance(rungs, list) for r in rungs]
    parts = [
        f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}, Redis {m['redis']}; LiteLLM {result.get('litellm_version', '–')}; "
        f"Celery {config.get('workers', '1')} worker(s), pool {config['pool']} x{config['worker_concurrency']}; "
        f"{config.get('database', 'SQLite')}; commit {str(checkout.get('commit'))[:10]}"
        f"{' (modified)' if checkout.get('modified') else ''}. Other processes used "
        f"{(result.get('other_load') or {}).get('share_of_machine', 0):.0%} of the machine during the run.",
        "",
        f"One stream at a time, {config['rounds']} per path, interleaved (times in ms):",
        "",
        _table(SINGLE, list(result["single"].items())),
        "",
        f"{config['hold']} streams held at once, the fake slowed to one delta per {config['hold_interval']} s:",
        "",
        _table(HOLD, list(result.get("hold", {}).items())),
        "",
        f"Concurrency ramp at one delta per {config['interval']} s, closed loop, {config['duration']} s a rung "
        "(times in ms):",
        "",
        _table(RAMP, ramp_rows),
    ]
    summary = verdicts(result)
    if summary:
        parts += ["", summary]
    return "\n".join(parts)
