"""The migrations that moved a user message's documents: out of the client's `metadata` into
`Message.attachment_ids` (0005), then into MessageInput rows (0006).

Rows are made with each migration's historical models, then the schema is migrated forward
(and back) with Django's MigrationExecutor, on whichever database the suite runs on: SQLite by
default, PostgreSQL with DATABASE_URL=postgres://... (as in CI). Each test leaves the schema at
the latest migration for the tests after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from designs.models import Message, MessageInput, Project, Run
from designs.services.projects import api_key_create
from workers import pipeline
from workers.image_inputs import turn_inputs

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_ATTACHMENTS = [("designs", "0004_provider_credentials_run_cost")]
ATTACHMENT_IDS = [("designs", "0005_invitations_run_key_attachments")]

Migrate = Callable[[list[tuple[str, str]]], Apps]


def _migrate(targets: list[tuple[str, str]]) -> Apps:
    """Migrate to `targets`; the historical models there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _latest() -> None:
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.fixture
def migrate() -> Iterator[Migrate]:
    yield _migrate
    _latest()


class Rows:
    """Rows made with one historical state's models."""

    def __init__(self, apps: Apps) -> None:
        self.apps = apps
        self.project = self.model("Project").objects.create(name="alpha")
        self.stranger = self.model("Project").objects.create(name="bravo")
        self.assistant = self.model("Assistant").objects.create(project=self.project, name="a")
        self.thread = self.model("Thread").objects.create(project=self.project, assistant=self.assistant)
        self.seq = 0

    def model(self, name: str):
        return self.apps.get_model("designs", name)

    def document(self, *, project=None, parent=None, run=None, operation: str = "upload"):
        project = project or self.project
        return self.model("Document").objects.create(
            project=project,
            thread=self.thread if project == self.project else None,
            run=run,
            parent=parent,
            operation=operation,
            filename=f"{uuid.uuid4()}.png",
            file=f"projects/{project.id}/images/{uuid.uuid4().hex}.png",
            mime_type="image/png",
            sha256=uuid.uuid4().hex * 2,
        )

    def message(self, content: str, **fields):
        self.seq += 1
        return self.model("Message").objects.create(
            project=self.project, thread=self.thread, role="user", content=content, seq=self.seq, **fields
        )

    def run(self, message, operation: str):
        run = self.model("Run").objects.create(
            project=self.project,
            thread=self.thread,
            assistant=self.assistant,
            user_message=message,
            operation=operation,
        )
        self.model("Message").objects.filter(id=message.id).update(run=run)
        return run


def test_attachment_ids_become_ordered_inputs_and_every_edit_still_finds_its_source(migrate, monkeypatch):
    rows = Rows(migrate(ATTACHMENT_IDS))
    photo, sketch, source, other_source = (rows.document() for _ in range(4))
    foreign = rows.document(project=rows.stranger)
    gone = rows.document()
    gone_id = str(gone.id)
    gone.delete()

    chat = rows.message(
        "what is in these?",
        attachment_ids=[str(photo.id), "not-a-uuid", str(foreign.id), gone_id, str(sketch.id), str(photo.id), 7],
    )
    rows.run(chat, "chat")
    direct = rows.message("make it blue", attachment_ids=[str(source.id), str(sketch.id)])
    direct_edit = rows.document(parent=source, run=rows.run(direct, "generate_image"), operation="edit")
    # The first id names a document deleted since: the next one is what the edit used.
    late = rows.message("and green", attachment_ids=[gone_id, str(other_source.id)])
    late_edit = rows.document(parent=other_source, run=rows.run(late, "generate_image"), operation="edit")
    saved = rows.message("just keep this", attachment_ids=[str(photo.id)])  # send_to_llm=false: no run
    poisoned = rows.message("hand-edited", attachment_ids=["nope", 7, {"id": str(photo.id)}])
    stranger = rows.message("theirs", attachment_ids=[str(foreign.id)])
    plain = rows.message("hello")

    _latest()

    def inputs(message) -> list[tuple[object, int, str]]:
        return list(MessageInput.objects.filter(message_id=message.id).values_list("document_id", "position", "role"))

    reference, source_role = MessageInput.Role.REFERENCE, MessageInput.Role.SOURCE
    assert inputs(chat) == [(photo.id, 0, reference), (sketch.id, 1, reference)]
    assert inputs(direct) == [(source.id, 0, source_role), (sketch.id, 1, reference)]
    assert inputs(late) == [(other_source.id, 0, source_role)]
    assert inputs(saved) == [(photo.id, 0, reference)]
    assert inputs(poisoned) == inputs(stranger) == inputs(plain) == []
    assert set(MessageInput.objects.values_list("project_id", flat=True)) == {rows.project.id}
    assert [d.id for d in Message.objects.get(id=chat.id).input_documents()] == [photo.id, sketch.id]

    # What the pipeline hands the image model as the image to edit, for every stored edit.
    edited: dict[str, object] = {}

    class RecordingTool:
        def __init__(self, ctx) -> None:
            self.run = ctx.run

        def turn(self):
            return turn_inputs(self.run)

        def generate(self, *, prompt: str, inputs, tool_call_id: str) -> None:
            edited[str(self.run.id)] = inputs[0].id if inputs else None

    monkeypatch.setattr(pipeline, "ImageTool", RecordingTool)
    for edit in (direct_edit, late_edit):
        run = Run.objects.select_related("user_message").get(id=edit.run_id)
        pipeline._direct_image(SimpleNamespace(run=run))
        assert edited[str(run.id)] == edit.parent_id

    # Backward, the inputs fill the list again (only what survived the trip forward).
    old = migrate(ATTACHMENT_IDS)
    lists = dict(old.get_model("designs", "Message").objects.values_list("id", "attachment_ids"))
    assert lists[chat.id] == [str(photo.id), str(sketch.id)]
    assert lists[direct.id] == [str(source.id), str(sketch.id)]
    assert lists[late.id] == [str(other_source.id)]
    assert lists[saved.id] == [str(photo.id)]
    assert lists[poisoned.id] == lists[stranger.id] == lists[plain.id] == []


def test_rows_poisoned_before_0005_are_readable_after_every_migration(migrate):
    """0005: a client's metadata once held Easel's attachment ids; only real documents of the
    message's own project moved out of it, and a client's value that was not stays as sent."""
    rows = Rows(migrate(BEFORE_ATTACHMENTS))
    ours = rows.document()
    foreign = rows.document(project=rows.stranger)
    easel_made = rows.message("a", metadata={"attachment_ids": [str(ours.id)]})
    poisoned = rows.message("b", metadata={"attachment_ids": ["nope", 7]})
    stranger = rows.message("c", metadata={"attachment_ids": [str(foreign.id)]})

    after_0005 = migrate(ATTACHMENT_IDS).get_model("designs", "Message").objects
    moved = {m.id: (m.attachment_ids, m.metadata) for m in after_0005.all()}
    assert moved[easel_made.id] == ([str(ours.id)], {})
    assert moved[poisoned.id] == ([], {"attachment_ids": ["nope", 7]})
    assert moved[stranger.id] == ([], {"attachment_ids": [str(foreign.id)]})

    _latest()
    _key, secret = api_key_create(project=Project.objects.get(id=rows.project.id))
    response = Client(headers={"X-API-Key": secret}).get(f"/api/threads/{rows.thread.id}")
    assert response.status_code == 200, response.content
    messages = response.json()["messages"]
    assert [len(m["attachments"]) for m in messages] == [1, 0, 0]
    assert messages[0]["attachments"][0]["document_id"] == str(ours.id)
    assert messages[1]["metadata_"] == {"attachment_ids": ["nope", 7]}
