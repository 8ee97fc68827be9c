"""Celery entry points: thin, take ids, call the pipeline."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="easel.run_generation", acks_late=True, reject_on_worker_lost=True)
def run_generation_task(run_id: str) -> None:
    """Generate one run. The pipeline claims the run by compare-and-set, so a duplicate
    delivery is a no-op."""
    from workers.pipeline import run_generation

    run_generation(run_id)
