"""`GET /api/usage?from=YYYY-MM-DD&to=YYYY-MM-DD`: the caller's project's usage per UTC day."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from designs.api.base import ProjectApiView
from designs.exceptions import Invalid
from designs.parsers import DATE_RANGE, EARLIEST_DATE, LATEST_DATE
from designs.services.usage import usage_by_day

DEFAULT_DAYS = 30
MAX_DAYS = 366


class UsageApi(ProjectApiView):
    def get(self, request: Request) -> Response:
        end = _date(request, "to") or timezone.now().date()
        start = _date(request, "from") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise Invalid("from must not be after to")
        if (end - start).days + 1 > MAX_DAYS:
            raise Invalid(f"Ask for at most {MAX_DAYS} days at a time")
        return Response(usage_by_day(project=self.project, start=start, end=end))


def _date(request: Request, name: str) -> date | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(f"{name} must be a date as YYYY-MM-DD") from exc
    # Bounded so the default window (`to` minus 30 days) cannot fall off Python's calendar.
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise Invalid(f"{name} must be a date {DATE_RANGE}")
    return day
