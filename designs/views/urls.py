"""Dashboard pages. Every page of a project lives under /projects/<project_id>/."""

from __future__ import annotations

from django.urls import path

from designs.views import gallery, home, team, threads

app_name = "dashboard"

urlpatterns = [
    path("", home.home, name="home"),
    path("projects/switch", home.switch_project, name="switch"),
    path("projects/<uuid:project_id>/threads", threads.thread_list, name="threads"),
    path("projects/<uuid:project_id>/threads/new", threads.thread_new, name="thread_new"),
    path("projects/<uuid:project_id>/threads/<uuid:thread_id>", threads.thread_detail, name="thread"),
    path("projects/<uuid:project_id>/threads/<uuid:thread_id>/messages", threads.thread_send, name="thread_send"),
    path("projects/<uuid:project_id>/gallery", gallery.gallery, name="gallery"),
    path("projects/<uuid:project_id>/images/<uuid:document_id>", gallery.image_detail, name="image"),
    path("projects/<uuid:project_id>/members", team.members, name="members"),
    path("projects/<uuid:project_id>/members/invite", team.member_add, name="member_add"),
    path("projects/<uuid:project_id>/members/<int:membership_id>/role", team.member_role, name="member_role"),
    path("projects/<uuid:project_id>/members/<int:membership_id>/remove", team.member_delete, name="member_remove"),
    path(
        "projects/<uuid:project_id>/invitations/<uuid:invitation_id>/revoke",
        team.invite_revoke,
        name="invitation_revoke",
    ),
    path(
        "projects/<uuid:project_id>/invitations/<uuid:invitation_id>/renew", team.invite_renew, name="invitation_renew"
    ),
    path("projects/<uuid:project_id>/keys", team.keys, name="keys"),
    path("projects/<uuid:project_id>/keys/new", team.key_create, name="key_create"),
    path("projects/<uuid:project_id>/keys/<uuid:key_id>/revoke", team.key_revoke, name="key_revoke"),
]
