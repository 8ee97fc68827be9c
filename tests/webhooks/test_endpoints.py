"""Managing endpoints over the API, in-process: bad input is a 400 with {"detail"} that stores
nothing, only owners and admins manage webhooks, and another project's endpoints are not found."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest
from django.test import Client

from designs.models import Project, WebhookDelivery, WebhookEndpoint, WebhookEvent
from designs.services.projects import api_key_create
from designs.services.webhooks import endpoint_ping

PUBLIC = "https://93.184.216.34/hooks"  # a public address, as a literal: no DNS needed


@dataclass
class Caller:
    project: Project
    client: Client

    def send(self, method: str, path: str, body: object = None, raw: str | None = None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.client.generic(method, "/api" + path, data, content_type="application/json")


def caller(project: Project, role: str = "admin") -> Caller:
    _key, secret = api_key_create(project=project, role=role)
    return Caller(project, Client(headers={"X-API-Key": secret}))


@pytest.fixture
def admin(db, settings) -> Caller:
    settings.EASEL_WEBHOOK_ALLOW_PRIVATE = False
    return caller(Project.objects.create(name="shop"))


@pytest.fixture
def stranger(db) -> Caller:
    return caller(Project.objects.create(name="someone else"))


def stored() -> tuple[int, int, int]:
    return WebhookEndpoint.objects.count(), WebhookEvent.objects.count(), WebhookDelivery.objects.count()


def assert_refused(response, status: int, mentions: str) -> None:
    assert response.status_code == status, response.content
    detail = response.json()["detail"]
    assert isinstance(detail, str) and mentions in detail, detail


BAD_BODIES = [
    pytest.param({"url": "ftp://93.184.216.34/hooks", "events": ["run.completed"]}, "http", id="ftp-url"),
    pytest.param({"url": PUBLIC + "?" + "a" * 2000, "events": ["run.completed"]}, "2000", id="url-too-long"),
    pytest.param({"url": "http://u:p@example.com/", "events": ["run.completed"]}, "credentials", id="credentials"),
    pytest.param({"url": PUBLIC, "events": ["run.completed", "run.exploded"]}, "run.exploded", id="unknown-event"),
    pytest.param({"url": PUBLIC, "events": []}, "events", id="no-events"),
    pytest.param({"url": PUBLIC, "events": "run.completed"}, "events", id="events-not-a-list"),
    pytest.param({"url": PUBLIC, "events": [1, 2]}, "events", id="events-not-names"),
    pytest.param({"events": ["run.completed"]}, "url is required", id="no-url"),
    pytest.param({"url": PUBLIC, "events": ["run.completed"], "secret": "mine"}, "secret", id="unknown-field"),
    pytest.param({"url": PUBLIC, "events": ["run.completed"], "description": "x" * 501}, "description", id="long-text"),
    pytest.param(["not", "an", "object"], "JSON object", id="a-list-body"),
    pytest.param("just text", "JSON object", id="a-string-body"),
]


@pytest.mark.parametrize(("body", "mentions"), BAD_BODIES)
def test_a_bad_endpoint_is_a_400_naming_the_problem_and_stores_nothing(admin: Caller, body, mentions):
    response = admin.send("POST", "/webhooks", body)

    assert_refused(response, 400, mentions)
    assert stored() == (0, 0, 0)


def test_a_body_that_is_not_json_is_a_400_and_stores_nothing(admin: Caller):
    assert admin.send("POST", "/webhooks", raw="{not json").status_code == 400
    assert stored() == (0, 0, 0)


def test_a_good_endpoint_is_stored_with_its_events_in_catalogue_order_and_a_secret(admin: Caller):
    response = admin.send("POST", "/webhooks", {"url": PUBLIC, "events": ["document.deleted", "run.completed"]})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["events"] == ["run.completed", "document.deleted"] and body["enabled"] is True
    assert body["secret"].startswith("whsec_")
    assert "secret" not in admin.send("GET", f"/webhooks/{body['webhook_id']}").json()
    assert [e["webhook_id"] for e in admin.send("GET", "/webhooks").json()["webhooks"]] == [body["webhook_id"]]


def test_the_21st_endpoint_of_a_project_is_refused(admin: Caller):
    for n in range(20):
        made = admin.send("POST", "/webhooks", {"url": f"{PUBLIC}/{n}", "events": ["run.completed"]})
        assert made.status_code == 201, made.content

    response = admin.send("POST", "/webhooks", {"url": f"{PUBLIC}/21", "events": ["run.completed"]})

    assert_refused(response, 400, "at most 20")
    assert WebhookEndpoint.objects.count() == 20


def test_a_patch_with_bad_fields_is_a_400_and_changes_nothing(admin: Caller):
    endpoint = admin.send("POST", "/webhooks", {"url": PUBLIC, "events": ["run.completed"]}).json()
    path = f"/webhooks/{endpoint['webhook_id']}"

    for body, mentions in [
        ({"enabled": "yes"}, "enabled"),
        ({"events": ["nope"]}, "nope"),
        ({"url": "http://127.0.0.1/"}, "127.0.0.1"),
        ({"colour": "red"}, "colour"),
    ]:
        assert_refused(admin.send("PATCH", path, body), 400, mentions)

    assert admin.send("GET", path).json() == {k: v for k, v in endpoint.items() if k != "secret"}
    row = WebhookEndpoint.objects.get()
    assert (row.url, row.events, row.enabled) == (PUBLIC, ["run.completed"], True)


def test_a_member_key_may_not_manage_webhooks(admin: Caller):
    endpoint = admin.send("POST", "/webhooks", {"url": PUBLIC, "events": ["run.completed"]}).json()
    member = caller(admin.project, role="member")
    path = f"/webhooks/{endpoint['webhook_id']}"

    for method, url, body in [
        ("GET", "/webhooks", None),
        ("POST", "/webhooks", {"url": PUBLIC + "/2", "events": ["run.completed"]}),
        ("GET", path, None),
        ("PATCH", path, {"enabled": False}),
        ("DELETE", path, None),
        ("POST", path + "/rotate-secret", None),
        ("POST", path + "/ping", None),
        ("GET", path + "/deliveries", None),
    ]:
        assert_refused(member.send(method, url, body), 403, "owners and admins")

    row = WebhookEndpoint.objects.get()
    assert row.enabled and row.secret == endpoint["secret"] and stored() == (1, 0, 0)


def test_another_project_s_key_finds_neither_the_endpoint_nor_its_deliveries(admin: Caller, stranger: Caller):
    endpoint = admin.send("POST", "/webhooks", {"url": PUBLIC, "events": ["run.completed"]}).json()
    delivery = endpoint_ping(WebhookEndpoint.objects.get())
    path = f"/webhooks/{endpoint['webhook_id']}"

    for method, url, body in [
        ("GET", path, None),
        ("PATCH", path, {"enabled": False}),
        ("DELETE", path, None),
        ("POST", path + "/rotate-secret", None),
        ("POST", path + "/ping", None),
        ("GET", path + "/deliveries", None),
        ("POST", f"{path}/deliveries/{delivery.id}/redeliver", None),
    ]:
        assert_refused(stranger.send(method, url, body), 404, "not found")

    assert stranger.send("GET", "/webhooks").json() == {"webhooks": [], "total": 0}
    row = WebhookEndpoint.objects.get()
    assert row.enabled and row.secret == endpoint["secret"] and stored() == (1, 1, 1)


def test_a_delivery_of_another_endpoint_is_not_found_for_redelivery(admin: Caller):
    first, second = (
        admin.send("POST", "/webhooks", {"url": f"{PUBLIC}/{n}", "events": ["run.completed"]}).json() for n in (1, 2)
    )
    delivery = endpoint_ping(WebhookEndpoint.objects.get(id=first["webhook_id"]))

    response = admin.send("POST", f"/webhooks/{second['webhook_id']}/deliveries/{delivery.id}/redeliver")

    assert_refused(response, 404, "Delivery not found")
    assert WebhookDelivery.objects.count() == 1
    assert_refused(admin.send("GET", f"/webhooks/{uuid.uuid4()}"), 404, "Webhook not found")
