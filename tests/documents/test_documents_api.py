"""The documents API (Backboard §5.3 plus GET /documents), and other projects' documents,
which are not found whichever way they are asked for."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from backboard.models import Document as SdkDocument
from django.utils import timezone

from designs.models import Assistant, Document, Message, Thread
from designs.services.documents import document_create
from designs.services.images import inspect_image
from tests.api.conftest import row_counts
from tests.documents import images
from tests.documents.live import LOCAL_IMAGE, api, fetch, new_thread, upload


def make_thread(tenant) -> Thread:
    assistant = Assistant.objects.create(project=tenant.project, name="studio")
    return Thread.objects.create(project=tenant.project, assistant=assistant)


def make(thread: Thread, shade: int, **fields) -> Document:
    data = images.png((12, 12), (shade, 0, 0))
    fields.setdefault("operation", "generate")
    return document_create(project=thread.project, data=data, facts=inspect_image(data), thread=thread, **fields)


def ids(response) -> list[str]:
    return [d["document_id"] for d in response.json()["documents"]]


def test_listing_a_projects_documents_is_newest_first_with_a_total(alpha, bravo, media_dir):
    thread = make_thread(alpha)
    documents = [make(thread, shade) for shade in range(5)]
    make(make_thread(bravo), 99)

    response = alpha.client.get("/api/documents?skip=1&limit=2")

    assert response.status_code == 200
    assert response.json()["total"] == 5
    assert ids(response) == [str(documents[3].id), str(documents[2].id)]
    SdkDocument.model_validate(response.json()["documents"][0])


def test_documents_can_be_filtered_by_thread_operation_model_and_date(alpha, media_dir):
    one, two = make_thread(alpha), make_thread(alpha)
    upload_doc = make(one, 1, operation="upload")
    painted = make(
        one, 2, operation="edit", parent=upload_doc, model_provider="local", model_name="easel-local-painter"
    )
    other_model = make(two, 3, model_provider="openrouter", model_name="google/gemini-3.1-flash-image-preview")
    old = make(two, 4)
    Document.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(days=30))
    week_ago = (timezone.now() - timedelta(days=7)).isoformat()

    def listed(query: str) -> set[str]:
        return set(ids(alpha.client.get(f"/api/documents?{query}")))

    assert listed(f"thread_id={one.id}") == {str(upload_doc.id), str(painted.id)}
    assert listed("operation=upload") == {str(upload_doc.id)}
    assert listed("model_provider=local&model_name=easel-local-painter") == {str(painted.id)}
    assert listed("model_name=google/gemini-3.1-flash-image-preview") == {str(other_model.id)}
    assert listed(f"created_before={week_ago.replace('+', '%2B')}") == {str(old.id)}
    assert listed(f"created_after={week_ago.replace('+', '%2B')}&thread_id={two.id}") == {str(other_model.id)}


@pytest.mark.parametrize(
    ("query", "status", "mentions"),
    [
        ("operation=paint", 400, "operation"),
        ("created_after=last-tuesday", 400, "created_after"),
        ("thread_id=not-a-uuid", 400, "thread_id"),
        ("limit=0", 400, "limit"),
        ("skip=-1", 400, "skip"),
    ],
)
def test_bad_list_filters_are_400s(alpha, query, status, mentions):
    response = alpha.client.get(f"/api/documents?{query}")

    assert response.status_code == status and mentions in response.json()["detail"]


def test_the_document_shape_satisfies_the_sdk_and_carries_easels_facts(alpha, media_dir):
    thread = make_thread(alpha)
    parent = make(thread, 10, operation="upload")
    child = make(
        thread,
        11,
        operation="edit",
        parent=parent,
        prompt="bluer",
        revised_prompt="a bluer square",
        model_provider="local",
        model_name="easel-local-painter",
        seed=42,
    )

    body = alpha.client.get(f"/api/documents/{child.id}/status").json()

    sdk = SdkDocument.model_validate(body)
    assert str(sdk.document_id) == str(child.id) and sdk.status == "indexed" and sdk.document_type == "image"
    meta = body["metadata_"]
    assert meta["operation"] == "edit" and meta["input_image_document_ids"] == [str(parent.id)]
    assert (meta["prompt"], meta["revised_prompt"], meta["seed"]) == ("bluer", "a bluer square", 42)
    assert meta["thumbnail_url"].startswith(f"http://testserver/api/media/{child.id}.thumb.webp?expires=")
    assert (meta["thumbnail_width"], meta["thumbnail_height"]) == (12, 12)
    assert meta["url_expires_at"].endswith("Z")


def test_an_assistant_document_upload_belongs_to_the_assistant(alpha, media_dir):
    assistant = Assistant.objects.create(project=alpha.project, name="brand kit")
    handle = io.BytesIO(images.png())
    handle.name = "logo.png"

    response = alpha.client.post(f"/api/assistants/{assistant.id}/documents", {"file": handle})

    meta = response.json()["metadata_"]
    assert meta["assistant_id"] == str(assistant.id) and meta["thread_id"] is None
    listed = alpha.client.get(f"/api/assistants/{assistant.id}/documents").json()
    assert [d["document_id"] for d in listed] == [response.json()["document_id"]]


def test_another_projects_document_is_not_found_for_any_verb(alpha, bravo, media_dir):
    theirs = make(make_thread(alpha), 50)
    files_before = media_dir.files()

    for response in (
        bravo.client.get(f"/api/documents/{theirs.id}"),
        bravo.client.get(f"/api/documents/{theirs.id}/status"),
        bravo.client.get(f"/api/documents/{theirs.id}/lineage"),
        bravo.client.delete(f"/api/documents/{theirs.id}"),
    ):
        assert response.status_code == 404 and response.json() == {"detail": "Document not found"}
    assert Document.objects.filter(id=theirs.id).exists() and media_dir.files() == files_before
    assert bravo.client.get("/api/documents").json() == {"documents": [], "total": 0}


def test_another_projects_thread_takes_no_upload_and_cannot_be_listed(alpha, bravo, media_dir):
    theirs = make_thread(alpha)
    handle = io.BytesIO(images.png())
    handle.name = "x.png"
    before = row_counts()

    assert bravo.client.post(f"/api/threads/{theirs.id}/documents", {"file": handle}).status_code == 404
    assert bravo.client.get(f"/api/documents?thread_id={theirs.id}").status_code == 404
    assert row_counts() == before and media_dir.files() == []


def direct_edit(tenant, **fields):
    body = {"content": "make it blue", "operation": "generate_image", **LOCAL_IMAGE, **fields}
    return tenant.client.post("/api/threads/messages", data=json.dumps(body), content_type="application/json")


def test_an_edit_of_another_projects_document_is_refused_and_stores_nothing(alpha, bravo, media_dir):
    theirs = make(make_thread(alpha), 60)
    before, files_before = row_counts(), media_dir.files()

    response = direct_edit(bravo, input_image_document_id=str(theirs.id))

    assert response.status_code == 404 and response.json() == {"detail": "Document not found"}
    assert row_counts() == before and media_dir.files() == files_before


def test_an_edit_by_document_id_must_be_a_direct_edit(alpha, media_dir):
    ours = make(make_thread(alpha), 70)
    before = row_counts()

    response = direct_edit(alpha, input_image_document_id=str(ours.id), operation="chat", llm_provider="local")

    assert response.status_code == 400 and "only allowed with operation=generate_image" in response.json()["detail"]
    assert row_counts() == before


def test_an_image_of_another_thread_of_the_project_may_be_edited_in_this_one(alpha, media_dir):
    ours = make(make_thread(alpha), 70)
    here = make_thread(alpha)

    response = direct_edit(alpha, input_image_document_id=str(ours.id), thread_id=str(here.id), stream=True)

    assert response.status_code == 200, response.content
    message = Message.objects.filter(thread=here, role="user").get()
    assert message.input_documents() == [ours], "the other thread's image is this turn's source, not a copy"


def test_an_edit_by_id_and_an_upload_at_once_is_refused(alpha, media_dir):
    ours = make(make_thread(alpha), 80)
    handle = io.BytesIO(images.png())
    handle.name = "x.png"
    before = row_counts()

    response = alpha.client.post(
        "/api/threads/messages",
        {
            "content": "blend",
            "operation": "generate_image",
            "input_image_document_id": str(ours.id),
            "input_image": handle,
            **LOCAL_IMAGE,
        },
    )

    assert response.status_code == 400 and "not both" in response.json()["detail"]
    assert row_counts() == before


def test_the_agent_cannot_edit_another_projects_image_by_naming_its_id(embedded_easel):
    ours = api(embedded_easel)
    original = upload(ours, new_thread(ours), images.png((32, 32), (200, 0, 0)))
    stranger = api(embedded_easel, embedded_easel.other_api_key)

    reply = stranger.post(
        "/threads/messages",
        json={
            "content": f"Please make image {original['document_id']} blue",
            "llm_provider": "local",
            "image_generation": "auto",
            **LOCAL_IMAGE,
        },
    ).json()

    assert reply["status"] == "COMPLETED" and reply["generated_media"] == []
    tool_results = [
        m["content"] for m in stranger.get(f"/threads/{reply['thread_id']}").json()["messages"] if m["role"] == "tool"
    ]
    assert tool_results and "No image with document_id" in tool_results[0]
    assert ours.get(f"/documents/{original['document_id']}/lineage").json()["descendants"] == []
    assert fetch(original["metadata_"]["url"]).status_code == 200
