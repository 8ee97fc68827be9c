"""Comments become an edit: a revise from two region comments runs the local painter confined to
their regions, and its image is a pending new version, equal to its parent pixel for pixel
outside the regions and their 6 px feather, that resolves the comments. Bad revises change nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from designs.models import AuditEntry, Comment, Document, Run
from tests.review.conftest import Studio, review_state
from workers.pipeline import run_generation

RECT = {"x": 4, "y": 4, "width": 20, "height": 16}
TRIANGLE = [[60, 30], [90, 30], [90, 60]]
FEATHER = 6


def pixels(document: Document) -> Image.Image:
    with document.file.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


def comment(studio: Studio, who: str, document: Document, text: str, regions: list | None = None) -> str:
    response = studio.call(who, "POST", f"/api/documents/{document.id}/comments", {"text": text, "regions": regions})
    assert response.status_code == 201, response.content
    return response.json()["comment_id"]


def test_a_revise_from_two_region_comments_changes_only_their_regions(studio):
    parent = studio.image()
    ids = [
        comment(studio, "reviewer key", parent, "make this corner blue", [RECT]),
        comment(studio, "reviewer session", parent, "make this triangle blue", [{"polygon": TRIANGLE}]),
    ]

    started = studio.call("reviewer key", "POST", f"/api/documents/{parent.id}/revise", {"comment_ids": ids})
    assert started.status_code == 202, started.content
    run_generation(started.json()["run_id"])  # what the worker does once the request commits

    run = Run.objects.get(id=started.json()["run_id"])
    assert run.status == Run.Status.COMPLETED, run.error
    (child,) = Document.objects.filter(parent=parent).exclude(operation=Document.Operation.MASK)
    assert (child.operation, child.review_status, child.run_id) == ("edit", "pending", run.id)
    assert {c.resolved_by_document_id for c in Comment.objects.filter(id__in=ids)} == {child.id}
    assert "make this corner blue" in child.prompt and "make this triangle blue" in child.prompt

    area = Image.new("L", (parent.width, parent.height), 0)
    draw = ImageDraw.Draw(area)
    draw.rectangle([RECT["x"], RECT["y"], RECT["x"] + RECT["width"], RECT["y"] + RECT["height"]], fill=255)
    draw.polygon([tuple(point) for point in TRIANGLE], fill=255)
    outside = ImageChops.invert(area.filter(ImageFilter.MaxFilter(2 * FEATHER + 1)))
    changed = ImageChops.difference(pixels(parent), pixels(child)).convert("L").point(lambda v: 255 if v else 0)
    assert ImageChops.multiply(changed, outside).getbbox() is None, "a pixel outside the regions changed"
    assert ImageChops.multiply(changed, area).getbbox() is not None, "the regions did not change"

    listed = studio.call("member key", "GET", f"/api/documents/{parent.id}/comments").json()["comments"]
    assert [(c["resolved"], c["resolved_by_document_id"]) for c in listed] == [(True, str(child.id))] * 2
    superseded = studio.call("owner session", "POST", f"/api/documents/{parent.id}/review", {"decision": "approved"})
    assert superseded.status_code == 409 and str(child.id) in superseded.json()["detail"]


def test_revising_with_a_comment_on_another_image_is_a_400_that_changes_nothing(studio):
    first, second = studio.image(), studio.image("a green robot")
    mine = comment(studio, "reviewer key", first, "bluer", [RECT])
    elsewhere = comment(studio, "reviewer key", second, "greener", [RECT])
    before, runs = review_state(), Run.objects.count()

    response = studio.call(
        "reviewer key", "POST", f"/api/documents/{first.id}/revise", {"comment_ids": [mine, elsewhere]}
    )

    assert response.status_code == 400
    assert "is on another image" in response.json()["detail"]
    assert review_state() == before and Run.objects.count() == runs


def test_revising_with_another_projects_comment_is_a_404(studio, stranger):
    ours = studio.image()
    theirs = stranger.image()
    their_comment = comment(stranger, "owner session", theirs, "theirs", [RECT])
    before, runs = review_state(), Run.objects.count()

    for document, ids in ((ours, [their_comment]), (theirs, [their_comment])):
        response = studio.call("admin key", "POST", f"/api/documents/{document.id}/revise", {"comment_ids": ids})
        assert response.status_code == 404, response.content
    assert review_state() == before and Run.objects.count() == runs


@pytest.mark.parametrize(
    "body",
    [{}, {"comment_ids": []}, {"comment_ids": "all"}, {"prompt": 5}, {"stream": "often"}, {"prompt": "x" * 2001}],
    ids=["nothing", "no ids", "not a list", "prompt not text", "stream not a flag", "prompt too long"],
)
def test_a_bad_revise_is_a_400_that_starts_nothing(studio, body):
    document = studio.image()
    mine = comment(studio, "member key", document, "bluer", [RECT])
    if "comment_ids" not in body:
        body = {**body, "comment_ids": [mine]} if body else body
    before, runs = review_state(), Run.objects.count()

    response = studio.call("member key", "POST", f"/api/documents/{document.id}/revise", body)

    assert response.status_code == 400, response.content
    assert review_state() == before and Run.objects.count() == runs


def test_a_revise_is_audited_with_its_prompt_and_can_stream(studio):
    document = studio.image()
    mine = comment(studio, "admin key", document, "bluer", [RECT])

    response = studio.call(
        "admin key",
        "POST",
        f"/api/documents/{document.id}/revise",
        {"comment_ids": [mine], "prompt": "keep it calm", "stream": True},
    )

    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    entry = AuditEntry.objects.get(document_id=document.id, action="revised")
    assert entry.via == "api" and "bluer" in entry.prompt and "keep it calm" in entry.prompt
    response.close()
