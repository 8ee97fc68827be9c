"""Lineage: every document knows what it was made from; edits make new documents, never changes."""

from __future__ import annotations

import pytest

from designs.models import Assistant, Document, Thread
from designs.services.documents import document_create, document_delete
from designs.services.images import inspect_image
from tests.documents import images
from tests.documents.live import api, direct, fetch, new_thread, sha256, upload


def test_three_successive_edits_form_one_line_of_descent(embedded_easel):
    client = api(embedded_easel)
    thread_id = new_thread(client)
    original = upload(client, thread_id, images.png((64, 64), (220, 30, 30)), "red.png")
    chain = [original["document_id"]]
    for prompt in ("make it blue", "add a yellow star", "make it darker"):
        media = direct(client, prompt, input_image_document_id=chain[-1])
        assert media["operation"] == "edit" and media["input_image_document_id"] == chain[-1]
        chain.append(media["document_id"])

    middle = client.get(f"/documents/{chain[1]}/lineage").json()
    last = client.get(f"/documents/{chain[3]}/lineage").json()

    assert middle["document"]["document_id"] == chain[1] and middle["document"]["depth"] == 0
    assert [(n["document_id"], n["depth"]) for n in middle["ancestors"]] == [(chain[0], -1)]
    assert [(n["document_id"], n["depth"]) for n in middle["descendants"]] == [(chain[2], 1), (chain[3], 2)]
    assert [(n["document_id"], n["depth"]) for n in last["ancestors"]] == [
        (chain[2], -1),
        (chain[1], -2),
        (chain[0], -3),
    ]
    assert last["descendants"] == [] and last["truncated"] is False
    assert {(link["parent_id"], link["child_id"]) for link in last["links"]} == set(zip(chain, chain[1:], strict=False))
    node = last["ancestors"][0]
    assert node["operation"] == "edit" and node["prompt"] == "add a yellow star"
    assert (node["model_provider"], node["model_name"]) == ("local", "easel-local-painter")
    assert node["thread_id"] == thread_id and node["run_id"] and node["message_id"]
    assert node["input_image_document_ids"] == [chain[1]]
    assert fetch(node["thumbnail_url"]).status_code == 200


def test_an_edit_leaves_the_original_document_untouched(embedded_easel):
    client = api(embedded_easel)
    original = upload(client, new_thread(client), images.png((48, 48), (10, 200, 10)))
    before = fetch(original["metadata_"]["url"]).content

    edit = direct(client, "make it purple", input_image_document_id=original["document_id"])

    assert edit["document_id"] != original["document_id"] and edit["sha256"] != original["metadata_"]["sha256"]
    assert fetch(original["metadata_"]["url"]).content == before
    assert sha256(before) == client.get(f"/documents/{original['document_id']}").json()["metadata_"]["sha256"]
    thread_documents = client.get(f"/threads/{original['metadata_']['thread_id']}/documents").json()
    assert [d["document_id"] for d in thread_documents] == [original["document_id"], edit["document_id"]]


def test_a_lineage_request_for_another_projects_document_is_a_404(embedded_easel):
    ours = api(embedded_easel)
    document = upload(ours, new_thread(ours), images.png())

    response = api(embedded_easel, embedded_easel.other_api_key).get(f"/documents/{document['document_id']}/lineage")

    assert response.status_code == 404 and response.json() == {"detail": "Document not found"}


@pytest.fixture
def thread(alpha) -> Thread:
    return Thread.objects.create(
        project=alpha.project, assistant=Assistant.objects.create(project=alpha.project, name="a")
    )


def make(thread: Thread, colour, **fields) -> Document:
    data = images.png((16, 16), colour)
    return document_create(project=thread.project, data=data, facts=inspect_image(data), thread=thread, **fields)


def test_an_edit_with_several_inputs_records_all_of_them_in_order(alpha, thread, media_dir):
    subject, style = make(thread, (1, 0, 0), operation="upload"), make(thread, (2, 0, 0), operation="upload")

    blend = make(thread, (3, 0, 0), operation="edit", parent=subject, parents=[style], prompt="in this style")

    assert blend.parent == subject
    response = alpha.client.get(f"/api/documents/{blend.id}/lineage").json()
    assert [n["document_id"] for n in response["ancestors"]] == [str(subject.id), str(style.id)]
    assert response["document"]["input_image_document_ids"] == [str(subject.id), str(style.id)]
    assert [(link["parent_id"], link["position"]) for link in response["links"]] == [
        (str(subject.id), 0),
        (str(style.id), 1),
    ]
    from_style = alpha.client.get(f"/api/documents/{style.id}/lineage").json()
    assert [n["document_id"] for n in from_style["descendants"]] == [str(blend.id)]


def test_a_document_cannot_derive_from_another_projects_document(alpha, bravo, thread, media_dir):
    theirs = Thread.objects.create(
        project=bravo.project, assistant=Assistant.objects.create(project=bravo.project, name="b")
    )
    foreign = make(theirs, (9, 9, 9), operation="upload")

    with pytest.raises(ValueError, match="is not in project"):
        make(thread, (8, 8, 8), operation="edit", parent=foreign)
    assert not Document.objects.filter(project=alpha.project).exists()


def test_deleting_a_middle_document_cuts_the_line_but_keeps_both_ends(
    alpha, thread, media_dir, django_capture_on_commit_callbacks
):
    first = make(thread, (1, 1, 1), operation="upload")
    second = make(thread, (2, 2, 2), operation="edit", parent=first)
    third = make(thread, (3, 3, 3), operation="edit", parent=second)

    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=second)

    third.refresh_from_db()
    assert third.parent_id is None and Document.objects.filter(id=first.id).exists()
    lineage = alpha.client.get(f"/api/documents/{third.id}/lineage").json()
    assert lineage["ancestors"] == [] and lineage["links"] == []
