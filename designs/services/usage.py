"""How much a project used: runs, tokens, images and estimated cost, summed per UTC day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from designs.models import Project, Run

FIELDS = ("runs", "input_tokens", "output_tokens", "images_generated", "cost_usd")


def usage_by_day(*, project: Project, start: date, end: date) -> dict[str, Any]:
    """Totals per day from `start` to `end` (inclusive, UTC), every day listed, and overall.

    Every run that ended counts, failed and cancelled ones too: the provider billed what they used.
    """
    rows = (
        Run.objects.filter(
            project=project, status__in=Run.FINISHED, created_at__date__gte=start, created_at__date__lte=end
        )
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            runs=Count("id"),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            images_generated=Sum("images_generated"),
            cost_usd=Sum("cost_usd"),
        )
    )
    by_day = {row["day"]: row for row in rows}
    days = [_day(day, by_day.get(day)) for day in _dates(start, end)]
    totals = {name: sum(d[name] for d in days) for name in FIELDS}
    totals["cost_usd"] = round(totals["cost_usd"], 6)
    return {
        "project_id": str(project.id),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "days": days,
        "totals": totals,
    }


def _dates(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def _day(day: date, row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    cost = row.get("cost_usd") or Decimal(0)
    return {
        "date": day.isoformat(),
        "runs": row.get("runs") or 0,
        "input_tokens": row.get("input_tokens") or 0,
        "output_tokens": row.get("output_tokens") or 0,
        "images_generated": row.get("images_generated") or 0,
        "cost_usd": round(float(cost), 6),
    }
