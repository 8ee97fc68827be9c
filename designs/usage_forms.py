"""The limits form: a project's images per day and spend per month, and each API key's images
per day. Blank means no limit. Its bounds repeat `services.budgets`, so a mistake is a field
error in words before the service is asked; `changes()` is the service's body, only what moved."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from designs.services.budgets import MAX_COST_PER_MONTH, MAX_IMAGES_PER_DAY

NO_LIMIT = "or leave it blank for no limit"


def _images_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=MAX_IMAGES_PER_DAY,
        error_messages={
            "invalid": f"Enter a whole number of images, {NO_LIMIT}.",
            "min_value": f"Enter 0 or more (0 stops new images), {NO_LIMIT}.",
            "max_value": f"Enter at most {MAX_IMAGES_PER_DAY:,} images a day, {NO_LIMIT}.",
        },
    )


def _cents(amount: float | None) -> str | None:
    return None if amount is None else f"{Decimal(str(amount)):.2f}"


class LimitsForm(forms.Form):
    images_per_day = _images_field("Images per day")
    cost_per_month_usd = forms.DecimalField(
        label="Image spend per month (USD)",
        required=False,
        min_value=0,
        max_value=MAX_COST_PER_MONTH,
        max_digits=10,
        decimal_places=2,
        error_messages={
            "invalid": f"Enter an amount in US dollars, like 25 or 12.50, {NO_LIMIT}.",
            "min_value": f"Enter 0 or more dollars, {NO_LIMIT}.",
            "max_value": f"Enter at most ${MAX_COST_PER_MONTH:,} a month, {NO_LIMIT}.",
            "max_decimal_places": "Use at most two decimals: whole cents.",
            "max_digits": f"Enter at most ${MAX_COST_PER_MONTH:,} a month, {NO_LIMIT}.",
            "max_whole_digits": f"Enter at most ${MAX_COST_PER_MONTH:,} a month, {NO_LIMIT}.",
        },
    )

    def __init__(self, *args: Any, keys: list[dict[str, Any]], **kwargs: Any) -> None:
        """`keys`: the project's active keys as `limits_payload` lists them; one field each."""
        super().__init__(*args, **kwargs)
        self.keys = keys
        for key in keys:
            name = key["name"] or "a key without a name"
            self.fields[self.key_field(key)] = _images_field(f"Images per day for {name} ({key['prefix']}…)")

    @staticmethod
    def key_field(key: dict[str, Any]) -> str:
        return f"key-{key['key_id']}"

    @classmethod
    def initial_from(cls, limits: dict[str, Any]) -> dict[str, Any]:
        cost = limits["cost_per_month_usd"]
        initial = {"images_per_day": limits["images_per_day"], "cost_per_month_usd": _cents(cost)}
        initial.update({cls.key_field(key): key["images_per_day"] for key in limits["api_keys"]})
        return initial

    def key_rows(self) -> list[dict[str, Any]]:
        """Each key with its bound field, for the template."""
        return [{"key": key, "field": self[self.key_field(key)]} for key in self.keys]

    def changes(self, limits: dict[str, Any]) -> dict[str, Any]:
        """The body for `limits_update`: only the limits that differ from `limits` (current)."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        if data["images_per_day"] != limits["images_per_day"]:
            out["images_per_day"] = data["images_per_day"]
        cost, now = data["cost_per_month_usd"], limits["cost_per_month_usd"]
        if (cost is None) != (now is None) or (cost is not None and cost != Decimal(str(now))):
            out["cost_per_month_usd"] = None if cost is None else str(cost)
        per_key = {
            key["key_id"]: {"images_per_day": data[self.key_field(key)]}
            for key in self.keys
            if data[self.key_field(key)] != key["images_per_day"]
        }
        if per_key:
            out["api_keys"] = per_key
        return out
