"""The Django admin: staff look at Easel's data, revoke keys and delete things the way Easel does.

Project members use the dashboard; the admin is for staff (`is_staff`), whatever project they
are in. It writes little, and never around a rule of the services: keys are minted by the
dashboard (which shows the secret once) and revoked here through `api_key_revoke`; documents,
threads, assistants and projects are deleted through their services, which release shared
files; runs and documents are records, so they are view-only; a project keeps an owner.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from designs import media
from designs.admin_review import FlagFilter, ReviewActions, ReviewStatusFilter
from designs.media import page_urls
from designs.models import ApiKey, Assistant, Document, Membership, Project, Run, Thread
from designs.services.documents import document_delete
from designs.services.members import NEEDS_AN_OWNER, is_sole_owner
from designs.services.projects import api_key_revoke, project_delete
from designs.services.threads import assistant_delete, thread_delete

admin.site.site_header = "Easel admin"
admin.site.site_title = "Easel admin"

OWNER = Membership.Role.OWNER
LIST_THUMBNAIL = 64  # px, the longer side of a thumbnail in a list


def _count(model: type[models.Model]) -> Coalesce:
    # A subquery per count: three joined Counts would multiply each other's rows.
    rows = model.objects.filter(project=OuterRef("pk")).order_by().values("project").annotate(n=Count("pk"))
    return Coalesce(Subquery(rows.values("n")), 0)


def image_src(document: Document, variant: str) -> str | None:
    """The URL an admin page shows a document's file or thumbnail with (None: no thumbnail).

    The dashboard's signed URLs, so a staff user needs no membership and no session. They name
    EASEL_PUBLIC_URL's origin, but the admin may be reached on another (an internal host) and
    the CSP allows images from 'self': a signed URL keeps its path and drops its origin. A
    "public" deployment's bucket URLs stay whole (the CSP names the bucket's origin).
    """
    urls = page_urls(document, "")
    chosen = urls.thumbnail if variant == media.THUMBNAIL else urls.url
    if chosen is None or settings.EASEL_MEDIA_DELIVERY == "public":
        return chosen
    parts = urlsplit(chosen)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def _img(document: Document, longest: int | None) -> str:
    """An <img> of the document's thumbnail (its file if it has none), at most `longest` px."""
    src = image_src(document, media.THUMBNAIL) or image_src(document, media.ORIGINAL)
    width, height = (document.thumbnail_width, document.thumbnail_height)
    if not (width and height):
        width, height = document.width or LIST_THUMBNAIL, document.height or LIST_THUMBNAIL
    if longest:
        scale = min(1.0, longest / max(width, height))
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
    alt = (document.prompt or document.filename)[:120]
    return format_html(
        '<img class="easel-thumbnail" src="{}" width="{}" height="{}" alt="{}" loading="lazy">',
        src,
        width,
        height,
        alt,
    )


class DeletesThroughServices:
    """Deletion by the model's service (which releases files after commit), one row or many.

    Deleting a parent deletes the rows under it, including ones that have no delete of their
    own here (runs, keys, the last owner's membership): the parent's permission covers them.
    """

    cascades: tuple[type[models.Model], ...] = ()

    def delete_through_service(self, obj: Any) -> None:
        raise NotImplementedError

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_through_service(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # One transaction: shared files are released once every row is gone.
        with transaction.atomic():
            for obj in queryset:
                self.delete_through_service(obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        exempt = {model._meta.verbose_name for model in self.cascades}
        return deleted, counts, perms_needed - exempt, protected


class MembershipForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # Before _post_clean, self.instance still holds the stored values.
        stored = self.instance
        if stored.pk and is_sole_owner(stored):
            project = data.get("project", stored.project)
            if data.get("role") != OWNER or getattr(project, "pk", None) != stored.project_id:
                raise ValidationError(NEEDS_AN_OWNER)
        return data


class MembershipFormSet(BaseInlineFormSet):
    """A project's memberships as one formset: it may not go from some owner to none."""

    def clean(self) -> None:
        super().clean()
        if not self.instance.pk or not Membership.objects.filter(project=self.instance, role=OWNER).exists():
            return
        owners = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not (self.can_delete and self._should_delete_form(form))
            and form.cleaned_data.get("role") == OWNER
        ]
        if not owners:
            raise ValidationError(NEEDS_AN_OWNER)


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)
    extra = 0


@admin.register(Project)
class ProjectAdmin(DeletesThroughServices, admin.ModelAdmin):
    list_display = ("name", "created_at", "members", "threads", "documents")
    search_fields = ("name",)
    fields = ("name", "id", "created_at")
    readonly_fields = ("id", "created_at")
    inlines = (MembershipInline,)
    cascades = (ApiKey, Run, Membership)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=_count(Membership), thread_count=_count(Thread), document_count=_count(Document))
        )

    @admin.display(description="members", ordering="member_count")
    def members(self, project: Project) -> int:
        return project.member_count

    @admin.display(description="threads", ordering="thread_count")
    def threads(self, project: Project) -> int:
        return project.thread_count

    @admin.display(description="documents", ordering="document_count")
    def documents(self, project: Project) -> int:
        return project.document_count

    def delete_through_service(self, obj: Project) -> None:
        project_delete(project=obj)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ("user", "project", "role", "created_at")
    list_filter = ("project", "role")
    search_fields = ("user__username", "user__email", "project__name")
    list_select_related = ("user", "project")
    raw_id_fields = ("user",)

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        # The sole owner cannot be removed; a project's own deletion exempts it (DeletesThroughServices).
        return super().has_delete_permission(request, obj) and not (obj is not None and is_sole_owner(obj))


class KeyStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
        if self.value() in ("active", "revoked"):
            return queryset.filter(revoked_at__isnull=self.value() == "active")
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys as the dashboard lists them: never the stored hash, no minting, revoking by the service."""

    list_display = ("key", "name", "project", "created_at", "last_used_at", "revoked_at")
    list_filter = ("project", KeyStateFilter)
    search_fields = ("name", "prefix")
    list_select_related = ("project",)
    fields = ("key", "name", "project", "created_by", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    exclude = ("hashed_key",)
    actions = ("revoke_keys",)

    @admin.display(description="key", ordering="prefix")
    def key(self, api_key: ApiKey) -> str:
        return f"{api_key.prefix}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a key's secret is shown once, by the dashboard that mints it

    def has_change_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # The list's revoke action needs "change"; a key's own page is view-only.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False  # revoked, not deleted: runs keep naming the key that started them

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        active = list(queryset.filter(revoked_at__isnull=True))
        for api_key in active:
            api_key_revoke(key=api_key)
            self.log_change(request, api_key, "Revoked.")
        self.message_user(
            request, f"Revoked {len(active)} key(s): requests that use them now get 401.", messages.SUCCESS
        )


@admin.register(Assistant)
class AssistantAdmin(DeletesThroughServices, admin.ModelAdmin):
    list_display = ("name", "project", "created_at", "updated_at")
    list_filter = ("project",)
    search_fields = ("name",)
    list_select_related = ("project",)
    # Only the words are edited here; what the API validates (tools, embeddings) stays the API's.
    fields = ("name", "description", "system_prompt", "id", "project", "tools", "tok_k")
    fields += ("embedding_provider", "embedding_model_name", "embedding_dims", "created_at", "updated_at")
    readonly_fields = fields[3:]
    cascades = (Run,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_through_service(self, obj: Assistant) -> None:
        assistant_delete(assistant=obj)


@admin.register(Thread)
class ThreadAdmin(DeletesThroughServices, admin.ModelAdmin):
    list_display = ("__str__", "project", "assistant", "created_at", "updated_at")
    list_filter = ("project",)
    search_fields = ("title",)
    list_select_related = ("project", "assistant")
    fields = ("title", "id", "project", "assistant", "metadata", "created_at", "updated_at")
    readonly_fields = fields[1:]
    cascades = (Run,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_through_service(self, obj: Thread) -> None:
        thread_delete(thread=obj)


class ViewOnly:
    """Records: listed and shown, never added or changed here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Run)
class RunAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ("id", "project", "status", "operation", "models_used", "tokens", "cost_usd")
    list_display += ("created_at", "finished_at")
    list_filter = ("project", "status", "operation")
    list_select_related = ("project",)
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ("id", "project", "thread", "assistant", "user_message", "api_key", "status", "operation")}),
        ("Models", {"fields": ("llm_provider", "llm_model", "image_generation", "image_provider", "image_model")}),
        ("Inputs", {"fields": ("image_config", "params", "public_base_url", "fallback")}),
        ("Usage", {"fields": ("attempts", "input_tokens", "output_tokens", "images_generated", "cost_usd", "error")}),
        ("Times", {"fields": ("created_at", "started_at", "finished_at", "heartbeat_at")}),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Run | None = None) -> bool:
        return False  # a run goes with its thread

    @admin.display(description="models")
    def models_used(self, run: Run) -> str:
        llm = f"{run.llm_provider}/{run.llm_model}" if run.llm_model else ""
        image = f"{run.image_provider}/{run.image_model}" if run.image_model else ""
        return " + ".join(filter(None, (llm, image))) or "—"

    @admin.display(description="tokens")
    def tokens(self, run: Run) -> int:
        return run.total_tokens


class ModelFilter(admin.SimpleListFilter):
    """The image model, as `provider/name` (the dashboard gallery's model filter)."""

    title = "model"
    parameter_name = "model"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        pairs = Document.objects.order_by().values_list("model_provider", "model_name").distinct()
        return [(f"{p}/{n}", f"{p}/{n}") for p, n in sorted(pairs) if n]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> QuerySet[Document]:
        if not self.value():
            return queryset
        provider, _, name = self.value().partition("/")  # a provider has no "/", a model name may
        return queryset.filter(model_provider=provider, model_name=name)


@admin.register(Document)
class DocumentAdmin(ReviewActions, ViewOnly, DeletesThroughServices, admin.ModelAdmin):
    """Documents are immutable (an edit makes a new one), so no upload and no replacing a file
    here; deleting goes through `document_delete`, which keeps files other documents share."""

    # "thumbnail_image", not "thumbnail": a model field of that name would win over the method.
    list_display = ("thumbnail_image", "filename", "project", "operation", "review_status", "image_model")
    list_display += ("short_prompt", "created_at")
    list_display_links = ("thumbnail_image", "filename")
    list_filter = ("project", ReviewStatusFilter, FlagFilter, "operation", ModelFilter, "created_at")
    date_hierarchy = "created_at"
    search_fields = ("prompt", "filename", "sha256")
    list_select_related = ("project",)
    fieldsets = (
        (None, {"fields": ("preview", "id", "project", "thread", "assistant", "run", "message", "parent")}),
        ("Image", {"fields": ("operation", "status", "mime_type", "file_size_bytes", "width", "height", "sha256")}),
        (
            "Stored files",
            {"fields": ("stored_files", "thumbnail_width", "thumbnail_height", "display_width", "display_height")},
        ),
        ("Generation", {"fields": ("prompt", "revised_prompt", "model_provider", "model_name", "seed")}),
        ("Review", {"fields": ("review_status", "flags")}),
        ("Origin", {"fields": ("tool_call_id", "output_index", "metadata", "created_at", "updated_at")}),
    )
    readonly_fields = ("preview", "stored_files")

    @admin.display(description="image")
    def thumbnail_image(self, document: Document) -> str:
        return _img(document, LIST_THUMBNAIL)

    @admin.display(description="image")
    def preview(self, document: Document) -> str:
        return format_html('<a href="{}">{}</a>', image_src(document, media.ORIGINAL), _img(document, None))

    @admin.display(description="files")
    def stored_files(self, document: Document) -> str:
        # Long keys without spaces: they may break after each "/" instead of overflowing the page.
        file, thumbnail, display = (
            mark_safe("/<wbr>".join(escape(part) for part in name.split("/")))  # each part escaped
            for name in (
                document.file.name,
                document.thumbnail.name or "(no thumbnail)",
                document.display.name or "(no display size: the image is small enough)",
            )
        )
        return format_html("{}<br>{}<br>{}", file, thumbnail, display)

    # Not "model": ModelAdmin.model (the model class) would win over the method.
    @admin.display(description="model", ordering="model_name")
    def image_model(self, document: Document) -> str:
        return f"{document.model_provider}/{document.model_name}" if document.model_name else "—"

    @admin.display(description="prompt")
    def short_prompt(self, document: Document) -> str:
        prompt = document.prompt or ""
        return prompt if len(prompt) <= 60 else prompt[:59] + "…"

    def delete_through_service(self, obj: Document) -> None:
        document_delete(document=obj)
