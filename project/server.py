"""Uvicorn's httptools protocol with the two limits it lacks on a request head.

Uvicorn closes idle keep-alive connections (--timeout-keep-alive), but a connection that has
started a request, or never sends one, is kept for as long as it trickles bytes: one header
line every 10 s held a connection open for good. And with httptools (the parser uvicorn picks
when it is installed, as uvicorn[standard] does) a head's size has no bound at all (20 MB of
headers were read and answered): --h11-max-incomplete-event-size only applies to h11.

So a connection must deliver each request head within EASEL_HEADER_TIMEOUT seconds (counted
from the connection, or from the first byte of a keep-alive connection's next request), or is
answered 408 and closed; and a head over --h11-max-incomplete-event-size bytes (applied here
to httptools too; 64 KiB when unset) is answered 431. Nothing changes once the head is in: a
slow body, a long SSE stream or a websocket is never cut. Used as
`uvicorn --http project.server:HttpToolsProtocol` (Procfile, `make run`, the tests' LiveEasel).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as UvicornHttpToolsProtocol

logger = logging.getLogger("uvicorn.error")

DEFAULT_MAX_HEAD_BYTES = 64 * 1024
# Seconds a refused connection is read (and what it sends dropped) before it is closed: closing
# with its unread bytes in the buffer would reset it, and the client would never see our answer.
LINGER = 2.0


class HttpToolsProtocol(UvicornHttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django's settings are configured by now: uvicorn loads the app before any connection.
        self.head_timeout = float(settings.EASEL_HEADER_TIMEOUT)
        self.max_head_bytes = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_HEAD_BYTES
        self._head_deadline: asyncio.TimerHandle | None = None
        self._in_head = True  # from the connection (or a request's first byte) to its blank line
        self._head_bytes = 0
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            # The head is still not complete after all of `data`.
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self._refuse(431, "Request Header Fields Too Large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0
        if self._head_deadline is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        self._in_head = False
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self.head_timeout > 0:
            self._head_deadline = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if not self._in_head or self.transport.is_closing():
            return
        if self._head_bytes:
            self._refuse(408, "Request Timeout")
        else:
            self.transport.close()  # nothing was sent, so nobody to answer

    def _refuse(self, status: int, reason: str) -> None:
        """Answer a head that broke a limit and close: the rest of it is never parsed."""
        peer = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        logger.info("%s: %s, closing the connection", peer, reason.lower())
        body = reason.encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, body, len(body), body)
        )
        self._disarm()
        self._in_head, self._refused = False, True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER, self.transport.close)
