"""Only staff reach the admin; what staff find there."""

from __future__ import annotations

from django.test import Client

from designs.models import Project

MODELS = ["apikey", "assistant", "document", "membership", "project", "run", "thread"]


def test_members_and_strangers_are_sent_to_the_admin_sign_in(team):
    owner = team.client("owner")
    for client in (owner, Client()):
        for url in ["/admin/", "/admin/designs/apikey/", f"/admin/designs/project/{team.project.id}/change/"]:
            answer = client.get(url)
            assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/?next="), url
    deleted = owner.post(f"/admin/designs/project/{team.project.id}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and Project.objects.filter(pk=team.project.pk).exists()
    login = owner.get("/admin/login/?next=/admin/").content.decode()
    assert "not authorized to access this page" in login


def test_staff_see_easels_data_on_the_admin_index(staff):
    page = staff.get("/admin/").content.decode()

    assert "Easel admin" in page
    for model in MODELS:
        assert f'href="/admin/designs/{model}/"' in page, model
    assert 'href="/admin/designs/document/add/"' not in page and 'href="/admin/designs/apikey/add/"' not in page
