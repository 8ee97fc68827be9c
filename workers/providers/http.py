"""The one place provider HTTP is built and sent.

Every vendor adapter gets its client from `build_client` and sends through `open_response`,
so timeouts, retries with backoff and jitter, `retry-after` and error mapping live here once.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2

from workers.providers.base import ProviderError

logger = logging.getLogger(__name__)

# Idle connections kept per process, over every provider host; as many calls as there are may
# run at once (a waiting image takes a connection for its whole minute).
KEEPALIVE_CONNECTIONS = 32


@dataclass(frozen=True)
class ProviderSettings:
    """How to reach one provider. `api_key` is secret: it never goes into a message or a log."""

    api_key: str = field(repr=False)
    base_url: str
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_wait: float = 30.0  # a longer retry-after fails at once: a run never sleeps for minutes


@functools.cache
def _ssl_context() -> Any:
    """One SSL context per process: loading the CA bundle cost ~20 ms on every run's first call."""
    return httpx2.create_ssl_context()


class _KeptTransport(httpx2.HTTPTransport):
    """The process's connection pool to the providers, shared by every call's client: a call
    closes its client, not the pool, so the next call to the same host reuses a kept-alive
    connection instead of a new TCP (and TLS) handshake."""

    def __exit__(self, *exc: object) -> None:
        """A client's `with` block ends here: the pool is kept for the process's life."""

    def close(self) -> None:
        """As `__exit__`: kept."""


_transports: dict[int, _KeptTransport] = {}
_transports_lock = threading.Lock()


def _transport() -> httpx2.HTTPTransport:
    """This process's pool (a forked child makes its own: sockets are not shared across a fork)."""
    pid = os.getpid()
    with _transports_lock:
        if pid not in _transports:
            _transports.clear()
            _transports[pid] = _KeptTransport(
                verify=_ssl_context(),
                limits=httpx2.Limits(max_connections=None, max_keepalive_connections=KEEPALIVE_CONNECTIONS),
            )
        return _transports[pid]


def build_client(settings: ProviderSettings, *, headers: dict[str, str]) -> httpx2.Client:
    """A client with explicit timeouts: connect, read (between bytes), write and pool, on the
    process's shared connection pool."""
    timeout = httpx2.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.connect_timeout,
    )
    return httpx2.Client(
        base_url=settings.base_url.rstrip("/") + "/",
        headers={"user-agent": "easel/1", **headers},
        timeout=timeout,
        follow_redirects=False,
        transport=_transport(),
    )


def _retry_delay(settings: ProviderSettings, attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return max(0.0, retry_after)
    delay = min(settings.backoff_max, settings.backoff_base * (2**attempt))
    return delay * (0.5 + random.random() / 2)  # jitter: never a thundering herd


def _parse_retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after-ms")
    if value:
        with contextlib.suppress(ValueError):
            return float(value) / 1000
    value = response.headers.get("retry-after")
    if value:
        with contextlib.suppress(ValueError):
            return float(value)
    return None


ErrorMapper = Callable[[httpx2.Response, bytes], ProviderError]


def default_error(response: httpx2.Response, body: bytes, *, vendor: str) -> ProviderError:
    """Map an HTTP error status to a ProviderError; the body's message is kept, keys never are."""
    status = response.status_code
    message = _error_message(body) or response.reason_phrase or "error"
    text = f"{vendor} returned HTTP {status}: {message}"
    if status == 429:
        return ProviderError(text, kind="rate_limited", status_code=status, retry_after=_parse_retry_after(response))
    if status in (401, 403):
        return ProviderError(text, permanent=True, kind="auth", status_code=status)
    if status >= 500:
        return ProviderError(text, kind="server_error", status_code=status)
    return ProviderError(text, permanent=True, kind="bad_request", status_code=status)


def _error_message(body: bytes) -> str:
    import json

    try:
        data = json.loads(body)
    except ValueError:
        return body[:300].decode("utf-8", "replace").strip()
    if isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            return str(err.get("message") or err.get("type") or err)[:500]
        if isinstance(err, str):
            return err[:500]
    return str(data)[:500]


@contextlib.contextmanager
def open_response(
    client: httpx2.Client,
    method: str,
    url: str,
    *,
    settings: ProviderSettings,
    vendor: str,
    map_error: ErrorMapper | None = None,
    retry_safe: bool = True,
    **kwargs: Any,
) -> Iterator[httpx2.Response]:
    """Send a request and yield the open (streaming) response once its status is 2xx.

    Retries connection errors, timeouts before the response starts, 429 (honouring
    `retry-after`) and 5xx, with exponential backoff and jitter, up to `max_retries`.
    Set `retry_safe=False` where a repeat could bill twice (the request may have been
    processed): then only failures where nothing reached the provider are retried.
    Raises ProviderError for everything that is not retried.
    """
    mapper = map_error or (lambda response, body: default_error(response, body, vendor=vendor))
    attempt = 0
    while True:
        try:
            request = client.build_request(method, url, **kwargs)
            response = client.send(request, stream=True)
        except httpx2.ConnectError as exc:
            error = ProviderError(f"{vendor}: could not connect ({type(exc).__name__})", kind="connection")
            nothing_sent = True
        except httpx2.TimeoutException as exc:
            kind = "timeout"
            error = ProviderError(f"{vendor}: timed out ({type(exc).__name__})", kind=kind)
            nothing_sent = isinstance(exc, httpx2.ConnectTimeout | httpx2.PoolTimeout)
        except httpx2.TransportError as exc:
            error = ProviderError(f"{vendor}: connection failed ({type(exc).__name__})", kind="connection")
            nothing_sent = False
        else:
            if response.is_success:
                try:
                    yield response
                finally:
                    response.close()
                return
            try:
                body = response.read()
            except httpx2.HTTPError:
                body = b""
            finally:
                response.close()
            error = mapper(response, body)
            # A 429 was refused before any work began; a 5xx may have done the work.
            nothing_sent = response.status_code == 429
        error = without_secret(error, settings.api_key)
        retryable = not error.permanent and (retry_safe or nothing_sent)
        delay = _retry_delay(settings, attempt, error.retry_after)
        if retryable and delay > settings.max_retry_wait:
            error.message = f"{error.message} (asked to wait {delay:.0f} s before retrying)"
            error.args = (error.message,)
            raise error
        if not retryable or attempt >= settings.max_retries:
            raise error
        logger.warning("%s: %s; retry %d in %.2fs", vendor, error.kind, attempt + 1, delay)
        time.sleep(delay)
        attempt += 1


def without_secret(error: ProviderError, secret: str) -> ProviderError:
    """The error with every occurrence of the key masked: some vendors quote the key they got."""
    if secret and len(secret) >= 4 and secret in error.message:
        error.message = error.message.replace(secret, "****" + secret[-4:])
        error.args = (error.message,)
    return error


def drain(response: httpx2.Response, limit: int = 65536) -> None:
    """Read what is left of a body whose last event came (an SSE stream's end after `[DONE]`),
    so HTTP/1.1 can reuse its connection, as the official OpenAI SDK does. More than `limit`
    bytes left, or an error, and the connection is simply closed with the response."""
    if response.is_closed or response.http_version != "HTTP/1.1":
        return
    left = limit
    try:
        for chunk in response.stream:
            left -= len(chunk)
            if left < 0:
                return
    except (httpx2.HTTPError, RuntimeError):  # cleanup must not turn a whole answer into an error
        return


def iter_sse(response: httpx2.Response) -> Iterator[tuple[str, str]]:
    """Yield (event, data) pairs from a text/event-stream body, per the WHATWG rules.

    Comment lines (starting with ':') are skipped; multi-line data is joined with '\\n'.
    """
    event, data_lines = "", []
    for line in response.iter_lines():
        if line == "":
            if data_lines:
                yield event or "message", "\n".join(data_lines)
            event, data_lines = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            data_lines.append(value)
        elif name == "event":
            event = value
    # An event left without its closing blank line at the end of the body is discarded (WHATWG).
