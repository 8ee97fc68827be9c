"""The Idempotency-Key fingerprint covers every part of a turn: each field of
MessageInputSerializer (read from the serializer, so a new field is covered the day it is
added) and each part of an upload. Changing any one of them under the same key is a 422 that
changes nothing; the identical request replays the first turn."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import serializers

from designs.models import Message
from designs.serializers import DocumentIdsField, JSONValueField, MessageInputSerializer
from tests.security.conftest import caller, changes, png, snapshot

URL = "/api/threads/messages"
BASE = {"content": "Draw a green fish", "send_to_llm": False}
# Fields read only to be refused (Easel has no video and no voice): every value that asks for
# them is a 400, so no accepted turn differs by them. test_refused_fields_are_refused proves it.
REFUSED_ONLY = {"video_generation": "generate a video", "voice": {"voice": "alloy"}}
FIELDS = [name for name in MessageInputSerializer().fields if name not in REFUSED_ONLY]


def _candidates(field: serializers.Field) -> list[Any]:
    if isinstance(field, serializers.BooleanField):
        return [True, False]
    if isinstance(field, serializers.ChoiceField):
        return list(field.choices)
    if isinstance(field, serializers.UUIDField):
        return [str(uuid.uuid4())]
    if isinstance(field, serializers.IntegerField):
        return [(field.min_value or 0) + 1]
    if isinstance(field, DocumentIdsField):
        return [[str(uuid.uuid4())]]
    if isinstance(field, JSONValueField):
        return [[{"type": "x"}]] if field.kind is list else [{"another": "value"}]
    if isinstance(field, serializers.CharField):
        return ["another value"]
    return ["another value", 1, True, {"another": "value"}, [1]]


def _validated(body: dict[str, Any]) -> dict[str, Any] | None:
    serializer = MessageInputSerializer(data=body)
    return dict(serializer.validated_data) if serializer.is_valid() else None


def changed_value(name: str) -> Any:
    """A value of `name` that validates and reads differently from BASE's."""
    base = _validated(BASE)
    for value in _candidates(MessageInputSerializer().fields[name]):
        validated = _validated({**BASE, name: value})
        if validated is not None and validated.get(name) != base.get(name):
            return value
    raise AssertionError(f"no changed value found for {name}: teach _candidates its field type")


def _post(client, body, key, **kw):
    return client.post(URL, body, headers={"Idempotency-Key": key}, **kw)


def test_the_serializer_still_has_the_fields_this_test_knows_how_to_change():
    assert {"content", "thread_id", "metadata", "input_image_document_id", "image_config"} <= set(FIELDS)
    assert {"input_image_document_ids", "mask_document_id", "regions"} <= set(FIELDS)
    assert all(changed_value(name) is not None for name in FIELDS)


@pytest.mark.parametrize("name", list(REFUSED_ONLY))
def test_refused_fields_are_refused_and_change_nothing(name, ours):
    before = snapshot()

    refused = caller("key", ours).post(URL, {**BASE, name: REFUSED_ONLY[name]}, content_type="application/json")

    assert refused.status_code == 400 and "not supported by Easel" in refused.json()["detail"]
    assert changes(before, snapshot()) == {}


@pytest.mark.parametrize("name", FIELDS)
def test_changing_only_one_field_under_the_same_key_is_a_422_and_changes_nothing(name, ours):
    client, key = caller("key", ours), str(uuid.uuid4())
    first = _post(client, BASE, key, content_type="application/json")
    assert first.status_code == 200, first.content
    before = snapshot()

    other = _post(client, {**BASE, name: changed_value(name)}, key, content_type="application/json")

    assert other.status_code == 422, f"{name} changed, same key: {other.status_code} {other.content[:200]}"
    assert "different request" in other.json()["detail"]
    assert changes(before, snapshot()) == {}
    again = _post(client, BASE, key, content_type="application/json")
    assert again.status_code == 200
    assert again.json()["message_id"] == first.json()["message_id"]
    assert changes(before, snapshot()) == {}


def test_the_same_request_spelled_as_a_form_replays_the_json_one(ours):
    client, key = caller("key", ours), str(uuid.uuid4())
    first = _post(client, BASE, key, content_type="application/json")
    before = snapshot()
    again = _post(client, {"content": BASE["content"], "send_to_llm": "false"}, key)
    assert again.status_code == 200
    assert again.json()["message_id"] == first.json()["message_id"]
    assert changes(before, snapshot()) == {}


def _file(colour=(20, 160, 20), name: str = "fish.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png(colour), content_type="image/png")


def _form(**uploads) -> dict[str, Any]:
    return {"content": BASE["content"], "send_to_llm": "false", **uploads}


UPLOAD_CHANGES = {
    "its bytes": lambda: _form(files=[_file(colour=(160, 20, 20))]),
    "its field name": lambda: _form(input_image=[_file()]),
    "their count": lambda: _form(files=[_file(), _file()]),
    "none at all": lambda: _form(),
    "its file name (stored with the document)": lambda: _form(files=[_file(name="shark.png")]),
}


@pytest.mark.parametrize("change", list(UPLOAD_CHANGES))
def test_changing_only_an_upload_under_the_same_key_is_a_422_and_changes_nothing(change, ours):
    client, key = caller("key", ours), str(uuid.uuid4())
    first = _post(client, _form(files=[_file()]), key)
    assert first.status_code == 200, first.content
    before = snapshot()

    other = _post(client, UPLOAD_CHANGES[change](), key)

    assert other.status_code == 422, f"upload changed ({change}), same key: {other.status_code} {other.content[:200]}"
    assert changes(before, snapshot()) == {}
    again = _post(client, _form(files=[_file()]), key)
    assert again.status_code == 200
    assert again.json()["message_id"] == first.json()["message_id"]
    assert Message.objects.get(id=first.json()["message_id"]).documents.count() == 1
    assert changes(before, snapshot()) == {}, "the replay stored the upload again"
