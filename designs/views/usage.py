"""The usage page (images and cost per day as bar charts, by model, by API key, the costliest
threads, the month's budget), its CSV, and the limits page (owners and admins change the
budget; everyone else reads it). Every member sees usage."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from designs import usage_report
from designs.bar_chart import bar_chart
from designs.exceptions import DomainError
from designs.services.budgets import limits_payload, limits_update
from designs.usage_forms import LimitsForm
from designs.usage_report import WINDOWS, Window
from designs.views.access import Member, project_page, render_page

DEFAULT_DAYS = 30
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs such a cell (CSV injection)


def _window(request: HttpRequest) -> Window:
    """`?days=7|30|90` (anything else: 30) days ending today, UTC."""
    asked = request.GET.get("days", "")
    days = int(asked) if asked.isdigit() and int(asked) in WINDOWS else DEFAULT_DAYS
    return Window.last(days, timezone.now().date())


def usd(value: Decimal | float) -> str:
    """Dollars to the cent; a nonzero amount under a cent is not shown as nothing."""
    value = Decimal(str(value))
    if 0 < value < Decimal("0.01"):
        return f"${value:.4f}".rstrip("0")
    return f"${value:,.2f}"


def images(count: float) -> str:
    count = int(count) if float(count).is_integer() else round(count, 1)
    return f"{count:,} image" + ("" if count == 1 else "s")


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def _chart(days: list[usage_report.Day], metric: str, window: Window) -> dict[str, Any]:
    """The chart's geometry with the words the SVG and its <title>/<desc> need."""
    values = [float(d.images) if metric == "images" else float(d.cost) for d in days]
    words = images if metric == "images" else usd
    chart = bar_chart(values)
    bars = [
        {"bar": bar, "day": d.day, "label": _day(d.day), "says": f"{d.day:%a} {_day(d.day)}: {words(value)}"}
        for bar, d, value in zip(chart.bars, days, values, strict=True)
    ]
    span = f"{_day(window.start)} to {_day(window.end)} {window.end.year}"
    what = "Images made" if metric == "images" else "Cost in US dollars"
    if chart.scale_max:
        peak = max(bars, key=lambda b: (b["bar"].value, b["day"]))
        summary = f"{words(sum(values))} in all; the most on {peak['label']}: {words(peak['bar'].value)}."
    else:
        summary = "Nothing on any day."
    return {
        "metric": metric,
        "geometry": chart,
        "bars": bars,
        "title": f"{what} per day, {span}",
        "desc": f"One bar per day, {len(days)} days. {summary}",
        "lines": [{"line": line, "says": words(chart.scale_max * line.fraction)} for line in chart.lines[1:]],
    }


def _budget(limits: dict[str, Any]) -> dict[str, Any]:
    """The month's spend and today's images against their limits, as fractions for the bars."""
    used = limits["used"]

    def meter(spent: float, limit: float | None) -> dict[str, Any] | None:
        if limit is None:
            return None
        share = spent / limit if limit else 1.0  # a limit of 0 refuses every image
        return {"percent": round(min(share, 1.0) * 100, 1), "over": share >= 1.0, "near": 0.8 <= share < 1.0}

    return {
        "set": limits["images_per_day"] is not None or limits["cost_per_month_usd"] is not None,
        "images_today": used["images_today"],
        "images_per_day": limits["images_per_day"],
        "images_meter": meter(used["images_today"], limits["images_per_day"]),
        "spent": usd(used["cost_this_month_usd"]),
        "cost_per_month": usd(limits["cost_per_month_usd"]) if limits["cost_per_month_usd"] is not None else None,
        "cost_meter": meter(used["cost_this_month_usd"], limits["cost_per_month_usd"]),
        "keys_limited": sum(1 for key in limits["api_keys"] if key["images_per_day"] is not None),
    }


@require_GET
@project_page
def usage(request: HttpRequest, member: Member) -> HttpResponse:
    project, window = member.project, _window(request)
    days = len(window.days)
    context: dict[str, Any] = {
        "days": days,
        "windows": WINDOWS,
        "window": window,
        "budget": _budget(limits_payload(project)),
        "csv_url": reverse("dashboard:usage_csv", args=[project.id]) + f"?days={days}",
        "empty": not usage_report.anything_made(project=project),
        "limits_link": True,
    }
    if not context["empty"]:
        daily = usage_report.per_day(project=project, window=window)
        totals = usage_report.window_totals(daily)
        context.update(
            totals=totals,
            total_cost=usd(totals.cost),
            charts=[_chart(daily, "images", window), _chart(daily, "cost", window)],
            daily=[{"day": d.day, "runs": d.runs, "images": d.images, "cost": usd(d.cost)} for d in reversed(daily)],
            models=[_row(m) for m in usage_report.per_model(project=project, window=window)],
            keys=[_row(k) for k in usage_report.per_key(project=project, window=window)],
            threads=[_row(t) for t in usage_report.top_threads(project=project, window=window)],
        )
    return render_page(request, member, "dashboard/usage.html", context, section="usage")


def _row(row: usage_report.Totals) -> dict[str, Any]:
    return {"row": row, "cost": usd(row.cost)}


@require_GET
@project_page
def usage_csv(request: HttpRequest, member: Member) -> HttpResponse:
    """One row per day × model × key with runs, as an attachment."""
    window = _window(request)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(usage_report.CSV_COLUMNS)
    for row in usage_report.csv_rows(project=member.project, window=window):
        writer.writerow([_cell(cell) for cell in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"easel-usage-{window.start.isoformat()}-to-{window.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _cell(value: Any) -> Any:
    # A key's name is anyone's words: a leading ' keeps a spreadsheet from running it.
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


@require_http_methods(["GET", "POST"])
@project_page
def limits(request: HttpRequest, member: Member) -> HttpResponse:
    """The budget: a form for owners and admins, the same numbers read-only for the rest."""
    current = limits_payload(member.project)
    form = LimitsForm(initial=LimitsForm.initial_from(current), keys=current["api_keys"])
    if request.method == "POST":
        member.require_manager()
        form = LimitsForm(request.POST, keys=current["api_keys"])
        if form.is_valid():
            changes = form.changes(current)
            if not changes:
                messages.info(request, "Nothing changed.")
                return redirect("dashboard:limits", member.project.id)
            try:
                limits_update(member.project, changes)
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(request, "The limits are saved. They apply to the next image asked for.")
                return redirect("dashboard:limits", member.project.id)
    return render_page(
        request,
        member,
        "dashboard/limits.html",
        {"form": form, "limits": current, "budget": _budget(current)},
        section="usage",
    )
