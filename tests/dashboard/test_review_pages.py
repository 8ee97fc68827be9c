"""The review pages in-process: the queue and its filters, one image under review, deciding
(one and many), comments on regions, applying comments; who may do what, and bad input shown
in words with nothing changed. (The activity, policy and key pages: test_review_settings_pages.py.)"""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from designs.models import AuditEntry, Comment, Document, ReviewDecision, Run
from designs.services.comments import comment_add
from designs.services.review import Who, policy_update
from tests.dashboard.stored import new_thread, turn


def _pending(*documents: Document, flags: list | None = None) -> None:
    for document in documents:
        Document.objects.filter(pk=document.pk).update(review_status="pending", flags=flags or [])


def _shown(page: bytes) -> list[str]:
    """The document ids the queue lists, in order."""
    html = page.decode()
    ids, at = [], 0
    while (at := html.find('class="queue-item" id="item-', at)) != -1:
        at += len('class="queue-item" id="item-')
        ids.append(html[at : at + 36])
    return ids


def _images(team, count: int = 3, **kw) -> list[Document]:
    thread = new_thread(team.project)
    made = []
    for n in range(count):
        _run, document = turn(thread, f"draw robot number {n}", **kw)
        Document.objects.filter(pk=document.pk).update(created_at=timezone.now() - timedelta(minutes=10 - n))
        made.append(document)
    return made


def test_the_queue_lists_pending_images_newest_first_for_everyone_in_the_project(team, media_root):
    old, middle, new = _images(team)
    _pending(old, new)
    _pending(middle, flags=[{"code": "blocked_term", "label": "Blocked term: robot", "score": 1.0}])
    comment_add(new, Who(role="member", via="ui", user=team.member), text="bluer sky")
    _run, theirs = turn(new_thread(team.other), "not ours")
    _pending(theirs)

    for who in ("owner", "reviewer", "member"):
        page = team.client(who).get(team.url("review"))
        assert page.status_code == 200
        assert _shown(page.content) == [str(new.id), str(middle.id), str(old.id)]
    page = team.client("member").get(team.url("review")).content.decode()
    assert "Blocked term: robot" in page and "1 comment" in page and "Pending review" in page
    assert 'class="queue-check"' not in page and "owners, admins and reviewers decide" in page
    reviewer = team.client("reviewer").get(team.url("review")).content.decode()
    assert reviewer.count('class="queue-check"') == 3 and "Approve selected" in reviewer


def test_the_queue_filters_by_status_flag_model_and_thread(team, media_root):
    red, blue = _images(team, 2)
    _run, painted = turn(new_thread(team.project), "paint a sunflower", model="other-painter")
    _pending(red, painted)
    _pending(blue, flags=[{"code": "blocked_term", "label": "Blocked term: robot", "score": 1.0}])
    Document.objects.filter(pk=red.pk).update(review_status="approved")
    client, url = team.client("reviewer"), team.url("review")

    assert _shown(client.get(url).content) == [str(painted.id), str(blue.id)]
    assert _shown(client.get(url, {"status": "approved"}).content) == [str(red.id)]
    assert len(_shown(client.get(url, {"status": "all"}).content)) == 3
    assert _shown(client.get(url, {"flag": "blocked_term"}).content) == [str(blue.id)]
    assert _shown(client.get(url, {"flag": "any", "status": "all"}).content) == [str(blue.id)]
    assert _shown(client.get(url, {"model": "local/other-painter"}).content) == [str(painted.id)]
    assert _shown(client.get(url, {"thread": str(blue.thread_id)}).content) == [str(blue.id)]
    assert b"Choose a flag from the list" in client.get(url, {"flag": "nonsense"}).content
    assert b"Select a valid choice" in client.get(url, {"status": "maybe"}).content
    foreign = client.get(url, {"thread": str(new_thread(team.other).id)}).content
    assert b"No such thread in this project" in foreign and _shown(foreign) == []


def test_the_card_answers_an_image_that_matches_the_filters_and_nothing_else(team, media_root):
    shown, hidden = _images(team, 2)
    _pending(shown)
    client = team.client("member")
    card = client.get(team.url(f"review/{shown.id}/card"))
    assert card.status_code == 200 and f'data-document-id="{shown.id}"'.encode() in card.content
    assert client.get(team.url(f"review/{hidden.id}/card")).status_code == 204
    assert client.get(team.url(f"review/{hidden.id}/card"), {"status": "all"}).status_code == 200
    _run, theirs = turn(new_thread(team.other), "not ours")
    assert client.get(team.url(f"review/{theirs.id}/card")).status_code == 404


def test_the_focused_view_shows_the_image_its_facts_its_parent_and_its_comments(team, media_root):
    thread = new_thread(team.project)
    _run, parent = turn(thread, "draw a red robot")
    _run, child = turn(thread, "make it blue", parent=parent)
    Document.objects.filter(pk=child.pk).update(revised_prompt="a blue robot, studio light", seed=4242)
    _pending(child, flags=[{"code": "blocked_term", "label": "Blocked term: robot", "score": 1.0}])
    comment_add(child, Who(role="reviewer", via="ui", user=team.reviewer), text="sharper eyes", regions=[
        {"x": 10, "y": 12, "width": 30, "height": 20}
    ])  # fmt: skip

    page = team.client("member").get(team.url(f"review/{child.id}")).content.decode()

    assert "make it blue" in page and "a blue robot, studio light" in page and "4242" in page
    assert "easel-local-painter" in page and "Blocked term: robot" in page and "Pending review" in page
    assert "Compared with the version it was made from" in page and f"/review/{parent.id}" in page
    assert '<rect x="10.0" y="12.0" width="30.0" height="20.0">' in page and "sharper eyes" in page
    assert 'viewBox="0 0 96 64"' in page and "inside a 30×20 area" in page
    assert 'id="decision-form"' not in page and "you can comment below" in page  # a member
    reviewer = team.client("reviewer").get(team.url(f"review/{child.id}")).content.decode()
    assert 'id="decision-form"' in reviewer and "Apply comments" in reviewer


def test_older_and_newer_follow_the_queue_and_keep_its_filters(team, media_root):
    old, middle, new = _images(team)
    _pending(old, middle, new)
    page = team.client("reviewer").get(team.url(f"review/{middle.id}"), {"status": "pending"}).content.decode()
    config = json.loads(page.split('id="review-config" type="application/json">')[1].split("</script>")[0])
    assert config["olderUrl"].endswith(f"/review/{old.id}?status=pending")
    assert config["newerUrl"].endswith(f"/review/{new.id}?status=pending")
    assert config["documentId"] == str(middle.id) and config["canDecide"] is True


def test_a_reviewer_approves_from_the_page_and_the_trail_names_them(team, media_root):
    (image,) = _images(team, 1)
    _pending(image)
    client = team.client("reviewer")
    response = client.post(
        team.url(f"review/{image.id}/decide"), {"decision": "approved", "reason": "on brief", "query": "status=pending"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/review/{image.id}?status=pending")
    image.refresh_from_db()
    assert image.review_status == "approved"
    entry = AuditEntry.objects.get(project_id=team.project.id, action="decided")
    assert (entry.actor, entry.via, entry.to_status) == ("reviewer@example.com", "ui", "approved")
    assert entry.reason == "on brief"
    again = client.post(team.url(f"review/{image.id}/decide"), {"decision": "rejected"}, follow=True)
    assert again.status_code == 200 and b"is already approved; decisions are final" in again.content
    assert ReviewDecision.objects.filter(document=image).count() == 1


def test_deciding_answers_json_for_the_page_script(team, media_root):
    (image,) = _images(team, 1)
    _pending(image)
    client = team.client("admin")
    url = team.url(f"review/{image.id}/decide")
    answer = client.post(url, {"decision": "rejected", "reason": "off brand"}, headers={"Accept": "application/json"})
    assert answer.json() == {"ok": True, "document_id": str(image.id), "review_status": "rejected", "approvals": 0}
    twice = client.post(url, {"decision": "approved"}, headers={"Accept": "application/json"})
    assert twice.status_code == 200 and twice.json()["ok"] is False and "already rejected" in twice.json()["error"]


def test_a_member_cannot_decide_or_apply_comments_but_can_comment(team, media_root):
    (image,) = _images(team, 1)
    _pending(image)
    member = team.client("member")
    refused = member.post(team.url(f"review/{image.id}/decide"), {"decision": "approved"})
    assert refused.status_code == 403 and b"members can comment" in refused.content
    bulk = member.post(team.url("review/decide"), {"decision": "approved", "document_ids": [str(image.id)]})
    assert bulk.status_code == 403
    note = comment_add(image, Who(role="owner", via="ui", user=team.owner), text="warmer")
    revise = member.post(team.url(f"review/{image.id}/revise"), {"comment_ids": [str(note.id)]})
    assert revise.status_code == 403 and not Run.objects.filter(user_message__content__contains="warmer").exists()
    image.refresh_from_db()
    assert image.review_status == "pending" and not ReviewDecision.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["decided", "revised"]).exists()

    response = member.post(team.url(f"review/{image.id}/comments"), {"text": "the hands look off"})
    assert response.status_code == 302 and "#comment-" in response["Location"]
    assert Comment.objects.filter(document=image, text="the hands look off", actor="member@example.com").exists()


def test_a_reason_over_2000_characters_is_shown_and_nothing_changes(team, media_root):
    (image,) = _images(team, 1)
    _pending(image)
    response = team.client("reviewer").post(
        team.url(f"review/{image.id}/decide"), {"decision": "rejected", "reason": "x" * 2001}
    )
    assert response.status_code == 200
    assert b"Ensure this value has at most 2000 characters (it has 2001)" in response.content
    image.refresh_from_db()
    assert image.review_status == "pending" and not ReviewDecision.objects.exists() and not AuditEntry.objects.exists()
    unknown = team.client("reviewer").post(team.url(f"review/{image.id}/decide"), {"decision": "maybe"})
    assert b"maybe is none of them" in unknown.content and not ReviewDecision.objects.exists()


def test_a_region_comment_is_stored_in_image_pixels_and_one_outside_is_refused(team, media_root):
    (image,) = _images(team, 1)  # 96 x 64
    client = team.client("reviewer")
    drawn = [{"x": 8, "y": 4, "width": 40, "height": 30}]
    ok = client.post(team.url(f"review/{image.id}/comments"), {"text": "brighter", "regions": json.dumps(drawn)})
    assert ok.status_code == 302
    typed = client.post(
        team.url(f"review/{image.id}/comments"),
        {"text": "typed", "area_x": "50", "area_y": "10", "area_width": "20", "area_height": "20"},
    )
    assert typed.status_code == 302
    stored = {c.text: c.regions for c in Comment.objects.filter(document=image)}
    assert stored["brighter"][0] | {"type": "rect"} == drawn[0] | {"type": "rect"}
    assert {k: stored["typed"][0][k] for k in ("x", "y", "width", "height")} == {
        "x": 50, "y": 10, "width": 20, "height": 20
    }  # fmt: skip

    outside = client.post(
        team.url(f"review/{image.id}/comments"),
        {"text": "too far", "area_x": "80", "area_y": "10", "area_width": "40", "area_height": "20"},
    )
    assert outside.status_code == 200 and b"lies outside the 96x64 image" in outside.content
    assert b'value="too far"' in outside.content or b">too far</textarea>" in outside.content
    half = client.post(team.url(f"review/{image.id}/comments"), {"text": "half", "area_x": "5"})
    assert b"Give the area&#x27;s x, y, width and height" in half.content
    empty = client.post(team.url(f"review/{image.id}/comments"), {"text": "  "})
    assert b"Write a comment" in empty.content
    assert Comment.objects.count() == 2 and AuditEntry.objects.filter(action="commented").count() == 2


def test_bulk_decisions_decide_each_image_on_its_own(team, media_root):
    first, second, decided = _images(team)
    _pending(first, second, decided)
    Document.objects.filter(pk=decided.pk).update(review_status="rejected")
    _run, theirs = turn(new_thread(team.other), "not ours")
    _pending(theirs)
    ids = [str(first.id), str(second.id), str(decided.id), str(theirs.id)]
    client = team.client("reviewer")

    answer = client.post(
        team.url("review/decide"),
        {"decision": "approved", "reason": "batch ok", "document_ids": ids},
        headers={"Accept": "application/json"},
    ).json()

    outcome = {r["document_id"]: (r["ok"], r.get("review_status") or r["detail"]) for r in answer["results"]}
    assert outcome[str(first.id)] == (True, "approved") and outcome[str(second.id)] == (True, "approved")
    assert outcome[str(decided.id)][0] is False and "already rejected" in outcome[str(decided.id)][1]
    assert outcome[str(theirs.id)] == (False, "Document not found")
    theirs.refresh_from_db()
    assert theirs.review_status == "pending"

    page = client.post(
        team.url("review/decide"),
        {"decision": "rejected", "document_ids": [str(first.id)], "query": "status=all"},
        follow=True,
    )
    assert page.redirect_chain[-1][0].endswith("/review?status=all")
    assert b"already approved" in page.content
    too_long = client.post(
        team.url("review/decide"),
        {"decision": "rejected", "reason": "y" * 2001, "document_ids": [str(second.id)]},
        headers={"Accept": "application/json"},
    ).json()
    assert "at most 2000 characters" in too_long["error"] and too_long["results"] == []
    none = client.post(team.url("review/decide"), {"decision": "approved"}, headers={"Accept": "application/json"})
    assert none.json()["error"] == "Select images first."


def test_apply_comments_starts_one_revise_run_and_refuses_comments_of_another_image(team, media_root):
    first, other = _images(team, 2)
    reviewer = Who(role="reviewer", via="ui", user=team.reviewer)
    note = comment_add(first, reviewer, text="add a hat", regions=[{"x": 4, "y": 4, "width": 20, "height": 20}])
    elsewhere = comment_add(other, reviewer, text="not this one")
    client = team.client("reviewer")
    url = team.url(f"review/{first.id}/revise")

    wrong = client.post(url, {"comment_ids": [str(elsewhere.id)]}, headers={"Accept": "application/json"}).json()
    assert wrong["ok"] is False and "is on another image" in wrong["error"]
    nothing = client.post(url, {}, headers={"Accept": "application/json"}).json()
    assert nothing == {"ok": False, "error": "Select the comments to apply."}
    assert not AuditEntry.objects.filter(action="revised").exists()

    answer = client.post(
        url, {"comment_ids": [str(note.id)], "prompt": "keep the smile"}, headers={"Accept": "application/json"}
    ).json()

    assert answer["ok"] is True
    run = Run.objects.get(id=answer["run_id"])
    assert answer["events_url"] == f"/api/threads/{run.thread_id}/runs/{run.id}/events"
    assert "add a hat" in run.user_message.content and "keep the smile" in run.user_message.content
    note.refresh_from_db()
    assert note.revise_run_id == run.id
    assert AuditEntry.objects.get(action="revised").actor == "reviewer@example.com"


def test_another_projects_image_is_not_found_on_every_review_route(team, media_root):
    _run, theirs = turn(new_thread(team.other), "not ours")
    _pending(theirs)
    client = team.client("owner")
    for path in ("", "/card"):
        assert client.get(team.url(f"review/{theirs.id}{path}")).status_code == 404
    for path, body in (("/decide", {"decision": "approved"}), ("/comments", {"text": "hi"}), ("/revise", {})):
        response = client.post(team.url(f"review/{theirs.id}{path}"), body)
        assert response.status_code == 404 and b"Not found" in response.content
    assert team.client("stranger").get(team.url("review")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.review_status == "pending" and not Comment.objects.exists()


def test_the_gallery_filters_by_review_status_and_pages_show_the_badge(team, media_root):
    red, blue = _images(team, 2)
    _pending(red)
    policy_update(team.project, Who(role="owner", via="ui", user=team.owner), {"required": True})
    client = team.client("member")
    gallery = client.get(team.url("gallery"), {"status": "pending"}).content.decode()
    assert f'data-document-id="{red.id}"' in gallery and f'data-document-id="{blue.id}"' not in gallery
    assert 'data-status="pending">Pending review' in gallery
    image = client.get(team.url(f"images/{red.id}")).content.decode()
    assert 'data-status="pending">Pending review' in image and f"/review/{red.id}" in image
    plain = client.get(team.url(f"images/{blue.id}")).content.decode()
    assert 'data-status="unreviewed">Not reviewed' in plain
