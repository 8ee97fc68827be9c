"""Staff see Easel's data in Django admin; nobody else does, and admin never goes around a service."""

from __future__ import annotations

import io
import re

from django.test import Client
from PIL import Image

from designs.keys import hash_key
from designs.models import ApiKey, Document, Run
from designs.services.projects import api_key_create
from tests.dashboard.stored import new_thread, turn


def thumbnails(html: str) -> list[str]:
    return re.findall(r'<img class="easel-thumbnail" src="([^"]+)"', html)


def test_a_staff_user_lists_documents_with_thumbnails_that_load(staff, team, media_root):
    _run, document = turn(new_thread(team.project), "a red kite")

    page = staff.get("/admin/designs/document/")

    assert page.status_code == 200
    [src] = thumbnails(page.content.decode())
    served = Client().get(src.replace("&amp;", "&"))  # a signed URL: no session needed
    assert served.status_code == 200
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert image.size == (document.thumbnail_width, document.thumbnail_height)


def test_filters_by_project_and_operation_narrow_the_list(staff, team, media_root):
    _, ours = turn(new_thread(team.project), "ours")
    _, theirs = turn(new_thread(team.other), "theirs")
    _, edit = turn(ours.thread, "ours, edited", parent=ours)

    by_project = staff.get("/admin/designs/document/", {"project__id__exact": str(team.other.id)}).content.decode()
    by_operation = staff.get("/admin/designs/document/", {"operation__exact": "edit"}).content.decode()

    assert str(theirs.id) in by_project and str(ours.id) not in by_project
    assert str(edit.id) in by_operation and str(ours.id) not in by_operation.replace(str(edit.id), "")


def test_key_pages_never_show_the_stored_hash_and_no_key_is_added_here(staff, team):
    key, secret = api_key_create(project=team.project, name="ci")
    pages = [
        staff.get("/admin/designs/apikey/").content.decode(),
        staff.get(f"/admin/designs/apikey/{key.id}/change/").content.decode(),
    ]

    assert all(hash_key(secret) not in page and secret not in page for page in pages)
    assert key.prefix in pages[0]
    assert staff.get("/admin/designs/apikey/add/").status_code == 403


def test_the_revoke_action_revokes_through_the_service(staff, team):
    key, _secret = api_key_create(project=team.project, name="ci")

    staff.post("/admin/designs/apikey/", {"action": "revoke_keys", "_selected_action": [str(key.id)]})

    key.refresh_from_db()
    assert key.revoked_at is not None


def test_a_run_cannot_be_changed_in_admin(staff, team, media_root):
    run, _ = turn(new_thread(team.project), "kite")

    answer = staff.post(f"/admin/designs/run/{run.id}/change/", {"status": "failed", "error": "edited"})

    run.refresh_from_db()
    assert answer.status_code == 403 and (run.status, run.error) == (Run.Status.COMPLETED, "")


def test_a_project_owner_who_is_not_staff_is_sent_to_the_admin_login(team, media_root):
    turn(new_thread(team.project), "kite")
    for client in (team.client("owner"), Client()):
        answer = client.get("/admin/designs/document/")
        assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")
    assert Document.objects.count() == 1 and ApiKey.objects.count() == 0
