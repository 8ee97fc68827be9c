"""The activity page (the audit trail, filtered, paged, with its CSV link), the review policy
page, and the role of a new API key."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from designs.models import ApiKey, AuditEntry, ReviewPolicy
from designs.services.comments import comment_add
from designs.services.review import Who, decide
from tests.dashboard.stored import new_thread, turn


def _entries(page: bytes) -> list[str]:
    """The actions of the rows shown, in order."""
    html = page.decode()
    return [chunk.split('"', 1)[0] for chunk in html.split('<tr data-action="')[1:]]


def _trail(team):
    _run, image = turn(new_thread(team.project), "draw a red robot")
    comment_add(image, Who(role="member", via="ui", user=team.member), text="bluer")
    decide(image, Who(role="reviewer", via="api", user=team.reviewer), "approved", reason="fine by me")
    _run, theirs = turn(new_thread(team.other), "theirs")
    comment_add(theirs, Who(role="owner", via="ui", user=team.stranger), text="their secret note")
    return image


def test_the_activity_page_shows_the_projects_trail_newest_first(team, media_root):
    image = _trail(team)
    page = team.client("member").get(team.url("activity"))
    assert page.status_code == 200
    assert _entries(page.content) == ["decided", "commented"]
    html = page.content.decode()
    assert "reviewer@example.com" in html and "fine by me" in html and "Pending review" not in html
    assert "Not reviewed → Approved" in html and f"/review/{image.id}" in html
    assert "their secret note" not in html and "stranger@example.com" not in html


def test_the_activity_filters_by_action_actor_and_image_and_the_csv_link_keeps_them(team, media_root):
    image = _trail(team)
    client = team.client("reviewer")
    url = team.url("activity")
    assert _entries(client.get(url, {"action": "commented"}).content) == ["commented"]
    assert _entries(client.get(url, {"actor": "reviewer@example.com"}).content) == ["decided"]
    assert _entries(client.get(url, {"document_id": str(image.id), "action": "decided"}).content) == ["decided"]
    page = client.get(url, {"action": "decided", "actor": "reviewer@example.com"}).content.decode()
    href = page.split('class="button" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert urlsplit(href).path == "/api/audit"
    assert parse_qs(urlsplit(href).query) == {
        "format": ["csv"], "action": ["decided"], "actor": ["reviewer@example.com"]
    }  # fmt: skip
    # The link works with the page's session: the same filters, as CSV.
    exported = client.get(href)
    assert exported.status_code == 200 and "csv" in exported["Content-Type"]
    rows = b"".join(exported.streaming_content if exported.streaming else [exported.content]).decode().splitlines()
    assert len(rows) == 2 and "decided" in rows[1] and "fine by me" in rows[1]
    bad = client.get(url, {"action": "deleted"})
    assert b"Choose an action from the list" in bad.content and _entries(bad.content) == []
    assert b"Enter a valid UUID" in client.get(url, {"document_id": "nope"}).content


def test_the_activity_is_paged(team, media_root):
    _run, image = turn(new_thread(team.project), "draw")
    who = Who(role="member", via="ui", user=team.member)
    for n in range(55):
        comment_add(image, who, text=f"note {n}")
    client = team.client("owner")
    first = client.get(team.url("activity")).content.decode()
    assert first.count('<tr data-action="commented"') == 50 and "note 54" in first and "Page 1 of 2" in first
    second = client.get(team.url("activity"), {"page": 2}).content.decode()
    assert second.count('<tr data-action="commented"') == 5 and "note 0" in second


def test_owners_and_admins_change_the_review_policy(team, media_root):
    client = team.client("admin")
    response = client.post(
        team.url("settings/review"),
        {"required": "on", "approvals_needed": "2", "blocked_terms": "gore\n  Weapons \n\ngore"},
    )
    assert response.status_code == 302
    policy = ReviewPolicy.objects.get(project=team.project)
    assert (policy.required, policy.gate_delivery, policy.approvals_needed) == (True, False, 2)
    assert policy.blocked_terms == ["gore", "Weapons"]
    entry = AuditEntry.objects.get(action="policy_updated")
    assert entry.actor == "admin@example.com" and entry.via == "ui"
    page = client.get(team.url("settings/review")).content.decode()
    assert 'name="required" id="id_required" checked' in page and "gore\nWeapons</textarea>" in page

    same = client.post(
        team.url("settings/review"), {"required": "on", "approvals_needed": "2", "blocked_terms": "gore\nWeapons"}
    )
    assert same.status_code == 302 and AuditEntry.objects.filter(action="policy_updated").count() == 1


def test_others_read_the_policy_and_cannot_change_it(team, media_root):
    for who in ("reviewer", "member"):
        client = team.client(who)
        page = client.get(team.url("settings/review")).content.decode()
        assert "Only owners and admins change the review policy" in page and "policy-form" not in page
        refused = client.post(team.url("settings/review"), {"required": "on", "approvals_needed": "1"})
        assert refused.status_code == 403 and b"Only owners and admins can do that" in refused.content
    assert not ReviewPolicy.objects.exists() and not AuditEntry.objects.exists()
    assert team.client("stranger").get(team.url("settings/review")).status_code == 404


def test_policy_mistakes_are_field_errors_and_change_nothing(team, media_root):
    client = team.client("owner")
    zero = client.post(team.url("settings/review"), {"approvals_needed": "0"})
    assert b"Ensure this value is greater than or equal to 1" in zero.content
    many = client.post(team.url("settings/review"), {"approvals_needed": "1", "blocked_terms": "x" * 101})
    assert b"is longer than 100 characters" in many.content
    assert not ReviewPolicy.objects.exists() and not AuditEntry.objects.exists()


def test_a_new_key_gets_the_role_chosen_admin_unless_told(team, media_root):
    client = team.client("owner")
    client.post(team.url("keys/new"), {"name": "ci", "role": "reviewer"})
    client.post(team.url("keys/new"), {"name": "old form"})
    roles = dict(ApiKey.objects.filter(project=team.project).values_list("name", "role"))
    assert roles == {"ci": "reviewer", "old form": "admin"}
    page = client.get(team.url("keys")).content.decode()
    assert 'class="role-badge role-reviewer">Reviewer' in page and 'class="role-badge role-admin">Admin' in page
    bad = client.post(team.url("keys/new"), {"name": "x", "role": "owner"})
    assert b"Select a valid choice" in bad.content and ApiKey.objects.count() == 2
