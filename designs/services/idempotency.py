"""Idempotency-Key on POST /threads/messages (Stripe's semantics, the IETF draft's codes).

Scoped per project. The same key with the same request replays the first turn (no second
provider call); with a different request it is a 422; while the first turn is still running
it is a 409. Requests refused by validation store nothing and may be retried. Keys expire
after 24 hours.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from designs.exceptions import Conflict, Invalid, Mismatch
from designs.models import IdempotencyKey, Project, Run

RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    """An earlier turn sent with the same Idempotency-Key, answered again without re-running:
    its run (None when it only saved the message) and its user message."""

    run: Run | None
    user_message_id: str | None


def fingerprint(data: dict[str, Any], uploads: dict[str, list]) -> str:
    """A hash of the request as validated (so JSON and form spellings of one request match),
    and of every upload: its field, its place in it, its bytes and its file name (stored with
    the document it becomes, so two names are two different requests)."""
    files = {
        name: [[hashlib.sha256(_read(f)).hexdigest(), getattr(f, "name", None)] for f in items]
        for name, items in uploads.items()
    }
    canonical = json.dumps({"data": data, "files": files}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _read(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def idempotency_claim(*, project: Project, key: str, print_: str) -> Replay | None:
    """Reserve the key for this request (None), or return the earlier request's turn to replay.

    Raises Mismatch for a different request under the same key, Conflict while the first
    request with this key is still running. Call inside the transaction that stores the turn.
    """
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters")
    IdempotencyKey.objects.filter(project=project, key=key, created_at__lt=timezone.now() - RETENTION).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(project=project, key=key, fingerprint=print_)
            return None
    except IntegrityError:
        pass
    existing = IdempotencyKey.objects.select_related("run").get(project=project, key=key)
    if existing.fingerprint != print_:
        raise Mismatch("This Idempotency-Key was used with a different request")
    if existing.run is not None and not existing.run.is_finished:
        raise Conflict("A request with this Idempotency-Key is still in progress")
    if existing.run is None and existing.user_message_id is None:
        raise Conflict("A request with this Idempotency-Key is still in progress")
    return Replay(existing.run, str(existing.user_message_id) if existing.user_message_id else None)


def idempotency_record(*, project: Project, key: str, run: Run | None, user_message_id) -> None:
    IdempotencyKey.objects.filter(project=project, key=key).update(run=run, user_message_id=user_message_id)


def idempotency_purge_expired() -> int:
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - RETENTION).delete()
    return deleted
