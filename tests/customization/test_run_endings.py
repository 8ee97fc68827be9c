"""However a customization's run ends without its worker (a cancel, the sweeper after a worker died),
its variants still pending fail with why, the customization says so, and `customization_failed` is
published. (Its order before the run's own event comes from run_end's transaction committing
first, which the test's wrapping transaction cannot show: the live streams in
tests/e2e_providers/test_customization.py end with it.)"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from designs import events
from designs.models import Customization, Project, Run, Variant
from designs.services.customizations import customization_start
from designs.services.documents import document_create
from designs.services.images import inspect_image
from designs.services.runs import run_cancel
from designs.services.templates import template_create
from tests.support.storage import use_local_media
from workers.run_context import RunContext


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    use_local_media(settings, tmp_path / "media")


@pytest.fixture
def started(db, django_capture_on_commit_callbacks):
    project = Project.objects.create(name="shop")
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    base = document_create(
        project=project, data=out.getvalue(), facts=inspect_image(out.getvalue()), thread=None, operation="upload"
    )
    version = template_create(
        project,
        {
            "name": "tee",
            "base_document_id": str(base.id),
            "print_area": {"x": 5, "y": 5, "width": 20, "height": 20},
            "output": {"width_px": 80, "height_px": 80, "dpi": 72},
            "image_model_provider": "local",
            "image_model_name": "easel-local-painter",
        },
    )
    # Not committed in a test transaction: the run stays queued, as before a worker takes it.
    return customization_start(
        project, {"template_id": str(version.template_id), "prompt": "a dragon", "n": 3}, base_url=""
    )


def types_of(run: Run) -> list[str]:
    return [event["type"] for _, event in events.get_log().entries(events.run_stream(run.id))]


def test_a_cancelled_customization_fails_its_pending_variants_as_cancelled(started, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_cancel(run=started.run)

    variants = Variant.objects.filter(run=started.run)
    assert {(v.status, v.failure_reason) for v in variants} == {("failed", "cancelled")}
    assert Customization.objects.get(id=started.customization.id).status == "failed"
    assert {"customization_failed", "run_cancelled"} <= set(types_of(started.run))


def test_a_run_whose_worker_died_fails_its_pending_variants_as_worker_lost(started, django_capture_on_commit_callbacks):
    run = started.run
    Run.objects.filter(id=run.id).update(status=Run.Status.RUNNING, attempts=1)
    run.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        RunContext(run).fail("The worker running this run stopped responding", "worker_lost")

    variants = Variant.objects.filter(run=run)
    assert {v.failure_reason for v in variants} == {"worker_lost"}
    assert all("stopped responding" in v.failure_message for v in variants)
    ending = [e for _, e in events.get_log().entries(events.run_stream(run.id)) if e["type"] == "customization_failed"]
    assert ending and ending[0]["images_generated"] == 0 and ending[0]["status"] == "failed"
    assert "run_failed" in types_of(run)
