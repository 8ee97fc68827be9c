"""The benchmark's result (bench.run's JSON) as Markdown tables, for the terminal and the README."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def ttfe_ratios(single: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each Easel's added TTFE against LiteLLM's, in the same run (issue 18: p50 ratio ≤ 1.0,
    p99 ratio ≤ 1.5)."""
    peer = _dig(single, "litellm.added.ttfe_ms")
    rows = []
    for name, row in single.items():
        ours = _dig(row, "added.ttfe_ms")
        if not name.startswith("easel") or not ours or not peer:
            continue
        rows.append(
            (
                name,
                {
                    "p50": ours["p50"],
                    "peer_p50": peer["p50"],
                    "ratio_p50": _ratio(ours["p50"], peer["p50"]),
                    "p99": ours["p99"],
                    "peer_p99": peer["p99"],
                    "ratio_p99": _ratio(ours["p99"], peer["p99"]),
                },
            )
        )
    return rows


def _ratio(ours: float | None, peer: float | None) -> float | None:
    if ours is None or not peer:
        return None
    return round(ours / peer, 2)


RATIO = [
    PATH,
    _col("added TTFE p50", "p50"),
    _col("LiteLLM's", "peer_p50"),
    _col("ratio p50 (≤ 1.0)", "ratio_p50"),
    _col("added TTFE p99", "p99"),
    _col("LiteLLM's", "peer_p99"),
    _col("ratio p99 (≤ 1.5)", "ratio_p99"),
]

TRACE = [
    ("phase", lambda _name, row: row["phase"]),
    _col("p50 ms", "p50_ms"),
    _col("p99 ms", "p99_ms"),
    _col("turns", "n"),
]


def media_targets(media: dict[str, Any]) -> dict[str, tuple[Any, str, bool]]:
    """Issue 18's media targets, per topology/storage: 1024 p50 ≤ 2 x the floor and p99 ≤ 100 ms,
    2048 p50 ≤ 150 ms."""
    out = {}
    for name, run in (media.get("runs") or {}).items():
        small, large = run["by_size"].get("1024"), run["by_size"].get("2048")
        if small:
            p50, floor, p99 = small["latency_ms"]["p50"], small["floor_ms"]["p50"], small["latency_ms"]["p99"]
            ratio = _ratio(p50, floor)
            out[f"media 1024 p50 / floor ({name})"] = (ratio, "≤ 2.0", _le(ratio, 2.0))
            out[f"media 1024 p99 ms ({name})"] = (p99, "≤ 100", _le(p99, 100))
        if large:
            p50 = large["latency_ms"]["p50"]
            out[f"media 2048 p50 ms ({name})"] = (p50, "≤ 150", _le(p50, 150))
    return out


def image_turn_targets(turns: dict[str, Any]) -> dict[str, tuple[Any, str, bool]]:
    """Issue 18's held image turns: 1,000 whole, ≤ 64 KiB a held stream (web), ≤ 200 KiB a
    waiting run (worker), at the top rung that was run."""
    rungs = turns.get("rungs") or []
    if not rungs:
        return {}
    top = rungs[-1]
    whole = f"{top.get('whole')} of {top.get('turns')}"
    web = _dig(top, "web_rss_kib.per_stream")
    worker = _dig(top, "worker_kib.pss_per_run")
    return {
        "image turns held whole (top rung)": (whole, "1000 of 1000", top.get("turns") == top.get("whole") == 1000),
        "web KiB per held image stream": (web, "≤ 64", _le(web, 64)),
        "worker PSS KiB per waiting run": (worker, "≤ 200", _le(worker, 200)),
    }


def verdicts(result: dict[str, Any]) -> str:
    single = result.get("single") or {}
    easel = single.get("easel")
    held = (result.get("hold") or {}).get("easel")
    measured: dict[str, tuple[Any, str, bool]] = {}  # name -> (value, goal, met)
    for name, row in ttfe_ratios(single):
        measured[f"added TTFE p50 / LiteLLM's ({name})"] = (row["ratio_p50"], "≤ 1.0", _le(row["ratio_p50"], 1.0))
        measured[f"added TTFE p99 / LiteLLM's ({name})"] = (row["ratio_p99"], "≤ 1.5", _le(row["ratio_p99"], 1.5))
    if easel is not None and "added" in easel:
        for q, goal in (("p50", 2), ("p99", 10)):
            value = easel["added"]["per_event_ms"][q]
            measured[f"added per-event {q} (ms)"] = (value, f"≤ {goal}", _le(value, goal))
    if held:
        value = held["rss_kib"]["per_stream"]
        measured["KiB per held text stream (web)"] = (value, "≤ 81.6 (before)", _le(value, 81.6))
    ramp = (result.get("ramp") or {}).get("easel")
    if ramp:
        value = most_sustained(ramp)
        measured["text-pace streams sustained"] = (value, "≥ 50 (before)", value is not None and value >= 50)
    for name, (value, goal, met) in (result.get("targets") or {}).items():
        measured[name] = (value, goal, met)
    if not measured:
        return ""
    columns = [
        ("Easel target", lambda name, _row: name),
        _col("goal", "goal"),
        _col("measured", "value"),
        ("", lambda _name, row: "met" if row["met"] else "MISSED"),
    ]
    rows = [(name, {"goal": goal, "value": value, "met": met}) for name, (value, goal, met) in measured.items()]
    return _table(columns, rows)


def _le(value: float | None, goal: float) -> bool:
    return value is not None and value <= goal


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
        "Added TTFE against LiteLLM's, same run (ms):",
        "",
        _table(RATIO, ttfe_ratios(result["single"])),
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
    for name, rows in (result.get("trace") or {}).items():
        parts += ["", f"Where the time to first event goes ({name}; one turn at a time, traced):", ""]
        parts.append(_table(TRACE, [(row["phase"], row) for row in rows]))
    for extra in result.get("extra_tables") or ():
        parts += ["", extra]
    summary = verdicts(result)
    if summary:
        parts += ["", summary]
    return "\n".join(parts)
