"""The Settings area, for owners and admins (anyone else gets the 403 page): the project's name
and a line about each settings page, and the provider keys page: for every provider, whether the
project stored its own key (by its last four characters only) or the server has one, with forms
to add, replace and remove the project's key. Keys go in through `services.credentials` and
never come back out."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designs.exceptions import DomainError
from designs.models import ProviderCredential
from designs.services import model_choice
from designs.services.credentials import credential_delete, credential_providers, credential_set
from designs.services.projects import project_rename
from designs.settings_forms import ProjectNameForm, ProviderKeyForm
from designs.views.access import Member, project_page, render_page

NOT_ALLOWED = "Only owners and admins open the project’s settings."


@require_http_methods(["GET", "POST"])
@project_page
def overview(request: HttpRequest, member: Member) -> HttpResponse:
    """The project's name (a form) and where every other setting lives."""
    member.require_manager(NOT_ALLOWED)
    project = member.project
    form = ProjectNameForm(initial={"name": project.name})
    if request.method == "POST":
        form = ProjectNameForm(request.POST)
        if form.is_valid():
            before = project.name
            try:
                project_rename(project=project, name=form.cleaned_data["name"])
            except DomainError as exc:
                form.add_refusal(exc.detail)
            else:
                done = f"Renamed “{before}” to “{project.name}”." if project.name != before else "Nothing changed."
                messages.success(request, done)
                return redirect("dashboard:settings", project.id)
    rows = _rows(member)
    return render_page(
        request,
        member,
        "dashboard/settings.html",
        {"form": form, "usable": sum(1 for row in rows if row["usable"]), "providers": rows},
        section="settings",
    )


@require_GET
@project_page
def provider_keys(request: HttpRequest, member: Member) -> HttpResponse:
    member.require_manager(NOT_ALLOWED)
    return _keys_page(request, member)


@require_POST
@project_page
def provider_key_set(request: HttpRequest, member: Member, provider: str) -> HttpResponse:
    """Store or replace the project's key; a refusal is shown on the field it is about, and the
    key is never put back in the page."""
    member.require_manager(NOT_ALLOWED)
    name = _known(provider)
    form = ProviderKeyForm(request.POST)
    if form.is_valid():
        replacing = ProviderCredential.objects.filter(project=member.project, provider=name).exists()
        try:
            credential = credential_set(
                project=member.project,
                provider=name,
                api_key=form.cleaned_data["api_key"],
                base_url=form.cleaned_data["base_url"],
                user=member.user,
            )
        except DomainError as exc:
            form.add_refusal(exc.detail)
        else:
            how = "Replaced" if replacing else "Saved"
            label = model_choice.provider_label(name)
            messages.success(request, f"{how} the project’s {label} key ending …{credential.last4}. New runs use it.")
            return redirect(_anchor(member, name))
    return _keys_page(request, member, failed={name: form})


@require_POST
@project_page
def provider_key_remove(request: HttpRequest, member: Member, provider: str) -> HttpResponse:
    member.require_manager(NOT_ALLOWED)
    name = _known(provider)
    label = model_choice.provider_label(name)
    if credential_delete(project=member.project, provider=name):
        messages.success(request, f"Removed the project’s {label} key. {_after_removal(name)}")
    else:
        messages.info(request, f"The project has no {label} key of its own: nothing to remove.")
    return redirect(_anchor(member, name))


# --- helpers --------------------------------------------------------------------------------


def _known(provider: str) -> str:
    if provider not in credential_providers():
        raise Http404(f"Unknown provider '{provider}'")
    return provider


def _anchor(member: Member, name: str) -> str:
    return reverse("dashboard:provider_keys", args=[member.project.id]) + f"#provider-{name}"


def _after_removal(name: str) -> str:
    if model_choice.server_serves(name):
        return "New runs use the server’s key."
    return "Its models can’t be used until someone adds a key again."


def _serves(name: str) -> str:
    kinds = [
        word
        for word, names in (
            ("chat", model_choice.llm_provider_names()),
            ("images", model_choice.image_provider_names()),
        )
        if name in names
    ]
    return " and ".join(kinds).capitalize() or "Models"


def _rows(member: Member, failed: dict[str, ProviderKeyForm] | None = None) -> list[dict[str, Any]]:
    """One row per provider: the project's key (its last four), the server's, and the form."""
    stored = {
        c.provider: c for c in ProviderCredential.objects.filter(project=member.project).select_related("created_by")
    }
    rows = []
    for name in credential_providers():
        config = settings.EASEL_PROVIDERS[name]
        credential = stored.get(name)
        server = bool(config["api_key"])
        compatible = bool(config.get("openai_compatible"))
        rows.append(
            {
                "name": name,
                "label": model_choice.provider_label(name),
                "serves": _serves(name),
                "credential": credential,
                "server_key": server,
                "compatible": compatible,
                "usable": bool(credential) or model_choice.server_serves(name),
                "form": (failed or {}).get(name) or ProviderKeyForm(),
            }
        )
    return rows


def _keys_page(request: HttpRequest, member: Member, failed: dict[str, ProviderKeyForm] | None = None) -> HttpResponse:
    return render_page(
        request,
        member,
        "dashboard/settings_providers.html",
        {"providers": _rows(member, failed), "base_urls": settings.EASEL_ALLOW_PROJECT_BASE_URLS},
        section="settings",
    )
