"""A client's `metadata` is the client's: stored as sent, shown back, never read as Easel's fields.

Before, Easel kept a message's attachments in the same dict, so `{"attachment_ids": ["not-a-uuid"]}`
broke every read of the thread for good, and another thread's document id became an attachment
the direct-mode same-thread rule would have refused. (The migrations that moved such rows out of
`metadata`, 0005, and into MessageInput, 0006, are tested in tests/migrations.)
"""

from __future__ import annotations

import io

import pytest
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
    assert message.input_documents() == []

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
    assert message.input_documents() == []
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
    assert message.input_documents() == [upload]
    assert message.metadata == {"attachment_ids": []}
