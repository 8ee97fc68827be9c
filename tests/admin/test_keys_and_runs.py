"""Keys and runs in the admin: revoking is the dashboard's service, runs are records."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

import designs.admin
from designs.models import ApiKey, Run
from designs.services.projects import api_key_create, api_key_revoke
from tests.admin.conftest import listed
from tests.dashboard.stored import new_thread, turn

KEYS = "/admin/designs/apikey/"


def test_revoking_calls_the_service_for_active_keys_and_keeps_a_first_revocation(staff, team, monkeypatch):
    active, _ = api_key_create(project=team.project, name="ci")
    revoked, _ = api_key_create(project=team.project, name="old")
    first_revocation = timezone.now() - timedelta(days=3)
    ApiKey.objects.filter(pk=revoked.pk).update(revoked_at=first_revocation)
    calls = []
    monkeypatch.setattr(designs.admin, "api_key_revoke", lambda *, key: calls.append(key.pk) or api_key_revoke(key=key))

    answer = staff.post(KEYS, {"action": "revoke_keys", "_selected_action": [str(active.pk), str(revoked.pk)]})

    assert answer.status_code == 302 and calls == [active.pk]
    active.refresh_from_db()
    revoked.refresh_from_db()
    assert active.revoked_at is not None and revoked.revoked_at == first_revocation
    assert "Revoked 1 key(s)" in staff.get(answer["Location"]).content.decode()
    assert listed(staff.get(KEYS, {"state": "active"}).content) == set()
    assert listed(staff.get(KEYS, {"state": "revoked"}).content) == {str(active.pk), str(revoked.pk)}


def test_a_key_is_neither_changed_nor_deleted_nor_added_here(staff, team):
    key, _ = api_key_create(project=team.project, name="ci")

    changed = staff.post(f"{KEYS}{key.pk}/change/", {"name": "renamed", "hashed_key": "0" * 64})
    deleted = staff.post(f"{KEYS}{key.pk}/delete/", {"post": "yes"})
    added = staff.post(f"{KEYS}add/", {"name": "minted", "project": team.project.pk, "prefix": "esk_x"})

    assert (changed.status_code, deleted.status_code, added.status_code) == (403, 403, 403)
    stored = ApiKey.objects.get()
    assert (stored.name, stored.hashed_key) == ("ci", key.hashed_key)
    assert 'name="hashed_key"' not in staff.get(f"{KEYS}{key.pk}/change/").content.decode()


def test_runs_are_listed_and_filtered_but_not_added_or_deleted(staff, team, media_root):
    thread = new_thread(team.project)
    done, _ = turn(thread, "a kite")
    failed, _ = turn(thread, "a broken kite", status=Run.Status.FAILED, image=False)
    Run.objects.filter(pk=failed.pk).update(operation=Run.Operation.GENERATE_IMAGE)
    theirs, _ = turn(new_thread(team.other), "their kite", image=False)

    assert listed(staff.get("/admin/designs/run/").content) == {str(done.id), str(failed.id), str(theirs.id)}
    assert listed(staff.get("/admin/designs/run/", {"status__exact": "failed"}).content) == {str(failed.id)}
    assert listed(staff.get("/admin/designs/run/", {"operation__exact": "generate_image"}).content) == {str(failed.id)}
    assert listed(staff.get("/admin/designs/run/", {"project__id__exact": str(team.other.id)}).content) == {
        str(theirs.id)
    }
    assert staff.get("/admin/designs/run/add/").status_code == 403
    assert staff.post(f"/admin/designs/run/{done.id}/delete/", {"post": "yes"}).status_code == 403
    assert Run.objects.count() == 3
