"""A client's `metadata` is the client's: stored as sent, shown back, never read as Easel's fields.

Before, Easel kept a message's attachments in the same dict, so `{"attachment_ids": ["not-a-uuid"]}`
broke every read of the thread for good, and another thread's document id became an attachment
the direct-mode same-thread rule would have refused.
"""

from __future__ import annotations

import importlib
import io

import pytest
from django.apps import apps
from django.test import Client
from PIL import Image

from designs.models import Document, Membership, Message
from designs.services.documents import document_create
from designs.services.images import inspect_image
from designs.services.threads import assistant_default, thread_create

URL = "/api/threads/messages"


def _document(project, thread) -> Document:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(out, "PNG")
    data = out.getvalue()
    return document_create(
        project=project, data=data, facts=inspect_image(data), thread=thread, operation=Document.Operation.UPLOAD
    )


@pytest.fixture
def member_client(alpha, django_user_model) -> Client:
    user = django_user_model.objects.create_user(username="m@example.com", email="m@example.com", password="x")
    Membership.objects.create(project=alpha.project, user=user, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(user)
    return client


def _post(tenant, **body):
    return tenant.client.post(URL, {"send_to_llm": False, "content": "hello", **body}, content_type="application/json")


def test_a_metadata_attachment_ids_that_is_no_uuid_is_stored_as_sent_and_the_thread_stays_readable(
    alpha, member_client
):
    response = _post(alpha, metadata={"attachment_ids": ["not-a-uuid"], "nash_msg_token": "t1"})
    assert response.status_code == 200, response.content
    thread_id = response.json()["thread_id"]

    message = Message.objects.get(thread_id=thread_id)
    assert message.metadata == {"attachment_ids": ["not-a-uuid"], "nash_msg_token": "t1"}
    assert message.attachment_ids == []

    thread = alpha.client.get(f"/api/threads/{thread_id}")
    assert thread.status_code == 200, thread.content
    [shown] = thread.json()["messages"]
    assert shown["metadata_"]["attachment_ids"] == ["not-a-uuid"]
    assert shown["attachments"] == []
    assert alpha.client.get("/api/threads").status_code == 200
    page = member_client.get(f"/projects/{alpha.project.id}/threads/{thread_id}")
    assert page.status_code == 200


def test_a_document_of_another_thread_named_in_metadata_does_not_become_an_attachment(alpha):
    elsewhere = thread_create(project=alpha.project, assistant=assistant_default(project=alpha.project))
    theirs = _document(alpha.project, elsewhere)

    response = _post(alpha, metadata={"attachment_ids": [str(theirs.id)]})
    assert response.status_code == 200, response.content

    message = Message.objects.get(thread_id=response.json()["thread_id"])
    assert message.attached_ids() == []
    assert alpha.client.get(f"/api/threads/{message.thread_id}").json()["messages"][0]["attachments"] == []


def test_an_uploaded_image_is_an_attachment_whatever_the_metadata_says(alpha):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    out.name = "red.png"
    out.seek(0)
    response = alpha.client.post(
        URL, {"content": "look", "send_to_llm": "false", "files": out, "metadata": '{"attachment_ids": []}'}
    )
    assert response.status_code == 200, response.content
    message = Message.objects.get(thread_id=response.json()["thread_id"])
    [upload] = Document.objects.filter(message=message)
    assert message.attached_ids() == [str(upload.id)]
    assert message.metadata == {"attachment_ids": []}


def test_rows_poisoned_before_the_fix_are_readable_after_the_migration(alpha, bravo):
    thread = thread_create(project=alpha.project, assistant=assistant_default(project=alpha.project))
    ours = _document(alpha.project, thread)
    bravo_thread = thread_create(project=bravo.project, assistant=assistant_default(project=bravo.project))
    foreign = _document(bravo.project, bravo_thread)
    easel_made = Message.objects.create(
        project=alpha.project, thread=thread, role="user", content="a", metadata={"attachment_ids": [str(ours.id)]}
    )
    poisoned = Message.objects.create(
        project=alpha.project, thread=thread, role="user", content="b", metadata={"attachment_ids": ["nope", 7]}
    )
    stranger = Message.objects.create(
        project=alpha.project, thread=thread, role="user", content="c", metadata={"attachment_ids": [str(foreign.id)]}
    )

    migration = importlib.import_module("designs.migrations.0005_invitations_run_key_attachments")
    migration.move_attachment_ids(apps, None)

    easel_made.refresh_from_db()
    poisoned.refresh_from_db()
    stranger.refresh_from_db()
    assert (easel_made.attachment_ids, easel_made.metadata) == ([str(ours.id)], {})
    assert (poisoned.attachment_ids, poisoned.metadata) == ([], {"attachment_ids": ["nope", 7]})
    assert stranger.attachment_ids == []
    response = alpha.client.get(f"/api/threads/{thread.id}")
    assert response.status_code == 200
    assert [len(m["attachments"]) for m in response.json()["messages"]] == [1, 0, 0]
