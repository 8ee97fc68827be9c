"""The threads list and a thread: search, rendering what is stored and what is still running,
and sending turns (with the composer's field errors)."""

from __future__ import annotations

import json
import re

from designs import events
from designs.models import Run, Thread
from designs.services.messages import edit_source
from tests.dashboard.stored import new_thread, turn

JSON = {"Accept": "application/json"}


def _config(html: bytes) -> dict:
    return json.loads(re.search(rb'<script id="thread-config" type="application/json">(.*?)</script>', html).group(1))


def test_threads_are_listed_newest_first_and_searchable(team, media_root):
    older = new_thread(team.project)
    turn(older, "draw a red robot")
    newer = new_thread(team.project)
    Thread.objects.filter(pk=newer.pk).update(title="Sunflower studies")
    new_thread(team.other)  # another project's thread never shows
    client = team.client("member")
    page = client.get(team.url("threads")).content.decode()
    assert page.index("Sunflower studies") < page.index("draw a red robot")
    assert "2 threads" in page
    by_message = client.get(team.url("threads"), {"q": "RED ROBOT"}).content.decode()
    assert "draw a red robot" in by_message and "Sunflower studies" not in by_message
    by_title = client.get(team.url("threads"), {"q": "sunflower"}).content.decode()
    assert "Sunflower studies" in by_title and "draw a red robot" not in by_title
    assert "No thread matches" in client.get(team.url("threads"), {"q": "zebra"}).content.decode()


def test_new_thread_opens_an_empty_conversation(team):
    response = team.client("member").post(team.url("threads/new"))
    thread = Thread.objects.get(project=team.project)
    assert response["Location"] == team.url(f"threads/{thread.id}")
    page = team.client("member").get(response["Location"]).content.decode()
    assert "No messages yet" in page and 'id="composer"' in page


def test_a_thread_shows_its_turns_images_and_lineage(team, media_root):
    thread = new_thread(team.project)
    _run, first = turn(thread, "draw a red robot", reply="Here is your robot.")
    _run, second = turn(thread, "make it blue", parent=first, colour=(40, 40, 200), reply="Now it is blue.")
    page = team.client("member").get(team.url(f"threads/{thread.id}")).content.decode()
    assert page.count('class="image-card" id="doc-') == 2
    assert "Here is your robot." in page and "Now it is blue." in page
    first_card = page[page.index(f'data-document-id="{first.id}"') : page.index(f'data-document-id="{second.id}"')]
    assert f'data-child="{second.id}"' in first_card  # "Refined into" the blue one
    assert f"/images/{first.id}" in page[page.index(f'data-document-id="{second.id}"') :]  # "From" the red one
    assert f'name="refine_document_id" data-slot="refine-id" value="{first.id}"' in page


def test_a_running_turn_shows_its_text_so_far_and_a_placeholder_with_the_preview(team, media_root):
    thread = new_thread(team.project)
    run, _document = turn(thread, "draw a robot", status=Run.Status.RUNNING, image=False)
    ids = {"project_id": team.project.id, "thread_id": thread.id, "run_id": run.id, "assistant_id": thread.assistant_id}
    events.publish(**ids, type="user_message", message_id=str(run.user_message_id), content="draw a robot")
    events.publish(**ids, type="content_streaming", content="Drawing ", accumulated_content="Drawing ")
    events.publish(**ids, type="content_streaming", content="it now.", accumulated_content="Drawing it now.")
    events.publish(**ids, type="tool_call_start", tool_call_id="call_a", name="generate_image", hosted=True)
    position = events.publish(
        **ids,
        type="media_preview",
        tool_call_id="call_a",
        index=0,
        preview={"data_url": "data:image/jpeg;base64,AAAA", "mime_type": "image/jpeg"},
    )
    html = team.client("member").get(team.url(f"threads/{thread.id}")).content
    page = html.decode()
    assert "Drawing it now." in page
    assert 'data-placeholder="call_a"' in page and 'src="data:image/jpeg;base64,AAAA"' in page
    assert 'aria-busy="true"' in page
    config = _config(html)
    assert config["activeRunId"] == str(run.id)
    assert events.id_key(config["feedPosition"]) >= events.id_key(position) or config["feedPosition"] == position


def test_a_finished_image_replaces_its_placeholder_when_the_page_is_rendered(team, media_root):
    thread = new_thread(team.project)
    run, document = turn(thread, "draw a robot", status=Run.Status.RUNNING)
    ids = {"project_id": team.project.id, "thread_id": thread.id, "run_id": run.id, "assistant_id": thread.assistant_id}
    events.publish(**ids, type="tool_call_start", tool_call_id="call_1", name="generate_image", hosted=True)
    events.publish(**ids, type="media_generated", tool_call_id="call_1", media={"document_id": str(document.id)})
    page = team.client("member").get(team.url(f"threads/{thread.id}")).content.decode()
    assert page.count(f'data-document-id="{document.id}"') == 1
    assert "data-placeholder" not in page


def test_sending_a_message_starts_a_run_with_the_chosen_models(team):
    thread = new_thread(team.project)
    response = team.client("member").post(
        team.url(f"threads/{thread.id}/messages"),
        {
            "content": "draw a sunflower",
            "image_generation": "on",
            "llm": "local/easel-local-agent",
            "image_model": "local/easel-local-painter",
        },
        headers=JSON,
    )
    assert response.status_code == 201
    body = response.json()
    run = Run.objects.get(id=body["run_id"])
    assert run.thread == thread and run.image_generation and run.image_model == "easel-local-painter"
    assert run.llm_provider == "local" and body["content"] == "draw a sunflower"
    assert str(run.user_message_id) == body["user_message_id"]


def test_image_generation_off_sends_a_text_only_turn(team):
    thread = new_thread(team.project)
    body = (
        team.client("member").post(team.url(f"threads/{thread.id}/messages"), {"content": "hello"}, headers=JSON).json()
    )
    assert Run.objects.get(id=body["run_id"]).image_generation is False


def test_refine_sends_an_edit_of_that_document(team, media_root):
    thread = new_thread(team.project)
    _run, document = turn(thread, "draw a red robot")
    body = (
        team.client("member")
        .post(
            team.url(f"threads/{thread.id}/messages"),
            {"content": "make it blue", "refine_document_id": str(document.id)},
            headers=JSON,
        )
        .json()
    )
    assert body["refines"]["document_id"] == str(document.id)
    run = Run.objects.get(id=body["run_id"])
    assert run.operation == "generate_image" and run.image_generation
    assert run.user_message.input_documents() == [document]
    assert edit_source(run.user_message) == document, "a direct edit's one input is its source"


def test_composer_errors_come_back_per_field(team, media_root):
    thread = new_thread(team.project)
    client = team.client("member")
    url = team.url(f"threads/{thread.id}/messages")
    empty = client.post(url, {"content": "   "}, headers=JSON)
    assert empty.status_code == 200 and empty.json()["errors"]["content"][0]["message"] == "Write a message first."
    unknown = client.post(
        url,
        {"content": "hi", "llm": "nope/nothing", "image_generation": "on", "image_model": "local/not-a-model"},
        headers=JSON,
    ).json()["errors"]
    assert "not in the model catalog" in unknown["llm"][0]["message"]
    assert "not in the model catalog" in unknown["image_model"][0]["message"]
    # Any image of the project may be refined (see test_thread_edits.py), another project's is not found.
    _run, foreign = turn(new_thread(team.other), "another project's image")
    wrong_project = client.post(url, {"content": "edit", "refine_document_id": str(foreign.id)}, headers=JSON)
    assert wrong_project.json()["errors"]["refine_document_id"][0]["message"] == "Document not found"
    assert not Run.objects.filter(thread=thread).exists()


def test_a_second_message_while_one_is_running_says_to_wait(team, media_root):
    thread = new_thread(team.project)
    turn(thread, "draw a robot", status=Run.Status.RUNNING, image=False)
    response = team.client("member").post(
        team.url(f"threads/{thread.id}/messages"), {"content": "and a cat"}, headers=JSON
    )
    assert response.status_code == 200
    assert "still generating" in response.json()["errors"]["__all__"][0]["message"]


def test_without_javascript_the_composer_posts_and_comes_back(team):
    thread = new_thread(team.project)
    client = team.client("member")
    url = team.url(f"threads/{thread.id}/messages")
    sent = client.post(url, {"content": "draw a kite"})
    assert sent.status_code == 302 and sent["Location"] == team.url(f"threads/{thread.id}")
    failed = client.post(url, {"content": "draw a kite", "llm": "nope/nothing"})
    assert failed.status_code == 200
    page = failed.content.decode()
    assert "not in the model catalog" in page and "draw a kite</textarea>" in page


def test_static_files_are_served_by_the_app(client):
    response = client.get("/static/easel/app.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert int(response["Content-Length"]) > 1000


def test_the_threads_list_pages_through_older_threads(team):
    for _ in range(27):
        new_thread(team.project)
    client = team.client("member")
    first = client.get(team.url("threads")).content.decode()
    assert first.count('class="thread-row"') == 25 and "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get(team.url("threads"), {"page": 2}).content.decode()
    assert second.count('class="thread-row"') == 2 and 'rel="prev"' in second


def test_a_search_that_is_too_long_is_a_field_error(team):
    new_thread(team.project)
    page = team.client("member").get(team.url("threads"), {"q": "x" * 201}).content.decode()
    assert "Ensure this value has at most 200 characters" in page
    assert page.count('class="thread-row"') == 1  # and the list is still there
