"""Where webhooks may not go (SSRF), in-process with EASEL_WEBHOOK_ALLOW_PRIVATE off: private,
loopback, link-local, metadata and carrier-NAT addresses are refused when an endpoint is saved,
and a name that resolves somewhere public when saved but to loopback later (DNS rebinding) is
refused at delivery, before any request leaves."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import timezone

from designs.models import Project, WebhookDelivery, WebhookEndpoint
from designs.services.projects import api_key_create
from designs.services.webhooks import endpoint_ping
from tests.webhooks.receiver import Receiver
from workers.webhooks import deliver

REAL_GETADDRINFO = socket.getaddrinfo
REBINDING_HOST = "hooks.rebinding.test"
PUBLIC_ADDRESS = "93.184.216.34"


@pytest.fixture
def caller(db, settings) -> Client:
    settings.EASEL_WEBHOOK_ALLOW_PRIVATE = False
    _key, secret = api_key_create(project=Project.objects.create(name="shop"))
    return Client(headers={"X-API-Key": secret})


@pytest.fixture
def dns(monkeypatch) -> dict[str, str]:
    """The system's resolver, with REBINDING_HOST answering whatever the test puts here."""
    answers = {REBINDING_HOST: PUBLIC_ADDRESS}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port or 0))]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.stop()


REFUSED = [
    ("http://127.0.0.1/hooks", "127.0.0.1"),
    ("http://127.8.9.10:8080/hooks", "127.8.9.10"),
    ("http://10.0.0.5/hooks", "10.0.0.5"),
    ("http://192.168.1.20/hooks", "192.168.1.20"),
    ("http://172.16.0.1/hooks", "172.16.0.1"),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
    ("http://[::1]/hooks", "::1"),
    ("http://[::ffff:127.0.0.1]/hooks", "::ffff:127.0.0.1"),
    ("http://[fe80::1]/hooks", "fe80::1"),
    ("http://[fd00:ec2::254]/latest", "fd00:ec2::254"),
    ("http://0.0.0.0/hooks", "0.0.0.0"),
    ("http://100.64.0.1/hooks", "100.64.0.1"),
    ("http://100.100.100.200/latest/meta-data", "100.100.100.200"),
    ("http://localhost/hooks", "localhost resolves to"),
    ("http://localhost./hooks", "localhost resolves to"),
]


@pytest.mark.parametrize(("url", "named"), REFUSED)
def test_an_endpoint_on_a_private_or_loopback_address_is_refused_and_not_stored(caller: Client, url, named):
    response = caller.post("/api/webhooks", {"url": url, "events": ["run.completed"]}, content_type="application/json")

    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert named in detail and "public addresses only" in detail
    assert not WebhookEndpoint.objects.exists()


def test_a_host_that_rebinds_to_loopback_after_it_was_saved_is_refused_at_delivery(caller, dns, receiver, settings):
    port = receiver.url.split(":")[2].split("/")[0]
    created = caller.post(
        "/api/webhooks",
        {"url": f"http://{REBINDING_HOST}:{port}/hooks", "events": ["run.completed"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    endpoint = WebhookEndpoint.objects.get()
    dns[REBINDING_HOST] = "127.0.0.1"

    refused = deliver(str(endpoint_ping(endpoint).id))

    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert refused == "pending" and attempt.status_code is None
    assert "resolves to 127.0.0.1" in attempt.error and "public addresses only" in attempt.error
    assert receiver.received == [], "a request reached the loopback receiver"

    # The same delivery where private addresses are allowed reaches it: the refusal above is the guard's.
    settings.EASEL_WEBHOOK_ALLOW_PRIVATE = True
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())  # the retry, due now
    assert deliver(str(WebhookDelivery.objects.get().id)) == "succeeded"
    (arrived,) = receiver.received
    assert arrived.headers["host"] == f"{REBINDING_HOST}:{port}"
    assert arrived.verified(endpoint.secret)["type"] == "webhook.ping"
