"""From recorded streams to the benchmark's numbers. Definitions (all times in ms):

* TTFE: request written -> first content delta fully received (its blank line read).
* per-event lag: for every delta, client receive time - the fake's send time carried in the
  delta's own text (`t<k> <unix time>`). Client and fake share one host clock, so this is exact
  up to the client's own scheduling. It counts every delta, the first one too.
* added (TTFE or per-event) at percentile q: q-quantile through the relay - q-quantile direct to
  the fake, both measured in the same run (interleaved at C=1).
* reach: request written -> the fake's send stamp on the first delta, i.e. how long the path
  takes to get the request to the LLM (plus the fake's one `interval` before its first delta).
  TTFE = reach + the first delta's lag, so `added reach` says where added TTFE is spent.
* first event: request written -> the first SSE event of any kind (Easel: `user_message`, sent
  once the turn is stored and the run enqueued; LLM paths: the role chunk).
* gap: time between two consecutive deltas' arrivals at the client (the fake sends them
  `interval` apart); `gap_jitter` is that gap minus the gap between their send stamps.
* a stream is whole when it ended normally with deltas 0..N-1, each exactly once, in order.
* a rung is sustained when every stream started in it is whole, without an error, and no gap
  exceeds 10 x interval (Busbar's stall rule with factor 10).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from bench.sse_client import Stream


def pct(values: Iterable[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1) of the values, or None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 3)


def lags(streams: list[Stream]) -> list[float]:
    return [received - sent for s in streams for _, sent, received in s.deltas]


def gaps(stream: Stream) -> list[float]:
    arrivals = [received for _, _, received in stream.deltas]
    return [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]


def gap_jitter(stream: Stream) -> list[float]:
    d = stream.deltas
    return [(d[i][2] - d[i - 1][2]) - (d[i][1] - d[i - 1][1]) for i in range(1, len(d))]


def whole(stream: Stream, deltas: int) -> bool:
    return stream.error is None and stream.ended and [k for k, _, _ in stream.deltas] == list(range(deltas))


def summary(streams: list[Stream], deltas: int) -> dict[str, Any]:
    """Distribution of TTFE, per-event lag, gaps and failures over a set of streams."""
    ttfes = [s.ttfe for s in streams if s.ttfe is not None]
    reach = [s.deltas[0][1] - s.started for s in streams if s.deltas]
    first_event = [s.first_event - s.started for s in streams if s.first_event is not None]
    all_lags = lags(streams)
    all_gaps = [g for s in streams for g in gaps(s)]
    jitter = [abs(j) for s in streams for j in gap_jitter(s)]
    errors = [s.error for s in streams if s.error]
    return {
        "streams": len(streams),
        "whole": sum(whole(s, deltas) for s in streams),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:3],
        "events": len(all_lags),
        "lost_events": sum(max(0, deltas - len({k for k, _, _ in s.deltas})) for s in streams),
        "ttfe_ms": {"p50": ms(pct(ttfes, 0.5)), "p99": ms(pct(ttfes, 0.99)), "max": ms(max(ttfes, default=None))},
        "reach_ms": {"p50": ms(pct(reach, 0.5)), "p99": ms(pct(reach, 0.99))},
        "first_event_ms": {"p50": ms(pct(first_event, 0.5)), "p99": ms(pct(first_event, 0.99))},
        "lag_ms": {
            "p50": ms(pct(all_lags, 0.5)),
            "p99": ms(pct(all_lags, 0.99)),
            "max": ms(max(all_lags, default=None)),
        },
        "gap_ms": {
            "p50": ms(pct(all_gaps, 0.5)),
            "p99": ms(pct(all_gaps, 0.99)),
            "max": ms(max(all_gaps, default=None)),
        },
        "gap_jitter_ms": {"p50": ms(pct(jitter, 0.5)), "p99": ms(pct(jitter, 0.99))},
    }


def added(relay: dict[str, Any], direct: dict[str, Any]) -> dict[str, Any]:
    """Relay minus direct, percentile by percentile, for TTFE and per-event lag."""

    def minus(metric: str, q: str) -> float | None:
        a, b = relay[metric][q], direct[metric][q]
        return None if a is None or b is None else round(a - b, 3)

    return {
        "ttfe_ms": {"p50": minus("ttfe_ms", "p50"), "p99": minus("ttfe_ms", "p99")},
        "reach_ms": {"p50": minus("reach_ms", "p50"), "p99": minus("reach_ms", "p99")},
        "per_event_ms": {"p50": minus("lag_ms", "p50"), "p99": minus("lag_ms", "p99")},
    }


def sustained(streams: list[Stream], deltas: int, interval: float) -> tuple[bool, str]:
    """The rung rule (module docstring), with the first reason it fails."""
    if not streams:
        return False, "no stream finished"
    broken = [s for s in streams if not whole(s, deltas)]
    if broken:
        sample = broken[0].error or f"{len(broken[0].deltas)} of {deltas} deltas, ended={broken[0].ended}"
        return False, f"{len(broken)} of {len(streams)} streams not whole (e.g. {sample})"
    worst = max((g for s in streams for g in gaps(s)), default=0.0)
    if worst > 10 * interval:
        return False, f"a gap of {worst * 1000:.0f} ms > {10 * interval * 1000:.0f} ms"
    return True, "ok"
