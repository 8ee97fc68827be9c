"""Reading a provider body after `open_response` has yielded it: JSON, whole or as SSE events.

`open_response` maps failures up to the response headers; these helpers map the ones that
happen while the body is read (a stall past the read timeout, a dropped connection, bad JSON)
to ProviderError, so adapters never leak an httpx2 exception.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx2

from workers.providers.base import MalformedResponseError, ProviderError
from workers.providers.http import iter_sse


@contextlib.contextmanager
def body_failures(vendor: str) -> Iterator[None]:
    """Turn httpx2 errors raised while reading a body into ProviderError (timeout / connection)."""
    try:
        yield
    except httpx2.TimeoutException as exc:
        raise ProviderError(f"{vendor}: response stalled ({type(exc).__name__})", kind="timeout") from exc
    except httpx2.HTTPError as exc:
        raise ProviderError(f"{vendor}: response broke off ({type(exc).__name__})", kind="connection") from exc


def decode(text: str | bytes, *, vendor: str) -> Any:
    """Parse JSON from a provider; bad JSON is a permanent `malformed_response`."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise MalformedResponseError(f"{vendor}: malformed JSON in response") from exc


def json_events(response: httpx2.Response, *, vendor: str) -> Iterator[tuple[str, Any]]:
    """(event name, decoded data) for each SSE event of a streaming response."""
    with body_failures(vendor):
        for event, data in iter_sse(response):
            yield event, decode(data, vendor=vendor)


def read_json(response: httpx2.Response, *, vendor: str) -> Any:
    """The decoded JSON body of a whole (non-streaming) response."""
    with body_failures(vendor):
        body = response.read()
    return decode(body, vendor=vendor)
