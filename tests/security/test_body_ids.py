"""Ids a request carries in its body or its metadata, beyond the table's cases: a client's
metadata never makes another project's (or another thread's) document an attachment, and a
provider key stored by one project leaves the other's alone."""

from __future__ import annotations

import pytest

from designs.models import Message, ProviderCredential
from tests.security.conftest import API_MODES, caller, changes, snapshot

URL = "/api/threads/messages"


@pytest.mark.parametrize("mode", API_MODES)
@pytest.mark.parametrize("whose", ["their document", "their other thread's document", "our other thread's document"])
def test_metadata_naming_a_document_does_not_attach_it(mode, whose, ours, theirs):
    document = {
        "their document": theirs.document,
        "their other thread's document": theirs.document2,
        "our other thread's document": ours.document2,
    }[whose]
    body = {
        "content": "hello",
        "send_to_llm": False,
        "thread_id": ours.thread,
        "metadata": {"attachment_ids": [document]},
    }

    response = caller(mode, ours).post(URL, body, content_type="application/json")

    assert response.status_code == 200, response.content
    message = Message.objects.get(id=response.json()["message_id"])
    assert message.input_documents() == []
    assert response.json()["attachments"] == []
    thread = caller(mode, ours).get(f"/api/threads/{ours.thread}").json()
    assert all(m["attachments"] == [] for m in thread["messages"] if m["message_id"] == str(message.id))


@pytest.mark.parametrize("mode", ["key", "session+header"])
def test_storing_a_provider_key_leaves_the_other_projects_key_alone(mode, ours, theirs):
    stored = ProviderCredential.objects.get(project_id=theirs.project, provider=theirs.provider)
    response = caller(mode, ours).put(
        f"/api/providers/{theirs.provider}/credentials",
        {"api_key": "sk-ours-for-that-provider-1"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["last4"] == "er-1"
    assert ProviderCredential.objects.get(pk=stored.pk).encrypted_key == stored.encrypted_key
    assert ProviderCredential.objects.filter(project_id=ours.project, provider=theirs.provider).count() == 1


@pytest.mark.parametrize("mode", API_MODES)
def test_a_thread_of_ours_cannot_adopt_their_document_as_its_edit_source(mode, ours, theirs):
    """Direct mode names the document to edit; with our thread and their document it is a
    404, as an unknown id, never an edit of their image in our thread."""
    client = caller(mode, ours)
    before = snapshot()
    response = client.post(
        URL,
        {
            "content": "bluer",
            "operation": "generate_image",
            "thread_id": ours.thread,
            "input_image_document_id": theirs.document,
        },
        content_type="application/json",
    )
    assert response.status_code == 404
    assert changes(before, snapshot()) == {}
