"""The webhooks pages: owners and admins only; adding one (its secret shown once), an endpoint's
deliveries with their attempt log, and every action, each through the service."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from designs.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from designs.services.webhooks import endpoint_create, endpoint_ping

URL = "https://hooks.example.com/easel"
DISABLED = "Every delivery failed for 24 hours"


@pytest.fixture(autouse=True)
def _no_dns(settings, monkeypatch):
    """Hosts resolve to a public address without asking DNS; nothing is ever sent."""
    monkeypatch.setattr("designs.services.webhook_targets.socket.getaddrinfo", _public)
    settings.EASEL_WEBHOOK_ALLOW_PRIVATE = False


def _public(host, port, **_kw):
    if host == "localhost":
        return [(2, 1, 6, "", ("127.0.0.1", port))]
    return [(2, 1, 6, "", ("93.184.215.14", port))]


def _endpoint(project, **fields) -> WebhookEndpoint:
    endpoint = endpoint_create(project, {"url": URL, "events": ["run.completed", "image.generated"]})
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**fields)
    endpoint.refresh_from_db()
    return endpoint


def _delivered(endpoint: WebhookEndpoint, *answers: tuple[int | None, str, str]) -> WebhookDelivery:
    """A ping delivery with one attempt per (status code, body, error)."""
    delivery = endpoint_ping(endpoint)
    started = timezone.now()
    for number, (code, body, error) in enumerate(answers, start=1):
        WebhookAttempt.objects.create(
            delivery=delivery, number=number, started_at=started, duration_ms=40, status_code=code,
            response_body=body, error=error,
        )  # fmt: skip
    ok = answers[-1][0] == 200
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=len(answers),
        last_status_code=answers[-1][0],
        last_error=answers[-1][2],
        status=WebhookDelivery.Status.SUCCEEDED if ok else WebhookDelivery.Status.FAILED,
    )
    return delivery


def _hook_url(team, endpoint=None, action: str = "") -> str:
    return team.url("webhooks" + (f"/{endpoint.id}" if endpoint else "") + (f"/{action}" if action else ""))


# --- Who may ------------------------------------------------------------------------------------


def test_a_non_member_gets_not_found(team):
    assert team.client("stranger").get(team.url("webhooks")).status_code == 404


@pytest.mark.parametrize("who", ["member", "reviewer"])
def test_members_and_reviewers_get_the_403_page_and_no_nav_item(team, who):
    endpoint = _endpoint(team.project)
    client = team.client(who)
    for response in (
        client.get(_hook_url(team)),
        client.get(_hook_url(team, endpoint)),
        client.post(team.url("webhooks/new"), {"url": URL, "events": ["run.failed"]}),
        client.post(_hook_url(team, endpoint, "delete")),
        client.post(_hook_url(team, endpoint, "rotate")),
    ):
        assert response.status_code == 403
        assert b"Only owners and admins manage webhooks." in response.content
    assert WebhookEndpoint.objects.count() == 1 and WebhookEndpoint.objects.get().secret == endpoint.secret
    threads = client.get(team.url("threads")).content.decode()
    assert ">Webhooks</a>" not in threads and ">Usage</a>" in threads
    assert ">Webhooks</a>" in team.client("admin").get(team.url("threads")).content.decode()


@pytest.mark.parametrize(
    ("method", "action"),
    [("get", ""), ("post", "ping"), ("post", "rotate"), ("post", "enabled"), ("post", "delete")],
)
def test_another_projects_webhook_is_not_found(team, method, action):
    theirs = _endpoint(team.other)
    response = getattr(team.client("owner"), method)(_hook_url(team, theirs, action), {"enabled": "false"})
    assert response.status_code == 404
    assert WebhookEndpoint.objects.get(pk=theirs.pk).secret == theirs.secret
    assert WebhookEndpoint.objects.get(pk=theirs.pk).enabled and not WebhookDelivery.objects.exists()


def test_another_projects_delivery_cannot_be_redelivered_through_ours(team):
    ours, theirs = _endpoint(team.project), _endpoint(team.other)
    their_delivery = _delivered(theirs, (500, "down", ""))
    response = team.client("owner").post(_hook_url(team, ours, f"deliveries/{their_delivery.id}/redeliver"))
    assert response.status_code == 404
    assert WebhookDelivery.objects.count() == 1


# --- Adding one ---------------------------------------------------------------------------------


def test_an_admin_adds_a_webhook_and_sees_its_secret_once(team):
    client = team.client("admin")
    response = client.post(
        team.url("webhooks/new"),
        {"url": URL, "events": ["image.generated", "run.completed"], "description": "the shop's order system"},
    )
    endpoint = WebhookEndpoint.objects.get(project=team.project)
    assert response.status_code == 302 and response["Location"] == _hook_url(team, endpoint)
    assert endpoint.events == ["run.completed", "image.generated"] and endpoint.description == "the shop's order system"
    page = client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and "the only time it is shown" in page
    assert "Standard Webhooks" in page and "webhook-signature" in page and "pip install standardwebhooks" in page
    again = client.get(response["Location"]).content.decode()
    assert endpoint.secret not in again and "No deliveries yet" in again
    listed = client.get(_hook_url(team)).content.decode()
    assert URL in listed and "run.completed" in listed and endpoint.secret not in listed


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"url": "", "events": ["run.failed"]}, "url", "Enter the https:// address"),
        ({"url": URL}, "events", "Choose at least one event to send."),
        ({"url": URL, "events": ["run.exploded"]}, "events", "run.exploded is not one of them"),
        ({"url": "ftp://files.example.com/in", "events": ["run.failed"]}, "url", "Only http:// and https://"),
        (
            {"url": "http://localhost:8000/hook", "events": ["run.failed"]},
            "url",
            "webhooks go to public addresses only",
        ),
        ({"url": "https://user:pw@hooks.example.com/", "events": ["run.failed"]}, "url", "May not carry credentials"),
        ({"url": URL, "events": ["run.failed"], "description": "x" * 501}, "description", "500 characters"),
    ],
)
def test_a_bad_webhook_is_explained_and_nothing_is_stored(team, form, field, words):
    response = team.client("owner").post(team.url("webhooks/new"), form)
    assert response.status_code == 200
    html = response.content.decode()
    assert words in html, html[html.find("Add a webhook") :][:3000]
    assert f'id="{field}-errors"' in html
    assert not WebhookEndpoint.objects.exists()


def test_the_twenty_first_webhook_is_refused_in_words(team, settings):
    settings.EASEL_WEBHOOK_MAX_ENDPOINTS = 1
    _endpoint(team.project)
    response = team.client("owner").post(team.url("webhooks/new"), {"url": URL, "events": ["run.failed"]})
    assert "may have at most 1 webhook endpoints" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 1


# --- A disabled endpoint: the notice ------------------------------------------------------------


def test_a_disabled_endpoint_is_announced_with_its_reason_and_can_be_enabled(team):
    when = timezone.now() - timedelta(hours=2)
    endpoint = _endpoint(team.project, enabled=False, disabled_reason=DISABLED, disabled_at=when, failing_since=when)
    _endpoint(team.project)
    client = team.client("owner")
    listed = client.get(_hook_url(team)).content.decode()
    assert "1 webhook is disabled" in listed and "receives no events" in listed
    notice = listed.split("data-disabled-notice>", 1)[1].split("</p>", 1)[0]
    assert notice.startswith("Disabled on <time") and notice.endswith(": every delivery failed for 24 hours.")
    detail = client.get(_hook_url(team, endpoint)).content.decode()
    assert "every delivery failed for 24 hours" in detail and "Enable it again" in detail
    assert "Send test ping" not in detail

    response = client.post(_hook_url(team, endpoint, "enabled"), {"enabled": "true"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.disabled_reason == "" and endpoint.failing_since is None
    assert "disabled" not in client.get(_hook_url(team)).content.decode().split("<table", 1)[0].lower()


def test_an_admin_disables_an_endpoint_in_words(team):
    endpoint = _endpoint(team.project)
    client = team.client("admin")
    client.post(_hook_url(team, endpoint, "enabled"), {"enabled": "false"})
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == "Disabled by a project admin"
    assert "Disabled on" in client.get(_hook_url(team, endpoint)).content.decode()


# --- Deliveries and actions ---------------------------------------------------------------------


def test_the_detail_page_lists_deliveries_with_their_attempt_log(team):
    endpoint = _endpoint(team.project)
    _delivered(endpoint, (500, "upstream exploded", "HTTP 500"), (200, '{"ok": true}', ""))
    _delivered(endpoint, (None, "", "connection refused"))
    html = team.client("owner").get(_hook_url(team, endpoint)).content.decode()
    assert html.count('class="delivery"') == 2 and html.count("webhook.ping") >= 2
    assert "Delivered" in html and "Failed" in html and "2 attempts" in html and "last answer 200" in html
    assert "Attempt log" in html and "upstream exploded" in html and "{&quot;ok&quot;: true}" in html
    assert "connection refused" in html and "no answer" in html
    assert html.count("Redeliver<span") == 2


def test_ping_redeliver_rotate_and_delete_go_through_the_service(team):
    endpoint = _endpoint(team.project)
    client = team.client("owner")

    pinged = client.post(_hook_url(team, endpoint, "ping"))
    assert pinged.status_code == 302 and pinged["Location"] == _hook_url(team, endpoint)
    first = WebhookDelivery.objects.get(endpoint=endpoint)
    assert first.event.type == "webhook.ping"
    assert "A test ping is on its way" in client.get(_hook_url(team, endpoint)).content.decode()

    client.post(_hook_url(team, endpoint, f"deliveries/{first.id}/redeliver"))
    again = WebhookDelivery.objects.exclude(pk=first.pk).get(endpoint=endpoint)
    assert again.event_id == first.event_id

    old = endpoint.secret
    client.post(_hook_url(team, endpoint, "rotate"))
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    page = client.get(_hook_url(team, endpoint)).content.decode()
    assert endpoint.secret in page and "The new signing secret" in page and old not in page

    deleted = client.post(_hook_url(team, endpoint, "delete"))
    assert deleted.status_code == 302 and deleted["Location"] == _hook_url(team)
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert "Deleted the webhook" in client.get(_hook_url(team)).content.decode()


def test_pinging_a_disabled_endpoint_is_refused_in_words(team):
    endpoint = _endpoint(team.project, enabled=False, disabled_reason="Disabled by a project admin")
    client = team.client("owner")
    client.post(_hook_url(team, endpoint, "ping"))
    assert not WebhookDelivery.objects.exists()
    assert "This webhook is disabled" in client.get(_hook_url(team, endpoint)).content.decode()


def test_deliveries_are_paged(team):
    endpoint = _endpoint(team.project)
    for _ in range(27):
        endpoint_ping(endpoint)
    client = team.client("owner")
    first = client.get(_hook_url(team, endpoint)).content.decode()
    assert first.count('class="delivery"') == 25 and "?page=2" in first
    second = client.get(_hook_url(team, endpoint), {"page": "2"}).content.decode()
    assert second.count('class="delivery"') == 2 and "?page=1" in second
    assert re.search(r"Page 2", second)
