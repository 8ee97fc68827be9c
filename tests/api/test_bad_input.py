"""Bad input gets a clear 4xx with {"detail": ...} and changes nothing."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from PIL import Image

from designs.models import Assistant, Thread
from tests.api.conftest import row_counts

URL = "/api/threads/messages"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


def assert_refused(response, status: int, *, mentions: str | None = None) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if mentions:
        assert mentions in body["detail"]
    return body["detail"]


@pytest.fixture
def foreign_thread(bravo) -> Thread:
    assistant = Assistant.objects.create(project=bravo.project, name="theirs")
    return Thread.objects.create(project=bravo.project, assistant=assistant)


JSON_CASES = [
    ({"content": ""}, 400, "content"),
    ({"content": "   "}, 400, "content"),
    ({"content": {"nested": True}}, 400, "content"),
    ({"content": "hi", "stream": "maybe"}, 400, "stream"),
    ({"content": "hi", "thread_id": "not-a-uuid"}, 400, "thread_id"),
    ({"content": "hi", "thread_id": str(uuid.uuid4())}, 404, "Thread not found"),
    ({"content": "hi", "assistant_id": "123"}, 400, "assistant_id"),
    ({"content": "hi", "assistant_id": str(uuid.uuid4())}, 404, "Assistant not found"),
    ({"content": "hi", "image_generation": "force"}, 400, "image_generation"),
    (
        {
            "content": "hi",
            "image_generation": "auto",
            "image_model_provider": "openrouter",
            "image_model_name": "nope/nope",
        },
        400,
        "Unknown image model: openrouter/nope/nope",
    ),
    ({"content": "hi", "image_generation": "auto", "image_model_provider": "openrouter"}, 400, "Unknown image model"),
    (
        {
            "content": "hi",
            "image_generation": "auto",
            "image_model_provider": "local",
            "image_model_name": "easel-local-painter",
            "image_config": {"n": 99},
        },
        400,
        "image_config.n",
    ),
    (
        {
            "content": "hi",
            "image_generation": "auto",
            "image_model_provider": "local",
            "image_model_name": "easel-local-painter",
            "image_config": {"wings": 2},
        },
        400,
        "image_config.wings",
    ),
    (
        {
            "content": "hi",
            "image_generation": "auto",
            "image_model_provider": "local",
            "image_model_name": "easel-local-painter",
            "image_config": [1, 2],
        },
        400,
        "image_config",
    ),
    ({"content": "hi", "llm_provider": "no-such-llm"}, 400, "Unknown llm_provider"),
    ({"content": "hi", "llm_provider": "openai", "model_name": "gpt-4.1"}, 400, "OpenAI has no API key"),
    ({"content": "hi", "operation": "generate_video"}, 400, "generate_video"),
    ({"content": "hi", "image_config": {"n": 1}}, 400, "image_config"),
]


@pytest.mark.parametrize(("body", "status", "mentions"), JSON_CASES)
def test_it_refuses_bad_json_fields_and_writes_nothing(alpha, body, status, mentions):
    before = row_counts()

    response = alpha.client.post(URL, data=json.dumps(body), content_type="application/json")

    assert_refused(response, status, mentions=mentions)
    assert row_counts() == before


def test_it_refuses_malformed_json(alpha):
    before = row_counts()
    assert_refused(alpha.client.post(URL, data="{not json", content_type="application/json"), 400, mentions="JSON")
    assert_refused(alpha.client.post(URL, data="[1, 2]", content_type="application/json"), 400, mentions="object")
    assert row_counts() == before


def test_it_refuses_malformed_form_fields(alpha):
    before = row_counts()
    response = alpha.client.post(URL, data={"content": "hi", "image_config": "{broken"})
    assert_refused(response, 400, mentions="image_config")
    response = alpha.client.post(URL, data={"content": "hi", "stream": "perhaps"})
    assert_refused(response, 400, mentions="stream")
    assert row_counts() == before


def test_it_refuses_another_projects_thread_as_not_found(alpha, foreign_thread):
    before = row_counts()
    response = alpha.client.post(
        URL, data=json.dumps({"content": "hi", "thread_id": str(foreign_thread.id)}), content_type="application/json"
    )
    assert_refused(response, 404, mentions="Thread not found")
    response = alpha.client.post(
        URL,
        data=json.dumps({"content": "hi", "assistant_id": str(foreign_thread.assistant_id)}),
        content_type="application/json",
    )
    assert_refused(response, 404, mentions="Assistant not found")
    assert row_counts() == before


def test_it_refuses_an_upload_on_a_chat_turn(alpha):
    before = row_counts()
    upload = io.BytesIO(png_bytes())
    upload.name = "x.png"
    response = alpha.client.post(URL, data={"content": "make it blue", "input_image": upload})
    assert_refused(response, 400, mentions="operation=generate_image")
    assert row_counts() == before


def test_it_refuses_a_file_that_is_not_an_image(alpha):
    before = row_counts()
    upload = io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    upload.name = "picture.png"
    response = alpha.client.post(
        URL,
        data={
            "content": "edit",
            "operation": "generate_image",
            "input_image": upload,
            "image_model_provider": "local",
            "image_model_name": "easel-local-painter",
        },
    )
    assert_refused(response, 400, mentions="input_image")
    assert row_counts() == before


def test_it_refuses_a_body_over_the_limit_with_413(alpha, settings):
    settings.EASEL_MAX_REQUEST_BYTES = 1000
    before = row_counts()
    response = alpha.client.post(URL, data=json.dumps({"content": "x" * 2000}), content_type="application/json")
    assert_refused(response, 413, mentions="limit")
    assert row_counts() == before


def test_it_refuses_an_unsupported_content_type(alpha):
    assert_refused(alpha.client.post(URL, data="content=hi", content_type="text/plain"), 415)


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "esk_wrong"}, {"X-API-Key": ""}])
def test_it_answers_401_without_a_valid_key(db, client, headers, alpha):
    before = row_counts()
    response = client.post(URL, data=json.dumps({"content": "hi"}), content_type="application/json", headers=headers)
    assert_refused(response, 401)
    assert_refused(client.get("/api/threads", headers=headers), 401)
    assert row_counts() == before


def test_a_revoked_key_is_refused(alpha):
    alpha.project.api_keys.update(revoked_at="2026-01-01T00:00:00Z")
    assert_refused(alpha.client.get("/api/threads"), 401, mentions="Invalid API key")


@pytest.mark.parametrize(
    "path",
    [
        "/api/threads/not-a-uuid",
        f"/api/threads/{uuid.uuid4()}",
        f"/api/documents/{uuid.uuid4()}/status",
        "/api/documents/123/status",
        f"/api/assistants/{uuid.uuid4()}",
        "/api/models/image/no/such-model",
        "/api/nothing-here",
    ],
)
def test_unknown_ids_and_paths_are_json_404s(alpha, path):
    assert_refused(alpha.client.get(path), 404)


def test_paging_parameters_are_validated(alpha):
    assert_refused(alpha.client.get("/api/threads?limit=0"), 400, mentions="limit")
    assert_refused(alpha.client.get("/api/assistants?skip=-1"), 400, mentions="skip")
    assert_refused(alpha.client.get("/api/models/image/all?supports_vision=perhaps"), 400, mentions="supports_vision")


def test_assistant_creation_requires_a_name(alpha):
    before = row_counts()
    assert_refused(
        alpha.client.post("/api/assistants", data=json.dumps({}), content_type="application/json"), 400, mentions="name"
    )
    assert row_counts() == before


def test_media_urls_refuse_bad_signatures(alpha):
    document_id = uuid.uuid4()
    assert_refused(alpha.client.get(f"/api/media/{document_id}.png"), 403)
    assert_refused(
        alpha.client.get(f"/api/media/{document_id}.png?expires=9999999999&sig=abc"), 403, mentions="signature"
    )


def test_a_reviewer_signed_in_can_read_but_not_start_runs(alpha):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from designs.models import Membership

    user = get_user_model().objects.create_user("rita", "rita@example.com", "pw-123456789")
    Membership.objects.create(user=user, project=alpha.project, role=Membership.Role.REVIEWER)
    browser = Client(enforce_csrf_checks=False, headers={"X-Easel-Project": str(alpha.project.id)})
    browser.force_login(user)
    before = row_counts()

    assert browser.get("/api/threads").status_code == 200
    response = browser.post(
        URL, data=json.dumps({"content": "draw a cat", "llm_provider": "local"}), content_type="application/json"
    )

    assert_refused(response, 403, mentions="Reviewers cannot generate images")
    assert row_counts() == before
