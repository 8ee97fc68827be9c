"""Image budgets and quotas: a project's images per day and spend per month, an API key's images
per day, held before any provider call and settled with what was made.

`reserve` runs in the transaction that is about to start the generation, holding the project's
row lock (on SQLite the IMMEDIATE transaction holds the write lock): it sums what the windows
already hold (held reservations at their estimate, settled ones at what they charged), refuses
with `BudgetSpent` when one more would pass a limit, and writes the reservation. Twenty
requests at once against a budget of five get exactly five reservations. Released reservations
(refused, blocked, failed) count for nothing. Days and months are UTC.

Spend is the image models' (the catalog's prices); an LLM's tokens are usage, not budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Q, Sum, When
from django.utils import timezone

from designs import catalog
from designs.exceptions import BudgetSpent, Invalid
from designs.models import ApiKey, KeyLimits, Project, ProjectLimits, Reservation, Run

MAX_IMAGES_PER_DAY = 1_000_000
MAX_COST_PER_MONTH = Decimal("10000000")
HELD, SETTLED, RELEASED = Reservation.Status.HELD, Reservation.Status.SETTLED, Reservation.Status.RELEASED


@dataclass(frozen=True)
class Windows:
    day: datetime
    month: datetime
    next_day: datetime
    next_month: datetime

    @classmethod
    def at(cls, now: datetime) -> Windows:
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        month = day.replace(day=1)
        next_month = (month + timedelta(days=32)).replace(day=1)
        return cls(day, month, day + timedelta(days=1), next_month)


# --- limits -----------------------------------------------------------------------------------


def limits_payload(project: Project) -> dict[str, Any]:
    """The limits and what each window holds now."""
    limits = ProjectLimits.objects.filter(project=project).first()
    now = timezone.now()
    windows = Windows.at(now)
    used = _used(project, None, windows)
    keys = {row.api_key_id: row.images_per_day for row in KeyLimits.objects.filter(project=project)}
    key_rows = ApiKey.objects.filter(project=project, revoked_at__isnull=True).order_by("created_at")
    key_used = _images_today_by_key(project, windows)
    return {
        "project_id": str(project.id),
        "images_per_day": limits.images_per_day if limits else None,
        "cost_per_month_usd": float(limits.cost_per_month_usd)
        if limits and limits.cost_per_month_usd is not None
        else None,
        "used": {
            "images_today": used["images"],
            "cost_this_month_usd": float(round(used["cost"], 6)),
            "day_resets_at": _iso(windows.next_day),
            "month_resets_at": _iso(windows.next_month),
        },
        "api_keys": [
            {
                "key_id": str(key.id),
                "name": key.name,
                "prefix": key.prefix,
                "images_per_day": keys.get(key.id),
                "images_today": key_used.get(key.id, 0),
            }
            for key in key_rows
        ],
    }


def limits_update(project: Project, data: Any) -> dict[str, Any]:
    """PUT: the project's limits (null removes one), and `api_keys: {key_id: {images_per_day}}`.
    Checked whole before anything is written."""
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object")
    unknown = sorted(set(data) - {"images_per_day", "cost_per_month_usd", "api_keys"})
    if unknown:
        raise Invalid(f"Unknown field(s): {', '.join(unknown)}")
    if not data:
        raise Invalid("Send at least one of images_per_day, cost_per_month_usd, api_keys")
    project_fields: dict[str, Any] = {}
    if "images_per_day" in data:
        project_fields["images_per_day"] = _images(data["images_per_day"], "images_per_day")
    if "cost_per_month_usd" in data:
        project_fields["cost_per_month_usd"] = _cost(data["cost_per_month_usd"])
    per_key = _key_limits(project, data.get("api_keys"))
    with transaction.atomic():
        if project_fields:
            ProjectLimits.objects.update_or_create(project=project, defaults=project_fields)
        for key_id, images in per_key.items():
            KeyLimits.objects.update_or_create(
                api_key_id=key_id, defaults={"project": project, "images_per_day": images}
            )
    return limits_payload(project)


def _images(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_IMAGES_PER_DAY:
        raise Invalid(f"{name}: a whole number from 0 to {MAX_IMAGES_PER_DAY:,}, or null for no limit")
    return value


def _cost(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Invalid("cost_per_month_usd: an amount in US dollars, or null for no limit")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise Invalid("cost_per_month_usd: an amount in US dollars, or null for no limit") from exc
    if not amount.is_finite() or not Decimal(0) <= amount <= MAX_COST_PER_MONTH:
        raise Invalid(f"cost_per_month_usd: from 0 to {MAX_COST_PER_MONTH:,} dollars")
    return amount.quantize(Decimal("0.01"))


def _key_limits(project: Project, value: Any) -> dict[Any, int | None]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 1000:
        raise Invalid('api_keys: an object {"<key_id>": {"images_per_day": N or null}}')
    ids = _uuids(value)  # canonical: a key's id in capitals or without hyphens is the same key
    found = {str(k.id): k.id for k in ApiKey.objects.filter(project=project, id__in=ids)}
    out: dict[Any, int | None] = {}
    for (raw, limits), key_id in zip(value.items(), ids, strict=True):
        if key_id not in found:
            raise Invalid(f"api_keys: {str(raw)[:64]!r} is not an API key of this project")
        if not isinstance(limits, dict) or set(limits) - {"images_per_day"}:
            raise Invalid('api_keys: each key takes {"images_per_day": N or null}')
        out[found[key_id]] = _images(limits.get("images_per_day"), "api_keys.images_per_day")
    return out


def _uuids(value: dict[Any, Any]) -> list[str]:
    import uuid

    ids = []
    for raw in value:
        try:
            ids.append(str(uuid.UUID(str(raw))))
        except ValueError:
            raise Invalid(f"api_keys: {str(raw)[:64]!r} is not an API key of this project") from None
    return ids


# --- reservations -----------------------------------------------------------------------------


def estimate_for(run: Run, *, n: int, input_images: int = 0, size: str | None = None) -> Decimal:
    model = catalog.find_image_model(run.image_provider, run.image_model)
    config = run.image_config or {}
    cost = catalog.estimate_image_cost(
        model, n=n, size=size or config.get("size"), quality=config.get("quality"), input_images=input_images
    )
    return Decimal(str(cost))


def reserve(run: Run, *, images: int, estimated_usd: Decimal) -> Reservation:
    """Hold `images` and their estimate against the run's project (and key); BudgetSpent when
    that would pass a limit, with nothing written. Call it inside a transaction."""
    project_id = run.project_id
    with transaction.atomic():
        list(Project.objects.select_for_update(no_key=True).filter(id=project_id).values_list("id", flat=True))
        _check(run, images, estimated_usd)
        return Reservation.objects.create(
            project_id=project_id, api_key_id=run.api_key_id, run=run, images=images, estimated_usd=estimated_usd
        )


def held_for(run: Run) -> bool:
    return Reservation.objects.filter(run=run, status=HELD).exists()


def release(reservation: Reservation) -> None:
    Reservation.objects.filter(id=reservation.id, status=HELD).update(status=RELEASED, settled_at=timezone.now())


def settle(reservation: Reservation, *, images: int, charged_usd: Decimal) -> None:
    status = SETTLED if images else RELEASED
    Reservation.objects.filter(id=reservation.id, status=HELD).update(
        status=status,
        images=images if images else reservation.images,
        charged_usd=charged_usd,
        settled_at=timezone.now(),
    )


def run_settle(run: Run, *, images: int, charged_usd: Decimal) -> dict[str, Any]:
    """At the run's end: what its held reservations still hold becomes what the run made beyond
    what was settled already (charged), the rest is released. Returns the run's `billing`."""
    settled = Reservation.objects.filter(run=run, status=SETTLED).aggregate(
        made=Sum("images"), charged=Sum("charged_usd")
    )
    left_images = max(images - (settled["made"] or 0), 0)
    left_charge = max(charged_usd - (settled["charged"] or Decimal(0)), Decimal(0))
    for reservation in Reservation.objects.filter(run=run, status=HELD).order_by("created_at"):
        settle(reservation, images=left_images, charged_usd=left_charge if left_images else Decimal(0))
        left_images, left_charge = 0, Decimal(0)
    return billing_of(run)


def image_charge(run: Run, images: int) -> Decimal:
    """What `images` of the run's image model cost at the catalog's price."""
    model = catalog.find_image_model(run.image_provider, run.image_model) if run.image_provider else None
    cost = catalog.estimate_cost(llm=None, input_tokens=0, output_tokens=0, image_model=model, images=images)
    return Decimal(str(cost))


def billing_of(run: Run) -> dict[str, Any]:
    """What was estimated and charged for the run's images; the provider's invoice is the truth
    wherever something was charged at the catalog's price (every provider but the local engines)."""
    totals = Reservation.objects.filter(run=run).aggregate(
        estimated=Sum("estimated_usd"), charged=Sum("charged_usd", filter=Q(status=SETTLED))
    )
    return {
        "estimated_usd": float(round(totals["estimated"] or 0, 6)),
        "charged_usd": float(round(totals["charged"] or 0, 6)),
        "reconciliation_required": bool(totals["charged"]) and run.image_provider != catalog.LOCAL_PROVIDER,
    }


def _check(run: Run, images: int, estimated: Decimal) -> None:
    limits = ProjectLimits.objects.filter(project_id=run.project_id).first()
    key_limit = (
        KeyLimits.objects.filter(api_key_id=run.api_key_id).values_list("images_per_day", flat=True).first()
        if run.api_key_id
        else None
    )
    if limits is None and key_limit is None:
        return
    now = timezone.now()
    windows = Windows.at(now)
    used = _used(run.project_id, run.api_key_id, windows)
    day_wait = int((windows.next_day - now).total_seconds()) + 1
    if limits is not None and limits.images_per_day is not None and used["images"] + images > limits.images_per_day:
        raise BudgetSpent(
            f"The project's image budget for today is spent: {used['images']} of {limits.images_per_day} images "
            f"used; it resets at midnight UTC",
            day_wait,
            limit=limits.images_per_day,
            used=used["images"],
            resets_at=_iso(windows.next_day),
        )
    if key_limit is not None and used["key_images"] + images > key_limit:
        raise BudgetSpent(
            f"This API key's image quota for today is spent: {used['key_images']} of {key_limit} images used; "
            "it resets at midnight UTC",
            day_wait,
            limit=key_limit,
            used=used["key_images"],
            resets_at=_iso(windows.next_day),
        )
    cap = limits.cost_per_month_usd if limits is not None else None
    if cap is not None and used["cost"] + estimated > cap:
        raise BudgetSpent(
            f"The project's image spend for this month is used up: ${used['cost']:.2f} of ${cap:.2f}; "
            "it resets on the 1st (UTC)",
            int((windows.next_month - now).total_seconds()) + 1,
            limit=float(cap),
            used=float(round(used["cost"], 6)),
            resets_at=_iso(windows.next_month),
        )


def _used(project: Any, api_key_id: Any, windows: Windows) -> dict[str, Any]:
    counted = Reservation.objects.filter(project=project, created_at__gte=windows.month).exclude(status=RELEASED)
    today = Q(created_at__gte=windows.day)
    sums = {
        "images_today": Sum("images", filter=today),
        "cost_month": Sum(Case(When(status=HELD, then=F("estimated_usd")), default=F("charged_usd"))),
    }
    if api_key_id:
        sums["key_images_today"] = Sum("images", filter=today & Q(api_key_id=api_key_id))
    totals = counted.aggregate(**sums)
    return {
        "images": totals["images_today"] or 0,
        "key_images": totals.get("key_images_today") or 0,
        "cost": totals["cost_month"] or Decimal(0),
    }


def _images_today_by_key(project: Project, windows: Windows) -> dict[Any, int]:
    rows = (
        Reservation.objects.filter(project=project, created_at__gte=windows.day, api_key__isnull=False)
        .exclude(status=RELEASED)
        .values("api_key_id")
        .annotate(made=Sum("images"))
    )
    return {row["api_key_id"]: row["made"] or 0 for row in rows}


def _amount(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
