"""Sending a table case: fill its templates for one pair of worlds, and send it."""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests.security.conftest import World, png
from tests.security.table import Case


def fill(value: Any, own: World, target: World) -> Any:
    """A template (str, or dict/list of them, keys included) with {own.x} and {target.x} filled."""
    if isinstance(value, str):
        return value.format(own=own, target=target)
    if isinstance(value, dict):
        return {fill(k, own, target): fill(v, own, target) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, own, target) for v in value]
    return value


def send(client: Client, case: Case, own: World, target: World, **extra: Any) -> HttpResponse:
    url, body = fill(case.url, own, target), fill(case.body, own, target)
    if case.method == "GET":
        return client.get(url, **extra)
    if case.upload or not url.startswith("/api/"):
        # A page's form, or an upload: multipart, as a browser or an SDK sends it.
        if case.upload:
            body[case.upload] = SimpleUploadedFile("picture.png", png((10, 200, 10)), content_type="image/png")
        return client.generic(case.method, url, **_multipart(body), **extra)
    return client.generic(case.method, url, json.dumps(body), content_type="application/json", **extra)


def _multipart(body: dict[str, Any]) -> dict[str, Any]:
    return {"data": encode_multipart(BOUNDARY, body), "content_type": MULTIPART_CONTENT}


def text(response: HttpResponse) -> str:
    """The answer's body, or "" for a stream (never read: a stream that got through is
    already a failed status assertion, and reading it would wait for the run)."""
    if getattr(response, "streaming", False):
        return ""
    return response.content.decode(errors="replace")
