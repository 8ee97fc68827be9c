"""Talking to a live Easel over HTTP the way any client would: an API key, then plain GETs."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from django.utils.crypto import salted_hmac

from tests.support.processes import LiveEasel

LOCAL_IMAGE = {"image_model_provider": "local", "image_model_name": "easel-local-painter"}


def api(live: LiveEasel, key: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=live.api_url, headers={"X-API-Key": key or live.api_key}, timeout=60)


def new_thread(client: httpx.Client) -> str:
    assistant = client.post("/assistants", json={"name": "documents"}).json()["assistant_id"]
    return client.post(f"/assistants/{assistant}/threads", json={}).json()["thread_id"]


def upload(client: httpx.Client, thread_id: str, data: bytes, name: str = "upload.png") -> dict:
    response = client.post(f"/threads/{thread_id}/documents", files={"file": (name, data, "application/octet-stream")})
    assert response.status_code == 200, response.text
    return response.json()


def direct(client: httpx.Client, prompt: str, **fields) -> dict:
    """operation=generate_image; the one generated media object."""
    response = client.post(
        "/threads/messages",
        json={
            "content": prompt,
            "operation": "generate_image",
            **LOCAL_IMAGE,
            **fields,
        },
    )
    assert response.status_code == 200, response.text
    [media] = response.json()["generated_media"]
    return media


def fetch(url: str) -> httpx.Response:
    """A plain GET with no API key, following a redirect to the bucket if there is one."""
    return httpx.get(url, follow_redirects=True, timeout=30)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def resigned(live: LiveEasel, url: str, *, expires: int | None = None, subject: str | None = None) -> str:
    """The URL re-signed with the live server's own secret, e.g. with an expiry in the past."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    document_id = parts.path.rsplit("/", 1)[-1].split(".", 1)[0]
    expires = int(time.time()) - 60 if expires is None else expires
    subject = subject or document_id
    sig = salted_hmac(
        "easel.media-url", f"{subject}|{expires}", secret=live.env["DJANGO_SECRET_KEY"], algorithm="sha256"
    ).hexdigest()
    query.update(expires=str(expires), sig=sig)
    return parts._replace(query=urlencode(query)).geturl()


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()
