"""The outbox: an event is written in its fact's transaction, so a process that dies after the
commit still has it delivered (the poller finds it), a worker killed mid-post has it delivered
again once its lease runs out, and a rollback sends nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from django.db import transaction

from designs.models import Document, Project, WebhookDelivery, WebhookEndpoint, WebhookEvent
from designs.services.documents import document_delete
from designs.services.webhooks import endpoint_create
from tests.support.processes import PYTHON, ROOT, LiveEasel, wait_for
from tests.webhooks.hooks import Hooks, api, document_of, generate
from tests.webhooks.receiver import hang

# Deletes a document the way the API does, in a process whose "queue this delivery" step (run
# after the commit) kills it: the event is committed and nothing was queued.
DIES_AFTER_COMMIT = """
import os, sys
import django

django.setup()
import workers.dispatch
from designs.models import Document
from designs.services.documents import document_delete

workers.dispatch.enqueue_delivery = lambda *args, **kwargs: os._exit(9)
document_delete(document=Document.objects.get(id=sys.argv[1]))
sys.exit("the delivery was never queued")
"""


def delete_and_die(easel: LiveEasel, document_id: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "-c", DIES_AFTER_COMMIT, document_id],
        cwd=ROOT,
        env={**easel.env, "DJANGO_SETTINGS_MODULE": "project.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_event_committed_by_a_process_that_died_before_queueing_it_is_delivered(hooks: Hooks):
    receiver = hooks.receiver()
    endpoint = hooks.subscribe(receiver, "document.deleted")
    document_id = document_of(generate(hooks.easel))

    died = delete_and_die(hooks.easel, document_id)

    assert died.returncode == 9, died.stderr
    assert api(hooks.easel, "GET", f"/documents/{document_id}").status_code == 404, "the deletion did not commit"
    (arrived,) = receiver.wait_for(1, timeout=10)
    assert arrived.verified(endpoint["secret"])["data"]["document_id"] == document_id
    (delivery,) = hooks.deliveries(endpoint)
    assert hooks.finished(endpoint, delivery["delivery_id"])["status"] == "succeeded"


@pytest.mark.parametrize("easel", ["celery"], indirect=True)
def test_a_delivery_whose_worker_was_killed_mid_post_is_sent_again_when_its_lease_runs_out(hooks: Hooks):
    easel = hooks.easel
    receiver = hooks.receiver(hang(30))
    endpoint = hooks.subscribe(receiver, "run.completed")
    delivery_id = hooks.ping(endpoint)["delivery_id"]
    (first,) = receiver.wait_for(1)

    for worker in _workers(easel):
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool, mid-post
    _start_worker(easel)

    held = hooks.delivery(endpoint, delivery_id)
    assert held["status"] == "pending" and held["attempts"] == 0, "the killed attempt was recorded"
    # The lease (EASEL_WEBHOOK_LEASE_SECONDS, 8 s here) keeps the poller off it until then.
    second = receiver.wait_for(2, timeout=30)[1]
    assert second.at - first.at >= 8, "sent again while its first attempt still held it"
    assert second.webhook_id == first.webhook_id and second.body == first.body
    assert first.verified(endpoint["secret"]) == second.verified(endpoint["secret"])
    assert first.event["type"] == "webhook.ping"
    delivered = hooks.finished(endpoint, delivery_id)
    assert delivered["status"] == "succeeded" and delivered["attempts"] == 1


def test_a_rolled_back_transaction_sends_nothing(db, django_capture_on_commit_callbacks):
    project = Project.objects.create(name="shop")
    endpoint_create(project, {"url": "https://93.184.216.34/hooks", "events": ["document.deleted"]})
    document = Document.objects.create(project=project, operation="upload")
    document_id = document.id

    with django_capture_on_commit_callbacks() as queued, pytest.raises(RuntimeError), transaction.atomic():
        document_delete(document=document)
        assert WebhookEvent.objects.count() == WebhookDelivery.objects.count() == 1
        raise RuntimeError("the fact's transaction fails after the event was written")

    assert Document.objects.filter(id=document_id).exists()
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()
    assert queued == [], "a delivery was queued for a rolled-back event"
    assert WebhookEndpoint.objects.get().deliveries.count() == 0


def _workers(easel: LiveEasel) -> list[subprocess.Popen]:
    """The live Celery workers LiveEasel started (it keeps them with its other processes)."""
    return [p for p in easel._processes if "worker" in p.args and p.poll() is None]


def _start_worker(easel: LiveEasel) -> None:
    worker = easel.start_worker(f"w{time.monotonic_ns()}")
    pool = ["pgrep", "-P", str(worker.pid)]
    wait_for(lambda: subprocess.run(pool, capture_output=True).stdout.strip() != b"", 30, "the new worker's pool")
