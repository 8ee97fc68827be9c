"""The sweeper takes over runs whose worker died (restarted when the client saw nothing, failed
once otherwise) and ends runs no worker started, with a terminal event; a late redelivery of a
swept run's message changes nothing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from designs import events
from designs.events import EventType
from designs.models import Assistant, Message, Project, Run, Thread
from designs.services.runs import run_end
from workers.liveness import Heartbeat, beat, sweep_stale_runs
from workers.pipeline import run_generation


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


def show(run: Run, type: EventType = EventType.CONTENT_STREAMING, **fields) -> None:
    """What the run's attempt sent its client before it died."""
    ids = {"project_id": run.project_id, "thread_id": run.thread_id, "run_id": run.id, "assistant_id": run.assistant_id}
    events.publish(**ids, type=type, **fields)


def log_types(run: Run) -> list[str]:
    return [event["type"] for _, event in events.get_log().entries(events.run_stream(run.id))]


def answers(run: Run) -> list[Message]:
    return list(Message.objects.filter(run=run, role="assistant").exclude(metadata__has_key="tool_calls"))


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """The runs the sweeper queued again (for any worker), instead of starting them here."""
    ids: list[str] = []
    monkeypatch.setattr("workers.dispatch.enqueue_run", ids.append)
    return ids


def test_a_dead_run_that_showed_text_is_failed_once_with_worker_lost(db, settings, queued):
    settings.EASEL_STALE_RUN_SECONDS = 30
    dead = make_run(Run.Status.RUNNING, heartbeat_age=120)
    show(dead, content="Hel", text_at=0)
    alive = make_run(Run.Status.RUNNING, heartbeat_age=5)

    assert sweep_stale_runs() == 1
    assert sweep_stale_runs() == 0

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == Run.Status.FAILED and "stopped mid-run" in dead.error
    assert alive.status == Run.Status.RUNNING
    terminal = events.get_log().entries(events.run_stream(dead.id))[-1][1]
    assert terminal["type"] == "run_failed" and terminal["error_kind"] == "worker_lost"
    assert log_types(dead).count("run_failed") == 1
    assert [m.status for m in answers(dead)] == ["FAILED"]
    assert queued == []


def test_a_dead_run_that_showed_nothing_is_restarted_for_another_worker(db, settings, queued):
    settings.EASEL_STALE_RUN_SECONDS = 30
    dead = make_run(Run.Status.RUNNING, heartbeat_age=120)
    show(dead, EventType.TOOL_CALL_START, tool_call_id="call_1", name="generate_image", hosted=True)
    stub = Message.objects.create(
        project=dead.project, thread=dead.thread, run=dead, role="assistant", seq=2, metadata={"tool_calls": []}
    )

    assert sweep_stale_runs() == 1
    assert sweep_stale_runs() == 0

    dead.refresh_from_db()
    assert dead.status == Run.Status.QUEUED and dead.attempts == 2, "the dead attempt 1 is fenced off"
    assert queued == [str(dead.id)]
    restarted = events.get_log().entries(events.run_stream(dead.id))[-1][1]
    assert restarted["type"] == "run_restarted" and restarted["attempt"] == 3, "the attempt a worker's claim makes"
    assert not Message.objects.filter(id=stub.id).exists(), "the dead attempt's tool round-trip is forgotten"
    assert Message.objects.filter(id=dead.user_message_id).exists()
    assert run_end(dead, attempt=1, status="completed", message_status="COMPLETED") is None


def test_a_sweep_with_nothing_to_do_is_one_query(db, django_assert_num_queries):
    make_run(Run.Status.RUNNING, heartbeat_age=1)
    make_run(Run.Status.QUEUED, age=1)
    make_run(Run.Status.REQUIRES_ACTION, heartbeat_age=1)

    with django_assert_num_queries(1):
        assert sweep_stale_runs() == 0


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
    settings.EASEL_QUEUED_RUN_TIMEOUT = 60
    run = make_run(Run.Status.QUEUED, age=600)
    sweep_stale_runs()

    run_generation(str(run.id))

    assert Message.objects.filter(run=run, role="assistant").count() == 1


def test_the_late_redelivery_of_a_run_the_sweeper_failed_changes_nothing(db, settings, queued):
    settings.EASEL_STALE_RUN_SECONDS = 30
    run = make_run(Run.Status.RUNNING, heartbeat_age=120)
    show(run, content="Hel", text_at=0)
    sweep_stale_runs()
    before = (log_types(run), Message.objects.filter(run=run).count())

    run_generation(str(run.id), redelivered=True)  # the dead worker's message, back after the visibility timeout

    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and run.attempts == 2
    assert (log_types(run), Message.objects.filter(run=run).count()) == before


def test_a_restarted_run_runs_once_whichever_of_its_two_messages_comes_first(db, settings, queued):
    settings.EASEL_STALE_RUN_SECONDS = 30
    run = make_run(Run.Status.RUNNING, heartbeat_age=120)
    sweep_stale_runs()

    run_generation(str(run.id), redelivered=True)  # the dead worker's message, back late, comes first
    run_generation(queued[0])  # then the sweeper's

    run.refresh_from_db()
    assert run.status == Run.Status.COMPLETED
    assert log_types(run).count("run_restarted") == 1 and log_types(run).count("run_ended") == 1
    assert [m.status for m in answers(run)] == ["COMPLETED"]


def test_the_late_redelivery_of_a_restarted_run_leaves_its_live_attempt_alone(transactional_db, settings, queued):
    settings.EASEL_STALE_RUN_SECONDS = 30
    settings.EASEL_HEARTBEAT_SECONDS = 0.2
    run = make_run(Run.Status.RUNNING, heartbeat_age=120)
    sweep_stale_runs()
    Run.objects.filter(id=run.id).update(status=Run.Status.RUNNING, attempts=3, heartbeat_at=timezone.now())
    before = log_types(run)

    with Heartbeat(str(run.id), 3):  # a live worker runs the restart, as attempt 3
        started = time.monotonic()
        run_generation(str(run.id), redelivered=True)
        waited = time.monotonic() - started

    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING and run.attempts == 3
    assert log_types(run) == before
    assert waited < 5, "a beat shows the attempt alive long before it could look dead"


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
    from workers.liveness import _beater

    run_id = "7f0c0000-0000-0000-0000-000000000001"
    taken_over = Heartbeat(run_id, 1).__enter__()
    with Heartbeat(run_id, 2):  # another attempt of the run, in this same process
        taken_over.__exit__(None, None, None)  # attempt 1 ends late

        assert _beater()._runs.get(run_id) == 2, "attempt 2 still gets its heartbeat"
    assert run_id not in _beater()._runs


@pytest.mark.django_db(transaction=True)
def test_a_beat_lands_while_busy_run_threads_hold_every_pooled_connection():
    """On PostgreSQL's pool: the beating thread keeps its own connection, so a beat never
    queues behind hundreds of run threads (it did, for longer than the stale threshold)."""
    from django.db import connection

    pool = getattr(connection, "pool", None)
    if connection.vendor != "postgresql" or pool is None:
        pytest.skip("a connection pool is PostgreSQL's (the suite runs on it in CI)")
    run = make_run(Run.Status.RUNNING, heartbeat_age=60)
    beats: list[float] = []
    beat_now, release = threading.Event(), threading.Event()

    def beater() -> None:  # the process's heartbeat thread: a beat, then another one later
        beat({str(run.id): 1})
        beat_now.wait(30)
        started = time.monotonic()
        beat({str(run.id): 1})
        beats.append(time.monotonic() - started)
        connection.close()  # as the heartbeat thread does once it has nothing to beat for

    def busy_run() -> None:  # a run thread doing database work, holding its connection meanwhile
        from django.db import connection as own

        own.ensure_connection()
        release.wait(60)
        own.close()

    first = threading.Thread(target=beater)
    first.start()
    time.sleep(1)
    holders = [threading.Thread(target=busy_run) for _ in range(pool.max_size)]
    for holder in holders:
        holder.start()
    time.sleep(1)
    Run.objects.filter(id=run.id).update(heartbeat_at=timezone.now() - timedelta(seconds=60))
    connection.close()  # the test's own connection goes back too: the pool is empty now
    try:
        beat_now.set()
        first.join(20)
        assert beats and beats[0] < 5, f"the beat waited for a pooled connection: {beats}"
    finally:
        release.set()
        for holder in holders:
            holder.join(30)
    run.refresh_from_db()
    assert (timezone.now() - run.heartbeat_at).total_seconds() < 10
