"""The catalog's `configured` flag, cloning an assistant and the refusals, in process: another
project's assistant is not found and a stranger's clone changes nothing; a document's file lives
while any copy names it."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from designs.models import Document
from designs.services.credentials import credential_set
from tests.api.conftest import row_counts
from tests.support.storage import use_local_media


def png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 200, 30)).save(out, "PNG")
    out.seek(0)
    out.name = "green.png"
    return out


@pytest.fixture
def media(settings, tmp_path):
    return use_local_media(settings, tmp_path / "media")


@pytest.fixture
def no_server_anthropic_key(settings):
    providers = dict(settings.EASEL_PROVIDERS)
    providers["anthropic"] = {**providers["anthropic"], "api_key": ""}
    settings.EASEL_PROVIDERS = providers


def make_assistant(tenant, name="Painter") -> str:
    response = tenant.client.post("/api/assistants", {"name": name, "system_prompt": "Paint."}, "application/json")
    assert response.status_code == 200
    return response.json()["assistant_id"]


def upload(tenant, assistant_id: str) -> dict:
    response = tenant.client.post(f"/api/assistants/{assistant_id}/documents", {"file": png()})
    assert response.status_code == 200, response.content
    return response.json()


def clone(tenant, assistant_id: str, **body):
    return tenant.client.post(
        f"/api/assistants/{assistant_id}/clone",
        {"copy_documents": True, "copy_memories": True, **body},
        "application/json",
    )


def test_configured_is_true_only_for_the_project_that_stored_a_key(alpha, bravo, no_server_anthropic_key):
    credential_set(project=alpha.project, provider="anthropic", api_key="sk-ant-alpha-key-1234")

    ours = alpha.client.get("/api/models/claude-sonnet-4-5").json()
    theirs = bravo.client.get("/api/models/claude-sonnet-4-5").json()
    listed = {m["name"]: m["configured"] for m in alpha.client.get("/api/models/provider/anthropic").json()["models"]}

    assert (ours["configured"], theirs["configured"]) == (True, False)
    assert listed == {"claude-sonnet-4-5": True, "claude-haiku-4-5": True}
    assert alpha.client.get("/api/models/local/easel-local-painter").json()["configured"] is True


def test_the_older_catalog_routes_still_answer(alpha):
    assert alpha.client.get("/api/models/llm").json()["models"][0]["model_type"] == "llm"
    assert alpha.client.get("/api/models/image/all").json()["total"] >= 1
    assert alpha.client.get("/api/models/image/providers").json()["providers"]
    assert alpha.client.get("/api/models/image/openai/gpt-image-1").json()["name"] == "gpt-image-1"


def test_a_bad_filter_is_a_400_and_an_unknown_model_a_404(alpha):
    assert alpha.client.get("/api/models?supports_tools=maybe").status_code == 400
    assert alpha.client.get("/api/models?limit=0").status_code == 400
    absurd = alpha.client.get("/api/models?min_context=" + "9" * 400)
    assert absurd.status_code == 400 and "min_context" in absurd.json()["detail"]
    missing = alpha.client.get("/api/models/openai/gpt-9")
    assert missing.status_code == 404 and missing.json() == {"detail": "Model 'openai/gpt-9' not found"}


def test_clone_shares_the_file_and_deleting_either_copy_keeps_the_others(
    alpha, media, django_capture_on_commit_callbacks
):
    source_id = make_assistant(alpha)
    original = upload(alpha, source_id)

    body = clone(alpha, source_id, name="Twin").json()

    assert (body["documents_cloned"], body["memories_cloned"]) == (1, 0)
    source_row = Document.objects.get(id=original["document_id"])
    copy_row = Document.objects.get(assistant_id=body["assistant"]["assistant_id"])
    assert copy_row.file.name == source_row.file.name and copy_row.thumbnail.name == source_row.thumbnail.name
    assert copy_row.metadata["cloned_from"] == str(source_row.id)
    with django_capture_on_commit_callbacks(execute=True):
        assert alpha.client.delete(f"/api/documents/{source_row.id}").status_code == 200
    assert default_storage.exists(copy_row.file.name), "the clone still names the file"
    assert alpha.client.get(f"/api/documents/{copy_row.id}/status").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert alpha.client.delete(f"/api/documents/{copy_row.id}").status_code == 200
    assert not default_storage.exists(copy_row.file.name), "the last copy took the file with it"


def test_clone_copies_only_assistant_level_documents(alpha, media):
    source_id = make_assistant(alpha)
    upload(alpha, source_id)
    thread_id = alpha.client.post(f"/api/assistants/{source_id}/threads", {}, "application/json").json()["thread_id"]
    response = alpha.client.post(f"/api/threads/{thread_id}/documents", {"file": png()})
    assert response.status_code == 200

    assert clone(alpha, source_id).json()["documents_cloned"] == 1


def test_a_stranger_cloning_our_assistant_gets_404_and_changes_nothing(alpha, bravo, media):
    source_id = make_assistant(alpha)
    upload(alpha, source_id)
    before = row_counts()

    response = clone(bravo, source_id)

    assert response.status_code == 404 and response.json() == {"detail": "Assistant not found"}
    assert row_counts() == before


def test_cloning_an_unknown_assistant_or_with_a_bad_body_is_refused(alpha):
    source_id = make_assistant(alpha)

    assert clone(alpha, "00000000-0000-0000-0000-000000000000").status_code == 404
    assert clone(alpha, source_id, copy_documents="sometimes").status_code == 400
    assert clone(alpha, source_id, name="x" * 201).status_code == 400


def test_a_long_name_still_fits_its_copy(alpha):
    source_id = make_assistant(alpha, name="n" * 200)

    copied = clone(alpha, source_id).json()["assistant"]["name"]

    assert len(copied) == 200 and copied.endswith(" Copy")


@pytest.mark.parametrize(
    ("method", "path", "says"),
    [
        ("get", "/api/assistants/{aid}/memories", "Memory"),
        ("post", "/api/assistants/{aid}/memories", "Memory"),
        ("delete", "/api/assistants/{aid}/memories", "Memory"),
        ("put", "/api/assistants/{aid}/memories/m1", "Memory"),
        ("get", "/api/assistants/not-a-uuid/memories/stats", "Memory"),
        ("post", "/api/assistants/{aid}/memories/search", "Memory"),
        ("get", "/api/assistants/memories/operations/op-1", "Memory"),
        ("get", "/api/models/embedding/all", "Embeddings"),
        ("get", "/api/models/embedding/openai/text-embedding-3-small", "Embeddings"),
        ("get", "/api/models/video/all", "Video"),
    ],
)
def test_unsupported_features_are_a_400_naming_the_feature(alpha, bravo, method, path, says):
    aid = make_assistant(bravo)  # whoever's assistant it is, the answer is the same refusal
    before = row_counts()

    response = getattr(alpha.client, method)(path.format(aid=aid), {}, "application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{says} ") and "not supported by Easel" in response.json()["detail"]
    assert row_counts() == before


def test_unsupported_routes_still_ask_for_a_key(db):
    response = Client().get("/api/assistants/x/memories")

    assert response.status_code == 401
