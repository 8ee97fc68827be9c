"""Projects, memberships, threads and assistants in the admin: counts, a project keeps an
owner, and deleting goes through the services (files included)."""

from __future__ import annotations

import re

from designs.models import Document, Membership, Project, Run, Thread
from tests.admin.conftest import listed
from tests.dashboard.stored import new_thread, turn

NEEDS_AN_OWNER = "A project needs at least one owner"


def _inline_form(staff, project: Project, **changes: str) -> dict[str, str]:
    """The project's change form as the page posts it, with `changes` applied."""
    page = staff.get(f"/admin/designs/project/{project.id}/change/").content.decode()
    data = {"name": project.name, "_save": "Save"}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page):
        data[name] = value
    for index, membership in enumerate(Membership.objects.filter(project=project).order_by("pk")):
        assert f'name="memberships-{index}-id" value="{membership.pk}"' in page
        data.update(
            {f"memberships-{index}-user": str(membership.user_id), f"memberships-{index}-role": membership.role}
        )
    data.update(changes)
    return data


def test_the_project_list_counts_members_threads_and_documents(staff, team, media_root):
    thread = new_thread(team.project)
    turn(thread, "a kite")
    turn(thread, "another kite", colour=(10, 10, 200))
    new_thread(team.project)

    page = staff.get("/admin/designs/project/").content.decode()

    row = page[page.index(f"/admin/designs/project/{team.project.id}/change/") :].split("</tr>")[0]
    assert re.findall(r'<td class="field-(\w+)">(\d+)</td>', row) == [
        ("members", "4"),
        ("threads", "2"),
        ("documents", "2"),
    ]


def test_the_project_page_edits_memberships_but_keeps_an_owner(staff, team):
    owner = Membership.objects.get(project=team.project, user=team.owner)
    index = sorted(Membership.objects.filter(project=team.project).values_list("pk", flat=True)).index(owner.pk)
    url = f"/admin/designs/project/{team.project.id}/change/"

    demoted = staff.post(url, _inline_form(staff, team.project, **{f"memberships-{index}-role": "member"}))
    removed = staff.post(url, _inline_form(staff, team.project, **{f"memberships-{index}-DELETE": "on"}))
    owner.refresh_from_db()
    assert NEEDS_AN_OWNER in demoted.content.decode() and NEEDS_AN_OWNER in removed.content.decode()
    assert owner.role == Membership.Role.OWNER

    member = Membership.objects.get(project=team.project, user=team.member)
    member_index = sorted(Membership.objects.filter(project=team.project).values_list("pk", flat=True)).index(member.pk)
    swapped = _inline_form(
        staff, team.project, **{f"memberships-{index}-role": "member", f"memberships-{member_index}-role": "owner"}
    )
    assert staff.post(url, swapped).status_code == 302
    member.refresh_from_db()
    owner.refresh_from_db()
    assert (owner.role, member.role) == (Membership.Role.MEMBER, Membership.Role.OWNER)


def test_a_sole_owner_is_neither_demoted_nor_removed_in_the_membership_admin(staff, team):
    owner = Membership.objects.get(project=team.project, user=team.owner)
    admin = Membership.objects.get(project=team.project, user=team.admin)
    url = f"/admin/designs/membership/{owner.pk}/"

    demoted = staff.post(f"{url}change/", {"user": team.owner.pk, "project": team.project.pk, "role": "admin"})
    assert NEEDS_AN_OWNER in demoted.content.decode()
    assert staff.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert staff.post(f"/admin/designs/membership/{admin.pk}/delete/", {"post": "yes"}).status_code == 302
    assert Membership.objects.filter(pk=owner.pk, role=Membership.Role.OWNER).exists()
    assert not Membership.objects.filter(pk=admin.pk).exists()
    by_role = staff.get("/admin/designs/membership/", {"role__exact": "owner"}).content.decode()
    assert {str(m.pk) for m in Membership.objects.filter(role="owner")} == set(
        re.findall(r'href="/admin/designs/membership/(\d+)/change/', by_role)
    )


def test_deleting_a_project_deletes_its_rows_and_its_files(staff, team, media_root, django_capture_on_commit_callbacks):
    _run, document = turn(new_thread(team.project), "a kite")
    _run, theirs = turn(new_thread(team.other), "their kite")
    ours = media_root / f"projects/{team.project.id}"
    assert ours.exists()

    confirm = staff.get(f"/admin/designs/project/{team.project.id}/delete/")
    with django_capture_on_commit_callbacks(execute=True):
        answer = staff.post(f"/admin/designs/project/{team.project.id}/delete/", {"post": "yes"})

    assert confirm.status_code == 200 and "permission to delete" not in confirm.content.decode()
    assert answer.status_code == 302 and not Project.objects.filter(pk=team.project.pk).exists()
    assert not Document.objects.filter(pk=document.pk).exists() and not Run.objects.filter(project=team.project)
    assert not any(path.is_file() for path in ours.rglob("*"))
    assert (media_root / theirs.file.name).exists()


def test_deleting_a_thread_deletes_its_documents_files(staff, team, media_root, django_capture_on_commit_callbacks):
    thread, kept = new_thread(team.project), new_thread(team.project)
    _run, document = turn(thread, "a kite")
    _run, other = turn(kept, "another kite", colour=(10, 10, 200))

    with django_capture_on_commit_callbacks(execute=True):
        answer = staff.post(f"/admin/designs/thread/{thread.id}/delete/", {"post": "yes"})

    assert answer.status_code == 302 and list(Thread.objects.filter(project=team.project)) == [kept]
    assert not (media_root / document.file.name).exists() and (media_root / other.file.name).exists()


def test_threads_and_assistants_filter_by_project_and_search_by_title_and_name(staff, team):
    ours, theirs = new_thread(team.project), new_thread(team.other)
    Thread.objects.filter(pk=ours.pk).update(title="Robot ideas")

    assert listed(staff.get("/admin/designs/thread/", {"project__id__exact": str(team.other.id)}).content) == {
        str(theirs.id)
    }
    assert listed(staff.get("/admin/designs/thread/", {"q": "robot"}).content) == {str(ours.id)}
    assert listed(staff.get("/admin/designs/assistant/", {"q": "default"}).content) == {
        str(ours.assistant_id),
        str(theirs.assistant_id),
    }
    assert staff.get("/admin/designs/thread/add/").status_code == 403
