"""The webhooks pages, for owners and admins (anyone else gets the 403 page): the project's
endpoints with a notice for each one Easel disabled, a form to add one, and an endpoint's page
with its recent deliveries and its actions (test ping, redeliver, rotate the secret, enable or
disable, delete). A new or rotated secret is kept in the session for exactly one page view."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from designs.exceptions import DomainError, NotFound
from designs.models import WebhookDelivery, WebhookEndpoint
from designs.services import webhooks
from designs.views.access import Member, project_page, render_page
from designs.webhook_forms import EVENT_WORDS, EndpointForm

SECRET_KEY = "easel_webhook_secret"
PER_PAGE = 25


NOT_ALLOWED = "Only owners and admins manage webhooks."


def _endpoint(member: Member, webhook_id: UUID) -> WebhookEndpoint:
    member.require_manager(NOT_ALLOWED)
    try:
        return webhooks.endpoint_get(member.project, webhook_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def _state(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the list and the endpoint's page say about it, in words."""
    reason = endpoint.disabled_reason or "disabled"
    return {
        "endpoint": endpoint,
        "events": [{"name": name, "words": EVENT_WORDS.get(name, name)} for name in endpoint.events],
        "reason": reason[:1].lower() + reason[1:].rstrip("."),
    }


def _list_page(request: HttpRequest, member: Member, form: EndpointForm | None = None) -> HttpResponse:
    rows = [_state(e) for e in webhooks.endpoints_of(member.project)]
    return render_page(
        request,
        member,
        "dashboard/webhooks.html",
        {
            "rows": rows,
            "disabled": sum(1 for row in rows if not row["endpoint"].enabled),
            "form": form or EndpointForm(),
        },
        section="webhooks",
    )


@require_GET
@project_page
def webhook_list(request: HttpRequest, member: Member) -> HttpResponse:
    member.require_manager(NOT_ALLOWED)
    return _list_page(request, member)


@require_POST
@project_page
def webhook_create(request: HttpRequest, member: Member) -> HttpResponse:
    member.require_manager(NOT_ALLOWED)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = webhooks.endpoint_create(member.project, form.payload())
        except DomainError as exc:
            form.add_refusal(exc.detail)
        else:
            _show_secret(request, endpoint, "created")
            return redirect("dashboard:webhook", member.project.id, endpoint.id)
    return _list_page(request, member, form)


def _show_secret(request: HttpRequest, endpoint: WebhookEndpoint, how: str) -> None:
    request.session[SECRET_KEY] = {"webhook_id": str(endpoint.id), "secret": endpoint.secret, "how": how}


def _take_secret(request: HttpRequest, endpoint: WebhookEndpoint) -> dict[str, str] | None:
    shown = request.session.get(SECRET_KEY)
    if not shown or shown.get("webhook_id") != str(endpoint.id):
        return None
    del request.session[SECRET_KEY]
    return shown


@require_GET
@project_page
def webhook_detail(request: HttpRequest, member: Member, webhook_id: UUID) -> HttpResponse:
    endpoint = _endpoint(member, webhook_id)
    asked = request.GET.get("page", "1")
    page = int(asked) if asked.isdigit() and 0 < int(asked) < 10_000 else 1
    rows = webhooks.deliveries_of(endpoint, skip=(page - 1) * PER_PAGE, limit=PER_PAGE + 1)
    return render_page(
        request,
        member,
        "dashboard/webhook.html",
        {
            **_state(endpoint),
            "secret": _take_secret(request, endpoint),
            "deliveries": [_delivery(d) for d in rows[:PER_PAGE]],
            "page": page,
            "older": len(rows) > PER_PAGE,
        },
        section="webhooks",
    )


def _delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    attempts = list(delivery.attempt_log.all())
    return {"delivery": delivery, "attempts": attempts, "last": attempts[-1] if attempts else None}


def _act(request: HttpRequest, member: Member, endpoint: WebhookEndpoint, done: str, action: Any) -> HttpResponse:
    """Carry out `action()`; its refusal (a disabled endpoint, say) is shown in words."""
    try:
        action()
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect("dashboard:webhook", member.project.id, endpoint.id)


@require_POST
@project_page
def webhook_ping(request: HttpRequest, member: Member, webhook_id: UUID) -> HttpResponse:
    endpoint = _endpoint(member, webhook_id)
    done = "A test ping is on its way: it shows below as a webhook.ping delivery."
    return _act(request, member, endpoint, done, lambda: webhooks.endpoint_ping(endpoint))


@require_POST
@project_page
def webhook_redeliver(request: HttpRequest, member: Member, webhook_id: UUID, delivery_id: UUID) -> HttpResponse:
    endpoint = _endpoint(member, webhook_id)
    done = "Sent again, as a new delivery with the same webhook-id and body."
    return _act(request, member, endpoint, done, lambda: webhooks.redeliver(endpoint, delivery_id))


@require_POST
@project_page
def webhook_rotate(request: HttpRequest, member: Member, webhook_id: UUID) -> HttpResponse:
    endpoint = webhooks.endpoint_rotate(_endpoint(member, webhook_id))
    _show_secret(request, endpoint, "rotated")
    return redirect("dashboard:webhook", member.project.id, endpoint.id)


@require_POST
@project_page
def webhook_enabled(request: HttpRequest, member: Member, webhook_id: UUID) -> HttpResponse:
    """`enabled=true` turns it back on (its failure count starts over); `false` stops sending."""
    endpoint = _endpoint(member, webhook_id)
    enabled = request.POST.get("enabled") == "true"
    done = "Enabled: new events are sent to it again." if enabled else "Disabled: nothing is sent until you enable it."
    return _act(request, member, endpoint, done, lambda: webhooks.endpoint_update(endpoint, {"enabled": enabled}))


@require_POST
@project_page
def webhook_delete(request: HttpRequest, member: Member, webhook_id: UUID) -> HttpResponse:
    endpoint = _endpoint(member, webhook_id)
    webhooks.endpoint_delete(endpoint)
    messages.success(request, f"Deleted the webhook to {endpoint.url}. Nothing more is sent to it.")
    return redirect("dashboard:webhooks", member.project.id)
