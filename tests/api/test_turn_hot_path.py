"""The path to a turn's first token is short: accepting a chat turn on a new thread stores the
thread, the user message (already naming its run) and the run in one transaction, with no query
a new thread cannot need. The run is not started here: only the web side of a turn is measured."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designs.exceptions import Conflict, LimitReached
from designs.models import Message, Run
from designs.services import turns
from tests.api.conftest import row_counts

TURN = {"content": "hello", "llm_provider": "local", "model_name": "easel-agent", "image_generation": "off"}


@pytest.fixture
def accept(alpha, monkeypatch):
    monkeypatch.setattr(turns, "run_start", lambda run: None)
    key = alpha.project.api_keys.get()

    def one(**fields) -> turns.Turn:
        return turns.turn_accept(
            project=alpha.project, data={**TURN, **fields}, uploads={}, base_url="http://testserver", api_key=key
        )

    return one


def test_a_turn_on_a_new_thread_is_stored_in_one_transaction_of_six_statements(accept):
    accept()  # the project's default assistant exists from now on, as in any working project
    with CaptureQueriesContext(connection) as queries:
        accept()
    statements = [q["sql"].split()[0] for q in queries.captured_queries if q["sql"].split()[0] != "SAVEPOINT"]
    # BEGIN, the default assistant, the thread, the message, the runs in progress, the run, COMMIT
    assert statements[0] in ("BEGIN", "SELECT") and "UPDATE" not in statements, statements
    assert statements.count("INSERT") == 3 and len(statements) <= 8, statements


def test_the_user_message_names_its_run_and_opens_the_new_thread(accept):
    turn = accept()
    message = Message.objects.get(id=turn.user_message.id)
    assert message.run_id == turn.run.id and message.seq == 1 and Run.objects.get(id=turn.run.id).thread == turn.thread


def test_a_turn_on_an_existing_thread_comes_after_its_last_message_and_waits_for_its_run(accept):
    first = accept()
    with pytest.raises(Conflict, match="already has a run in progress"):
        accept(thread_id=str(first.thread.id))
    Run.objects.filter(id=first.run.id).update(status=Run.Status.COMPLETED)
    second = accept(thread_id=str(first.thread.id))
    assert Message.objects.get(id=second.user_message.id).seq == 2


def test_a_turn_over_the_run_limit_stores_nothing(accept, settings):
    settings.EASEL_MAX_RUNS_PER_KEY = 1
    accept()
    before = row_counts()
    with pytest.raises(LimitReached, match="Too many runs in progress"):
        accept()
    assert row_counts() == before


def test_the_worker_reads_a_turn_without_images_in_one_query_and_one_with_images_sees_them(accept, alpha):
    from designs.services.documents import document_create
    from designs.services.images import inspect_image
    from tests.documents import images
    from workers import history

    plain = accept()
    assert plain.run.params["input_images"] == 0
    run = Run.objects.select_related("assistant").get(id=plain.run.id)
    with CaptureQueriesContext(connection) as queries:
        conversation = history.conversation(run)
    assert [m.content for m in conversation if m.role == "user"] == ["hello"] and len(queries) == 1, [
        q["sql"][:90] for q in queries.captured_queries
    ]

    Run.objects.filter(id=plain.run.id).update(status=Run.Status.COMPLETED)
    png = images.png((32, 32), (200, 10, 10))
    picture = document_create(
        project=alpha.project, data=png, facts=inspect_image(png), thread=plain.thread, operation="upload"
    )
    seeing = accept(thread_id=str(plain.thread.id), input_image_document_ids=[str(picture.id)])
    assert seeing.run.params["input_images"] == 1
    conversation = history.conversation(Run.objects.select_related("assistant").get(id=seeing.run.id))
    assert conversation[-1].images == (("image/png", png),)
