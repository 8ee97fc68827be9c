"""Hostile input that is not a body: an Idempotency-Key no database column takes, and a
websocket frame nested deeper than Python's recursion limit."""

from __future__ import annotations

import json

import pytest
from asgiref.testing import ApplicationCommunicator

from designs.models import Message, Thread
from designs.services.projects import api_key_create
from tests.api.conftest import row_counts
from tests.support.ws import ws_scope

URL = "/api/threads/messages"


@pytest.mark.parametrize("key", ["a\x00b", "tab\tin", "x" * 256, " "])
def test_an_idempotency_key_no_column_can_hold_is_a_400_that_stores_nothing(alpha, key):
    before = row_counts()
    response = alpha.client.post(
        URL, {"content": "hi", "send_to_llm": False}, content_type="application/json", headers={"Idempotency-Key": key}
    )
    assert response.status_code == 400, response.content
    assert "Idempotency-Key" in response.json()["detail"]
    assert row_counts() == before


@pytest.mark.django_db(transaction=True)
async def test_a_websocket_frame_nested_past_the_recursion_limit_is_ignored_and_the_feed_lives_on():
    from designs.models import Project
    from project.asgi import application

    project = await Project.objects.acreate(name="frames")
    _key, secret = await api_key_create_async(project)
    headers = [(b"host", b"127.0.0.1:8000"), (b"x-api-key", secret.encode())]
    feed = ApplicationCommunicator(application, ws_scope(f"/ws/projects/{project.id}", headers))
    await feed.send_input({"type": "websocket.connect"})
    assert (await feed.receive_output(5))["type"] == "websocket.accept"
    await feed.send_input({"type": "websocket.receive", "text": "[" * 100_000 + "]" * 100_000})
    await feed.send_input({"type": "websocket.receive", "text": json.dumps({"type": "ping"})})
    assert json.loads((await feed.receive_output(5))["text"]) == {"type": "pong"}
    await feed.send_input({"type": "websocket.disconnect", "code": 1000})
    await feed.wait(5)
    assert not await Thread.objects.filter(project=project).aexists()
    assert not await Message.objects.filter(project=project).aexists()


async def api_key_create_async(project):
    from asgiref.sync import sync_to_async

    return await sync_to_async(api_key_create)(project=project)
