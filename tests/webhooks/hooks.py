"""Talking to a live Easel about webhooks: endpoints made for one test, their delivery log, a
direct generation, all over HTTP with the project's admin key."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.support.processes import LiveEasel
from tests.webhooks.receiver import Answer, Receiver

ALL_EVENTS = [
    "run.completed",
    "run.failed",
    "image.generated",
    "variant.generated",
    "customization.completed",
    "customization.failed",
    "review.decided",
    "document.deleted",
]


def api(easel: LiveEasel, method: str, path: str, *, key: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = {"X-API-Key": key or easel.api_key}
    return httpx.request(method, easel.api_url + path, headers=headers, timeout=60, **kwargs)


def generate(easel: LiveEasel, prompt: str = "an orange balloon over the hills", **fields: str) -> dict[str, Any]:
    """A direct generation on the local painter, answered once the run has ended."""
    form = {"content": prompt, "operation": "generate_image", "stream": "false", **fields}
    response = api(easel, "POST", "/threads/messages", data=form)
    assert response.status_code == 200, response.text
    return response.json()


def document_of(answer: dict[str, Any]) -> str:
    return answer["metadata_"]["generated_media"][0]["document_id"]


def eventually(read: Callable[[], Any], accept: Callable[[Any], bool], timeout: float = 15, what: str = "") -> Any:
    """`read()` once `accept` takes it; fails with the last value read after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not met within {timeout} s; last: {value}")
        time.sleep(0.1)


class Hooks:
    """The endpoints and receivers of one test, on one live server; `clean_up` removes them."""

    def __init__(self, easel: LiveEasel) -> None:
        self.easel = easel
        self._endpoints: list[str] = []
        self._receivers: list[Receiver] = []

    def receiver(self, *script: Answer, then: Answer | None = None) -> Receiver:
        made = Receiver().answers(*script, then=then)
        self._receivers.append(made)
        return made

    def subscribe(self, receiver: Receiver, *events: str, **fields: Any) -> dict[str, Any]:
        """A new endpoint for `receiver` (every event when none is named): its JSON, with the secret."""
        body = {"url": receiver.url, "events": list(events or ALL_EVENTS), **fields}
        response = api(self.easel, "POST", "/webhooks", json=body)
        assert response.status_code == 201, response.text
        endpoint = response.json()
        self._endpoints.append(endpoint["webhook_id"])
        return endpoint

    def get(self, endpoint: dict[str, Any]) -> dict[str, Any]:
        response = api(self.easel, "GET", f"/webhooks/{endpoint['webhook_id']}")
        assert response.status_code == 200, response.text
        return response.json()

    def ping(self, endpoint: dict[str, Any]) -> dict[str, Any]:
        response = api(self.easel, "POST", f"/webhooks/{endpoint['webhook_id']}/ping")
        assert response.status_code == 202, response.text
        return response.json()

    def deliveries(self, endpoint: dict[str, Any], **query: Any) -> list[dict[str, Any]]:
        response = api(self.easel, "GET", f"/webhooks/{endpoint['webhook_id']}/deliveries", params=query)
        assert response.status_code == 200, response.text
        return response.json()["deliveries"]

    def delivery(self, endpoint: dict[str, Any], delivery_id: str) -> dict[str, Any]:
        return next(d for d in self.deliveries(endpoint) if d["delivery_id"] == delivery_id)

    def finished(self, endpoint: dict[str, Any], delivery_id: str, timeout: float = 15) -> dict[str, Any]:
        """The delivery once it succeeded or failed for good."""
        return eventually(
            lambda: self.delivery(endpoint, delivery_id),
            lambda d: d["status"] != "pending",
            timeout,
            f"delivery {delivery_id} finished",
        )

    def clean_up(self) -> None:
        for endpoint_id in self._endpoints:
            api(self.easel, "DELETE", f"/webhooks/{endpoint_id}")
        for receiver in self._receivers:
            receiver.stop()
