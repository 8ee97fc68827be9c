"""Dashboard pages. Every page of a project lives under /projects/<project_id>/."""

from __future__ import annotations

from django.urls import path

from designs.views import (
    activity,
    customizations,
    gallery,
    home,
    products,
    review,
    review_item,
    settings,
    team,
    threads,
    usage,
    webhooks,
)

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
    path("projects/<uuid:project_id>/review", review.queue, name="review"),
    path("projects/<uuid:project_id>/review/decide", review.bulk_decide, name="review_bulk"),
    path("projects/<uuid:project_id>/review/<uuid:document_id>", review_item.focus, name="review_item"),
    path("projects/<uuid:project_id>/review/<uuid:document_id>/card", review.card, name="review_card"),
    path("projects/<uuid:project_id>/review/<uuid:document_id>/decide", review_item.decide, name="review_decide"),
    path("projects/<uuid:project_id>/review/<uuid:document_id>/comments", review_item.comment, name="review_comment"),
    path("projects/<uuid:project_id>/review/<uuid:document_id>/revise", review_item.revise, name="review_revise"),
    path("projects/<uuid:project_id>/templates", products.template_list, name="templates"),
    path("projects/<uuid:project_id>/templates/new", products.template_new, name="template_new"),
    path("projects/<uuid:project_id>/templates/photo", products.template_photo, name="template_photo"),
    path("projects/<uuid:project_id>/templates/<uuid:template_id>", products.template_detail, name="template"),
    path("projects/<uuid:project_id>/templates/<uuid:template_id>/edit", products.template_edit, name="template_edit"),
    path(
        "projects/<uuid:project_id>/templates/<uuid:template_id>/archive",
        products.template_archive,
        name="template_archive",
    ),
    path(
        "projects/<uuid:project_id>/templates/<uuid:template_id>/customize",
        products.template_customize,
        name="template_customize",
    ),
    path(
        "projects/<uuid:project_id>/customizations/<uuid:customization_id>",
        customizations.customization_detail,
        name="customization",
    ),
    path(
        "projects/<uuid:project_id>/customizations/<uuid:customization_id>/select",
        customizations.customization_select,
        name="customization_select",
    ),
    path(
        "projects/<uuid:project_id>/customizations/<uuid:customization_id>/refine",
        customizations.customization_refine,
        name="customization_refine",
    ),
    path("projects/<uuid:project_id>/activity", activity.activity, name="activity"),
    path("projects/<uuid:project_id>/settings", settings.overview, name="settings"),
    path("projects/<uuid:project_id>/settings/providers", settings.provider_keys, name="provider_keys"),
    path(
        "projects/<uuid:project_id>/settings/providers/<str:provider>",
        settings.provider_key_set,
        name="provider_key_set",
    ),
    path(
        "projects/<uuid:project_id>/settings/providers/<str:provider>/remove",
        settings.provider_key_remove,
        name="provider_key_remove",
    ),
    path("projects/<uuid:project_id>/settings/review", activity.policy, name="review_policy"),
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
    path("projects/<uuid:project_id>/usage", usage.usage, name="usage"),
    path("projects/<uuid:project_id>/usage.csv", usage.usage_csv, name="usage_csv"),
    path("projects/<uuid:project_id>/settings/limits", usage.limits, name="limits"),
    path("projects/<uuid:project_id>/webhooks", webhooks.webhook_list, name="webhooks"),
    path("projects/<uuid:project_id>/webhooks/new", webhooks.webhook_create, name="webhook_create"),
    path("projects/<uuid:project_id>/webhooks/<uuid:webhook_id>", webhooks.webhook_detail, name="webhook"),
    path("projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/ping", webhooks.webhook_ping, name="webhook_ping"),
    path(
        "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/rotate", webhooks.webhook_rotate, name="webhook_rotate"
    ),
    path(
        "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/enabled",
        webhooks.webhook_enabled,
        name="webhook_enabled",
    ),
    path(
        "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/delete", webhooks.webhook_delete, name="webhook_delete"
    ),
    path(
        "projects/<uuid:project_id>/webhooks/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver",
        webhooks.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
