"""Review in the Django admin: staff filter images by review status and flag and approve or
reject them (through `review.decide`, so each decision is audited `via: admin`), and read the
decisions, comments and audit trail, which nobody adds, changes or deletes here.

`designs/admin.py` mixes `ReviewActions` and the two filters into its Document admin.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest

from designs.exceptions import DomainError
from designs.models import AuditEntry, Comment, Document, ReviewDecision, ReviewStatus, Via
from designs.services import review
from designs.services.review import Who

KNOWN_FLAGS = ("blocked_term", "classifier_error")
FLAG_SCAN = 2000  # flagged images read to offer their flags' codes in the filter


class ReviewStatusFilter(admin.SimpleListFilter):
    title = "review status"
    parameter_name = "review_status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(ReviewStatus.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> QuerySet[Document]:
        return queryset.filter(review_status=self.value()) if self.value() else queryset


def flagged(queryset: QuerySet[Document], code: str | None = None) -> QuerySet[Document]:
    """Documents with any flag, or with a flag of `code` (a JSON containment test where the
    database has one, PostgreSQL; elsewhere, SQLite in development, the flagged rows are read)."""
    with_flags = queryset.exclude(flags=[])
    if code is None:
        return with_flags
    if connection.features.supports_json_field_contains:
        return with_flags.filter(flags__contains=[{"code": code}])
    ids = [pk for pk, flags in with_flags.values_list("pk", "flags") if any(_code(f) == code for f in flags or [])]
    return queryset.filter(pk__in=ids)


def _code(flag: Any) -> str | None:
    return flag.get("code") if isinstance(flag, dict) else None


class FlagFilter(admin.SimpleListFilter):
    """Moderation flags (`Document.flags`, a JSON list of {code, label, score}) by code."""

    title = "flag"
    parameter_name = "flag"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        codes = set(KNOWN_FLAGS)
        for flags in (
            Document.objects.exclude(flags=[]).order_by("-created_at").values_list("flags", flat=True)[:FLAG_SCAN]
        ):
            codes.update(code for code in map(_code, flags or []) if code)
        return [("any", "Any flag"), ("none", "No flag"), *((code, code.replace("_", " ")) for code in sorted(codes))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> QuerySet[Document]:
        value = self.value()
        if not value:
            return queryset
        if value == "none":
            return queryset.filter(flags=[])
        return flagged(queryset, None if value == "any" else value)


class ReviewActions:
    """Approve and reject the selected images, each on its own: a decided, superseded or mask
    document fails alone, with its reason, and the rest are decided."""

    actions = ("approve", "reject")
    # Deleting a document takes its decisions and comments (their admins delete nothing).
    cascades = (ReviewDecision, Comment)

    def has_review_permission(self, request: HttpRequest) -> bool:
        # Deciding adds a decision: staff who may add one (every superuser) may decide here.
        user = request.user
        return user.is_active and user.is_staff and user.has_perm("designs.add_reviewdecision")

    @admin.action(description="Approve selected images", permissions=["review"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        self._decide(request, queryset, ReviewDecision.Decision.APPROVED)

    @admin.action(description="Reject selected images", permissions=["review"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        self._decide(request, queryset, ReviewDecision.Decision.REJECTED)

    def _decide(self, request: HttpRequest, queryset: QuerySet[Document], decision: str) -> None:
        who = Who(role="staff", via=Via.ADMIN, user=request.user)
        decided: list[Document] = []
        for document in queryset.order_by("created_at"):
            try:
                decided.append(review.decide(document, who, decision, reason="Decided in the Django admin"))
            except DomainError as exc:
                self.message_user(request, f"{document.filename or document.id}: {exc.detail}", messages.ERROR)
                continue
            self.log_change(request, document, f"Review: {decision}.")
        if decided:
            waiting = sum(1 for d in decided if d.review_status == ReviewStatus.PENDING)
            verb = "Approved" if decision == ReviewDecision.Decision.APPROVED else "Rejected"
            note = f" ({waiting} still wait for more approvals)" if waiting else ""
            self.message_user(request, f"{verb} {len(decided)} image(s){note}.", messages.SUCCESS)


class ReadOnly:
    """Records of review: listed and shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "decision", "actor", "via", "document", "project", "reason_code")
    list_filter = ("decision", "via", "project", "created_at")
    search_fields = ("actor", "reason", "reason_code")
    list_select_related = ("project", "document")
    date_hierarchy = "created_at"
    fields = ("id", "project", "document", "decision", "reason", "reason_code", "actor", "actor_user", "actor_key")
    fields += ("via", "created_at")


@admin.register(Comment)
class CommentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "short_text", "actor", "via", "document", "project", "resolved_at")
    list_filter = ("via", "project", "created_at")
    search_fields = ("text", "actor")
    list_select_related = ("project", "document")
    date_hierarchy = "created_at"
    fields = ("id", "project", "document", "text", "regions", "actor", "actor_user", "actor_key", "via")
    fields += ("created_at", "resolved_at", "resolved_by_document", "revise_run")

    @admin.display(description="text")
    def short_text(self, comment: Comment) -> str:
        return comment.text if len(comment.text) <= 60 else comment.text[:59] + "…"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly, admin.ModelAdmin):
    """The trail as it happened. The database refuses changes too (migration 0010's triggers)."""

    list_display = ("at", "actor", "via", "action", "document_id", "from_status", "to_status", "reason_code")
    list_filter = ("action", "via", "at")
    search_fields = ("actor", "reason", "prompt", "model")
    date_hierarchy = "at"
    fields = ("id", "at", "project_id", "document_id", "actor", "actor_user_id", "actor_key_prefix", "via", "action")
    fields += ("from_status", "to_status", "reason", "reason_code", "prompt", "model")
