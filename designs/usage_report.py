"""The usage page's reads: what a project's finished runs made and cost, per UTC day, per model,
per API key and per thread, over a window of days. One function per question, each scoped to
the project; every run that ended counts (failed and cancelled too, as in `services.usage`:
the provider billed what they used).

A run's "model" is its image model when it has one (what the images came from), else its LLM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate

from designs.models import ApiKey, Message, Project, Run, Thread

DASHBOARD = "Dashboard"  # runs started by a signed-in person, with no API key
WINDOWS = (7, 30, 90)


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    @classmethod
    def last(cls, days: int, today: date) -> Window:
        """The `days` days that end today (inclusive)."""
        return cls(today - timedelta(days=days - 1), today)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass
class Totals:
    """What a group of runs made: how many runs, images and what they cost (USD)."""

    runs: int = 0
    images: int = 0
    cost: Decimal = Decimal(0)

    def add(self, row: dict[str, Any]) -> None:
        self.runs += row.get("runs") or 0
        self.images += row.get("images") or 0
        self.cost += row.get("cost") or Decimal(0)


@dataclass
class Day(Totals):
    day: date | None = None


@dataclass
class ModelRow(Totals):
    provider: str = ""
    model: str = ""


@dataclass
class KeyRow(Totals):
    key_id: UUID | None = None
    name: str = ""
    prefix: str = ""
    revoked: bool = False

    @property
    def label(self) -> str:
        if self.key_id is None:
            return DASHBOARD
        return f"{self.name} ({self.prefix}…)" if self.name else f"{self.prefix}…"


@dataclass
class ThreadRow(Totals):
    thread_id: UUID | None = None
    title: str = ""


SUMS = {"runs": Count("id"), "images": Sum("images_generated"), "cost": Sum("cost_usd")}
MODEL_FIELDS = ("image_provider", "image_model", "llm_provider", "llm_model")


def finished_runs(*, project: Project, window: Window) -> QuerySet[Run]:
    return Run.objects.filter(
        project=project,
        status__in=Run.FINISHED,
        created_at__date__gte=window.start,
        created_at__date__lte=window.end,
    )


def anything_made(*, project: Project) -> bool:
    """Whether any run of the project ever ended (the page's empty state is for none)."""
    return Run.objects.filter(project=project, status__in=Run.FINISHED).exists()


def per_day(*, project: Project, window: Window) -> list[Day]:
    """Every day of the window, oldest first, days without runs as zeros."""
    rows = finished_runs(project=project, window=window).annotate(day=TruncDate("created_at"))
    found = {row["day"]: row for row in rows.values("day").annotate(**SUMS).order_by()}
    days = []
    for day in window.days:
        totals = Day(day=day)
        totals.add(found.get(day, {}))
        days.append(totals)
    return days


def window_totals(days: list[Day]) -> Totals:
    totals = Totals()
    for day in days:
        totals.add({"runs": day.runs, "images": day.images, "cost": day.cost})
    return totals


def _model_of(row: dict[str, Any]) -> tuple[str, str]:
    if row["image_model"]:
        return row["image_provider"], row["image_model"]
    return row["llm_provider"], row["llm_model"]


def per_model(*, project: Project, window: Window) -> list[ModelRow]:
    """Each model's runs, images and cost, the costliest first (then the most images)."""
    rows = finished_runs(project=project, window=window).values(*MODEL_FIELDS).annotate(**SUMS).order_by()
    models: dict[tuple[str, str], ModelRow] = {}
    for row in rows:
        provider, model = _model_of(row)
        models.setdefault((provider, model), ModelRow(provider=provider, model=model)).add(row)
    return sorted(models.values(), key=lambda m: (-m.cost, -m.images, m.provider, m.model))


def per_key(*, project: Project, window: Window) -> list[KeyRow]:
    """Each API key's runs, images and cost (runs without a key: the dashboard), costliest first."""
    rows = finished_runs(project=project, window=window).values("api_key_id").annotate(**SUMS).order_by()
    keys = {k.id: k for k in ApiKey.objects.filter(project=project, id__in=[r["api_key_id"] for r in rows])}
    out = []
    for row in rows:
        key = keys.get(row["api_key_id"])
        found = KeyRow(key_id=key.id, name=key.name, prefix=key.prefix, revoked=not key.is_active) if key else KeyRow()
        found.add(row)
        out.append(found)
    return sorted(out, key=lambda k: (-k.cost, -k.images, k.label))


def top_threads(*, project: Project, window: Window, limit: int = 10) -> list[ThreadRow]:
    """The threads whose runs cost the most in the window (then made the most images)."""
    rows = (
        finished_runs(project=project, window=window)
        .values("thread_id")
        .annotate(**SUMS)
        .order_by("-cost", "-images", "thread_id")[:limit]
    )
    ids = [row["thread_id"] for row in rows]
    titles = dict(Thread.objects.filter(project=project, id__in=ids).values_list("id", "title"))
    firsts: dict[UUID, str] = {}
    prompts = Message.objects.filter(project=project, thread_id__in=ids, role=Message.Role.USER).order_by("seq")
    for thread_id, content in prompts.values_list("thread_id", "content"):
        firsts.setdefault(thread_id, content or "")
    out = []
    for row in rows:
        found = ThreadRow(
            thread_id=row["thread_id"], title=titles.get(row["thread_id"]) or firsts.get(row["thread_id"], "")
        )
        found.add(row)
        out.append(found)
    return out


CSV_COLUMNS = ("date", "model", "api_key", "runs", "images", "cost_usd")


def csv_rows(*, project: Project, window: Window) -> list[tuple[str, str, str, int, int, str]]:
    """One row per day × model × key that had runs, oldest day first: CSV_COLUMNS."""
    rows = (
        finished_runs(project=project, window=window)
        .annotate(day=TruncDate("created_at"))
        .values("day", "api_key_id", *MODEL_FIELDS)
        .annotate(**SUMS)
        .order_by()
    )
    keys = {k.id: KeyRow(key_id=k.id, name=k.name, prefix=k.prefix) for k in ApiKey.objects.filter(project=project)}
    merged: dict[tuple[date, str, str], Totals] = {}
    for row in rows:
        provider, model = _model_of(row)
        key = keys.get(row["api_key_id"]) or KeyRow()
        merged.setdefault((row["day"], f"{provider}/{model}", key.label), Totals()).add(row)
    return [
        (day.isoformat(), model, key, totals.runs, totals.images, f"{totals.cost:.6f}")
        for (day, model, key), totals in sorted(merged.items())
    ]
