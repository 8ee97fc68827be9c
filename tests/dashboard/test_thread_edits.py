"""Refining images from a thread: attaching uploads and gallery picks, variants and shape, an
edit confined to a rectangle (drawn, or typed without a script), the service's refusals next to
the control they are about, and masks that never show as pictures."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from designs.forms import ComposerForm, turn_error_field
from designs.models import Document, MessageInput, Run
from designs.services.documents import document_create
from designs.services.images import inspect_image
from designs.services.masks import edit_area
from designs.views.pictures import area_words
from tests.dashboard.stored import new_thread, png, turn

JSON = {"Accept": "application/json"}
PAINTER = "local/easel-local-painter"


def _upload(name: str, colour=(20, 160, 60)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png(colour), content_type="image/png")


def _send(team, thread, data: dict, who: str = "member", **kwargs):
    return team.client(who).post(team.url(f"threads/{thread.id}/messages"), data, headers=JSON, **kwargs)


def test_uploaded_files_and_gallery_picks_go_with_a_chat_turn(team, media_root):
    thread = new_thread(team.project)
    _run, picked = turn(new_thread(team.project), "a robot from another thread")
    response = _send(
        team,
        thread,
        {
            "content": "use these as references",
            "image_generation": "on",
            "image_model": PAINTER,
            "input_image_document_ids": [str(picked.id)],
            "files": [_upload("left.png"), _upload("right.png", (10, 10, 200))],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    message = Run.objects.get(id=body["run_id"]).user_message
    inputs = message.input_documents()
    assert inputs[0] == picked  # named images first, then the uploads, in order
    assert [d.metadata["original_filename"] for d in inputs[1:]] == ["left.png", "right.png"]
    assert all(d.operation == Document.Operation.UPLOAD and d.thread == thread for d in inputs[1:])
    assert [a["document_id"] for a in body["attachments"]] == [str(d.id) for d in inputs]
    assert body["refines"] is None
    page = team.client("member").get(team.url(f"threads/{thread.id}")).content.decode()
    assert '<span data-slot="refines-label">Attached</span>' in page


def test_the_picker_offers_the_projects_latest_images_but_no_masks(team, media_root):
    _run, image = turn(new_thread(team.project), "a kite")
    mask = _mask(image)
    _run, foreign = turn(new_thread(team.other), "someone else's kite")
    page = team.client("member").get(team.url(f"threads/{new_thread(team.project).id}")).content.decode()
    assert f'name="input_image_document_ids" value="{image.id}"' in page
    assert str(mask.id) not in page and str(foreign.id) not in page
    assert 'enctype="multipart/form-data"' in page
    reviewer = team.client("reviewer").get(team.url(f"threads/{new_thread(team.project).id}")).content.decode()
    assert "input_image_document_ids" not in reviewer


def test_variants_and_aspect_ratio_become_the_runs_image_config(team):
    thread = new_thread(team.project)
    chosen = {"content": "three kites", "image_model": PAINTER, "n": "3", "aspect_ratio": "3:4"}
    body = _send(team, thread, {**chosen, "image_generation": "on"}).json()
    assert Run.objects.get(id=body["run_id"]).image_config == {"n": 3, "aspect_ratio": "3:4"}
    quiet = new_thread(team.project)
    text_only = _send(team, quiet, chosen).json()  # without image generation there is nothing to vary
    assert Run.objects.get(id=text_only["run_id"]).image_config == {}
    out_of_range = _send(team, new_thread(team.project), {**chosen, "image_generation": "on", "n": "9"}).json()
    assert "Select a valid choice" in out_of_range["errors"]["n"][0]["message"]


def test_refine_with_variants_asks_for_that_many(team, media_root):
    thread = new_thread(team.project)
    _run, source = turn(thread, "a robot")
    data = {"content": "three takes", "refine_document_id": str(source.id), "n": "3"}
    body = _send(team, thread, data).json()
    run = Run.objects.get(id=body["run_id"])
    assert run.operation == "generate_image" and run.image_config == {"n": 3}


def test_a_refine_confined_to_a_rectangle_stores_its_area(team, media_root):
    thread = new_thread(team.project)
    _run, source = turn(thread, "a robot")  # 96x64
    region = {"x": 10, "y": 8, "width": 40, "height": 20}
    body = _send(
        team, thread, {"content": "a hat", "refine_document_id": str(source.id), "regions": json.dumps([region])}
    ).json()
    assert body["refines"]["document_id"] == str(source.id) and body["area_note"] == "inside a 40×20 area"
    message = Run.objects.get(id=body["run_id"]).user_message
    mask = message.input_documents(role=MessageInput.Role.MASK)[0]
    assert mask.operation == Document.Operation.MASK and (mask.width, mask.height) == (96, 64)
    assert mask.metadata["regions"] == [{"type": "rect", **{k: float(v) for k, v in region.items()}}]
    assert message.input_documents() == [source], "the mask is not an image the turn shows"
    page = team.client("member").get(team.url(f"threads/{thread.id}")).content.decode()
    assert "only inside a 40×20 area" in page
    assert page.count('class="image-card" id="doc-') == 1, "the mask is no picture of the turn"


def test_without_a_script_the_four_area_numbers_confine_the_refine(team, media_root):
    thread = new_thread(team.project)
    _run, source = turn(thread, "a robot")
    area = {"area_x": "4", "area_y": "6", "area_width": "30", "area_height": "12"}
    sent = team.client("member").post(
        team.url(f"threads/{thread.id}/messages"), {"content": "a hat", "refine_document_id": str(source.id), **area}
    )
    assert sent.status_code == 302
    mask = Document.objects.get(thread=thread, operation=Document.Operation.MASK)
    assert mask.metadata["regions"] == [{"type": "rect", "x": 4.0, "y": 6.0, "width": 30.0, "height": 12.0}]


def test_a_bad_area_shows_its_error_next_to_the_area(team, media_root):
    thread = new_thread(team.project)
    _run, source = turn(thread, "a robot")
    refine = {"content": "a hat", "refine_document_id": str(source.id)}
    outside = _send(team, thread, {**refine, "regions": json.dumps([{"x": 90, "y": 0, "width": 20, "height": 20}])})
    assert outside.json()["errors"] == {"regions": [{"message": "regions[0] lies outside the 96x64 image", "code": ""}]}
    half_typed = _send(team, thread, {**refine, "area_x": "3", "area_width": "10"}).json()["errors"]
    assert half_typed["regions"][0]["message"] == "Give the area's x, y, width and height, or clear it."
    not_a_list = _send(team, thread, {**refine, "regions": '{"x": 1}'}).json()["errors"]
    assert not_a_list["regions"][0]["message"] == "The area must be a list of rectangles."
    assert Run.objects.filter(thread=thread).count() == 1, "only the source's own run"
    # Without a script the thread page comes back with the error in the composer.
    page = team.client("member").post(team.url(f"threads/{thread.id}/messages"), {**refine, "area_x": "1"})
    assert "Give the area&#x27;s x, y, width and height, or clear it." in page.content.decode()


def test_the_services_refusals_land_on_the_control_they_are_about(team, media_root, settings):
    openai = {**settings.EASEL_PROVIDERS["openai"], "api_key": "sk-test"}
    settings.EASEL_PROVIDERS = {**settings.EASEL_PROVIDERS, "openai": openai}
    thread = new_thread(team.project)
    shaped = {"content": "a kite", "image_generation": "on", "image_model": "openai/dall-e-3", "aspect_ratio": "3:4"}
    errors = _send(team, thread, shaped).json()["errors"]
    assert list(errors) == ["aspect_ratio"] and "aspect_ratio" in errors["aspect_ratio"][0]["message"]
    missing = _send(
        team, thread, {"content": "hi", "input_image_document_ids": ["00000000-0000-0000-0000-000000000001"]}
    )
    assert "not found" in missing.json()["errors"]["input_image_document_ids"][0]["message"]
    not_an_image = _send(team, thread, {"content": "hi", "files": [SimpleUploadedFile("notes.png", b"plain text")]})
    assert list(not_an_image.json()["errors"]) == ["files"]


def test_service_messages_map_to_form_fields():
    assert turn_error_field("regions[0] lies outside the 320x240 image") == "regions"
    assert (
        turn_error_field("openai/dall-e-3 cannot edit part of an image (mask: none in the model catalog)") == "regions"
    )
    assert turn_error_field("image_config.n=9 is not supported by local/easel-local-painter (allowed 1–8)") == "n"
    assert turn_error_field("image_config.aspect_ratio='5:4' is not supported by x (allowed: 1:1)") == "aspect_ratio"
    assert turn_error_field("local/x takes at most 4 input images; 5 were given") == "files"
    assert turn_error_field("Document 1 not found (input_image_document_ids)") == "input_image_document_ids"
    assert turn_error_field("Document not found") == "refine_document_id"


def test_the_form_turns_typed_numbers_into_one_rectangle():
    form = ComposerForm({"content": "hat", "area_x": "1", "area_y": "2", "area_width": "3", "area_height": "4"})
    assert form.is_valid(), form.errors
    assert form.turn_data()["regions"] == [{"x": 1, "y": 2, "width": 3, "height": 4}]
    drawn = ComposerForm({"content": "hat", "regions": json.dumps([{"x": 5, "y": 5, "width": 9, "height": 9}])})
    assert drawn.is_valid() and drawn.turn_data()["regions"] == [{"x": 5, "y": 5, "width": 9, "height": 9}]
    blank = ComposerForm({"content": "hat", "regions": ""})
    assert blank.is_valid() and "regions" not in blank.turn_data()


def _mask(image: Document, **extra) -> Document:
    area = edit_area(size=(image.width, image.height), regions=[{"x": 2, "y": 2, "width": 40, "height": 20}])
    return document_create(
        project=image.project,
        data=area.png,
        facts=inspect_image(area.png),
        thread=image.thread,
        run=image.run,
        operation=Document.Operation.MASK,
        tool_call_id="mask:call_1",
        metadata={"regions": list(area.regions), "applies_to": str(image.id)},
        **extra,
    )


def test_masks_never_show_as_pictures_of_a_turn_the_gallery_or_the_counts(team, media_root):
    thread = new_thread(team.project)
    _run, source = turn(thread, "a robot")
    run, edited = turn(thread, "a hat", parent=source, colour=(30, 30, 200))
    mask = _mask(edited)
    # An edit confined by its turn names the turn's mask and lists no regions of its own.
    area = {"mask_document_id": str(mask.id), "method": "native", "feather_px": 6, "crop": None, "regions": []}
    Document.objects.filter(pk=edited.pk).update(metadata={"edit_area": area})
    client = team.client("member")
    page = client.get(team.url(f"threads/{thread.id}")).content.decode()
    assert page.count('class="image-card" id="doc-') == 2 and f'data-document-id="{mask.id}"' not in page
    assert "Edited inside a 40×20 area" in page
    assert "Edited inside a 40×20 area" in client.get(team.url(f"images/{edited.id}")).content.decode()
    gallery = client.get(team.url("gallery")).content.decode()
    assert "2 images, newest first" in gallery and str(mask.id) not in gallery
    listed = client.get(team.url("threads")).content.decode()
    assert "2 images" in listed


def test_the_edit_note_measures_the_box_around_the_regions():
    rectangle = [{"type": "rect", "x": 10.0, "y": 20.0, "width": 160.0, "height": 80.0}]
    assert area_words(rectangle) == "inside a 160×80 area"
    polygon = [{"type": "polygon", "points": [[5, 5], [45, 5], [25, 35]]}]
    assert area_words(polygon + rectangle) == "inside a 165×95 area"
    assert area_words([]) == "" and area_words(None) == ""
