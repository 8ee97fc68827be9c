"""Image budgets: a project's limits and what each generation holds against them.

A reservation is written before any provider call, under the project's row lock, after summing
what the window already holds: two requests can never both take the last image. It is settled
with what was really made (charged) or released (nothing charged) when the generation ends.
"""

from __future__ import annotations

import uuid

from django.db import models

from designs.models.conversations import Run
from designs.models.projects import ApiKey, Project


class ProjectLimits(models.Model):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, primary_key=True, related_name="limits")
    images_per_day = models.PositiveIntegerField(null=True, blank=True)  # None: no limit
    cost_per_month_usd = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"limits of {self.project_id}"


class KeyLimits(models.Model):
    api_key = models.OneToOneField(ApiKey, on_delete=models.CASCADE, primary_key=True, related_name="limits")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    images_per_day = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"limits of key {self.api_key_id}"


class Reservation(models.Model):
    class Status(models.TextChoices):
        HELD = "held"  # counted at its estimate until the generation ends
        SETTLED = "settled"  # counted at what was made and charged
        RELEASED = "released"  # counts for nothing: refused, blocked, failed

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.CASCADE, related_name="reservations")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.HELD)
    images = models.PositiveIntegerField()  # held: asked for; settled: made
    estimated_usd = models.DecimalField(max_digits=12, decimal_places=6)
    charged_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "created_at"]),
            models.Index(fields=["run", "status"]),
        ]

    def __str__(self) -> str:
        return f"reservation {self.id} ({self.status}, {self.images} images)"
