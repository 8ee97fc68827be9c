"""The sweeper ends runs whose worker died and runs no worker started, with a terminal event."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from designs import events
from designs.models import Assistant, Message, Project, Run, Thread
from workers.liveness import beat, sweep_stale_runs


def make_run(status: str, *, heartbeat_age: int = 0, age: int = 0) -> Run:
    project = Project.objects.create(name=f"p-{Project.objects.count()}")
    assistant = Assistant.objects.create(project=project, name="a")
    thread = Thread.objects.create(project=project, assistant=assistant)
    message = Message.objects.create(project=project, thread=thread, role="user", content="hi", seq=1)
    run = Run.objects.create(
        project=project,
        thread=thread,
        assistant=assistant,
        user_message=message,
        status=status,
        llm_provider="local",
        llm_model="easel-local-agent",
        attempts=1,
        heartbeat_at=timezone.now() - timedelta(seconds=heartbeat_age),
    )
    Run.objects.filter(id=run.id).update(created_at=timezone.now() - timedelta(seconds=age))
    return run


def test_it_fails_a_running_run_whose_heartbeat_stopped(db, settings):
    settings.EASEL_STALE_RUN_SECONDS = 30
    dead = make_run(Run.Status.RUNNING, heartbeat_age=120)
    alive = make_run(Run.Status.RUNNING, heartbeat_age=5)

    assert sweep_stale_runs() == 1

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == Run.Status.FAILED and "stopped responding" in dead.error
    assert alive.status == Run.Status.RUNNING
    terminal = events.get_log().entries(events.run_stream(dead.id))[-1][1]
    assert terminal["type"] == "run_failed" and terminal["error_kind"] == "worker_lost"
    assert Message.objects.filter(run=dead, role="assistant", status="FAILED").count() == 1


def test_it_fails_a_run_no_worker_started_and_only_once(db, settings):
    settings.EASEL_QUEUED_RUN_TIMEOUT = 60
    waiting = make_run(Run.Status.QUEUED, age=600)
    fresh = make_run(Run.Status.QUEUED, age=1)

    assert sweep_stale_runs() == 1
    assert sweep_stale_runs() == 0

    waiting.refresh_from_db()
    fresh.refresh_from_db()
    assert waiting.status == Run.Status.FAILED and "No worker started" in waiting.error
    assert fresh.status == Run.Status.QUEUED


def test_a_worker_that_claims_a_swept_run_finds_nothing_to_do(db, settings):
    from workers.pipeline import run_generation

    settings.EASEL_QUEUED_RUN_TIMEOUT = 60
    run = make_run(Run.Status.QUEUED, age=600)
    sweep_stale_runs()

    run_generation(str(run.id))

    assert Message.objects.filter(run=run, role="assistant").count() == 1


def test_one_beat_refreshes_every_running_attempt_in_one_query_and_no_other(db, django_assert_num_queries):
    running = [make_run(Run.Status.RUNNING, heartbeat_age=60) for _ in range(3)]
    taken_over = make_run(Run.Status.RUNNING, heartbeat_age=60)
    Run.objects.filter(id=taken_over.id).update(attempts=2)  # another worker runs attempt 2 now
    finished = make_run(Run.Status.COMPLETED, heartbeat_age=60)

    with django_assert_num_queries(1):
        beat({str(run.id): 1 for run in [*running, taken_over, finished]})

    def age(run: Run) -> float:
        run.refresh_from_db()
        return (timezone.now() - run.heartbeat_at).total_seconds()

    assert all(age(run) < 5 for run in running)
    assert age(taken_over) > 55, "attempt 1 of a run taken over must not keep attempt 2 looking alive"
    assert age(finished) > 55


def test_an_attempt_that_ends_leaves_a_later_attempt_of_the_run_beating():
    from workers.liveness import Heartbeat, _beater

    run_id = "7f0c0000-0000-0000-0000-000000000001"
    taken_over = Heartbeat(run_id, 1).__enter__()
    with Heartbeat(run_id, 2):  # another attempt of the run, in this same process
        taken_over.__exit__(None, None, None)  # attempt 1 ends late

        assert _beater()._runs.get(run_id) == 2, "attempt 2 still gets its heartbeat"
    assert run_id not in _beater()._runs
