"""The geometry of a bar chart drawn as inline SVG: one bar per value, heights proportional to
the values, the largest reaching the top of the plot, a zero drawn as a zero-height bar.

Pure arithmetic (no Django, no SVG text): the template draws what this returns, in the
chart's own units (its viewBox), so CSS scales it to any width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 260
TOP, BOTTOM = 26, 30  # room above the plot for the top line's label; below it for the days
LEFT, RIGHT = 2, 2
MOST_LABELS = 5  # day labels under a long chart; more would collide at phone width
ALL_LABELS = 7  # a chart of a week names every day
LABEL_HALF = 40  # about half a day label's width ("30 Nov" at the phone's font size)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    labelled: bool  # whether the axis names this bar's day
    centre: float
    anchor: str  # how its label sits on `centre`: start, middle or end (kept inside the chart)


@dataclass(frozen=True)
class Line:
    """A horizontal guide at `fraction` of the largest value (0 is the baseline)."""

    y: float
    fraction: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    right: float
    baseline: float  # the y of the zero line
    top: float  # the y the largest value reaches
    scale_max: float  # the value a full-height bar stands for (0 when every value is 0)
    bars: list[Bar]
    lines: list[Line]
    label_y: float  # where the day labels sit


def bar_chart(values: Sequence[float], *, width: int = WIDTH, height: int = HEIGHT, gap: float = 0.25) -> Chart:
    """Bars for `values`, left to right; `gap` is the share of each slot left empty between bars.

    The last bar is always labelled (today), and every `ceil(n / MOST_LABELS)`-th before it (a
    week: every bar).
    """
    if any(v < 0 or not math.isfinite(v) for v in values):
        raise ValueError("a bar chart takes finite values of zero or more")
    left, right = LEFT, width - RIGHT
    top, baseline = TOP, height - BOTTOM
    plot = baseline - top
    biggest = max(values, default=0)
    slot = (right - left) / max(len(values), 1)
    bar_width = slot * (1 - gap)
    every = 1 if len(values) <= ALL_LABELS else math.ceil(len(values) / MOST_LABELS)
    bars = []
    for index, value in enumerate(values):
        tall = plot * value / biggest if biggest else 0.0
        x = left + index * slot + (slot - bar_width) / 2
        centre = x + bar_width / 2
        anchor = "end" if centre + LABEL_HALF > right else "start" if centre - LABEL_HALF < left else "middle"
        bars.append(
            Bar(
                x=round(x, 2),
                y=round(baseline - tall, 2),
                width=round(bar_width, 2),
                height=round(tall, 2),
                value=value,
                labelled=(len(values) - 1 - index) % every == 0,
                centre=round(centre, 2),
                anchor=anchor,
            )
        )
    lines = [Line(y=round(baseline - plot * f, 2), fraction=f) for f in (0.0, 0.5, 1.0)] if biggest else []
    return Chart(
        width=width,
        height=height,
        left=left,
        right=right,
        baseline=baseline,
        top=top,
        scale_max=biggest,
        bars=bars,
        lines=lines,
        label_y=height - 8,
    )
