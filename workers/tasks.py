"""Celery entry points: thin, take ids, call the pipeline."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, name="easel.run_generation", acks_late=True, reject_on_worker_lost=True)
def run_generation_task(self, run_id: str) -> None:
    """Generate one run. The pipeline claims the run by compare-and-set, so a duplicate
    delivery is a no-op; a redelivery after a lost worker takes the run over or fails it once
    the run's heartbeat shows its attempt dead (a late one, after the sweeper already did, finds
    the run ended or held by a live attempt, and does nothing)."""
    from workers.pipeline import run_generation

    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    run_generation(run_id, redelivered=redelivered)


@shared_task(name="easel.sweep_stale_runs", acks_late=False)
def sweep_stale_runs_task() -> int:
    """Restart or fail runs whose worker died, fail runs no worker started (beat, every
    EASEL_SWEEP_INTERVAL)."""
    from workers.liveness import sweep_stale_runs

    return sweep_stale_runs()


@shared_task(name="easel.purge_idempotency_keys", acks_late=False)
def purge_idempotency_keys_task() -> int:
    """Drop Idempotency-Key records past their 24 h retention (scheduled by beat)."""
    from designs.services.idempotency import idempotency_purge_expired

    return idempotency_purge_expired()


@shared_task(name="easel.purge_unreferenced_uploads", acks_late=False)
def purge_unreferenced_uploads_task() -> dict[str, int]:
    """Apply EASEL_UPLOAD_RETENTION_DAYS and remove orphaned files (scheduled by beat)."""
    from designs.services.documents import documents_purge_unreferenced, storage_orphans_purge

    return {"uploads": documents_purge_unreferenced(), "orphan_files": storage_orphans_purge()}


@shared_task(name="easel.deliver_webhook", acks_late=False)
def deliver_webhook_task(delivery_id: str) -> None:
    """Hand one webhook delivery to the worker's delivery threads and free the slot at once: a
    receiver that hangs for its whole timeout must never hold a slot a run is waiting for. The
    outbox row, not this message, is the record: if the process dies before the attempt, the
    delivery is still pending and the poller sends it (a claimed lease makes a duplicate a no-op)."""
    from workers.dispatch import deliver_in_process

    deliver_in_process(delivery_id)


@shared_task(name="easel.deliver_due_webhooks", acks_late=False)
def deliver_due_webhooks_task() -> int:
    """The outbox's poller (scheduled by beat): queue every due delivery no attempt holds."""
    from designs.services.webhooks import deliveries_due

    due = deliveries_due()
    for delivery_id in due:
        deliver_webhook_task.delay(delivery_id)
    return len(due)
