"""A real webhook receiver: an HTTP server on a loopback port, in a thread of the test process.

It records every request it gets (method, path, headers, the raw body) and answers as the test
scripted it: statuses in sequence (500, 500, then 200), a 410, a redirect, a hang of N seconds,
a connection reset. Once the script is spent it answers `then` (200 by default).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: str = "ok"
    hang: float = 0.0  # seconds to wait before answering
    reset: bool = False  # drop the connection with a TCP reset instead of answering
    location: str = ""  # a Location header: a redirect


def status(code: int, body: str = "") -> Answer:
    return Answer(code, body or f"answered {code}")


def hang(seconds: float) -> Answer:
    return Answer(hang=seconds)


def reset() -> Answer:
    return Answer(reset=True)


def redirect(to: str, code: int = 302) -> Answer:
    return Answer(code, f"moved to {to}", location=to)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)

    def verified(self, secret: str) -> dict[str, Any]:
        """The event, once the Standard Webhooks library accepts its signature with `secret`
        (WebhookVerificationError otherwise)."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    def __init__(self, then: Answer | None = None) -> None:
        self.then = then or Answer()
        self._script: deque[Answer] = deque()
        self._received: list[Received] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def answers(self, *script: Answer, then: Answer | None = None) -> Receiver:
        """Answer the next requests with `script`, in order, and every one after with `then`."""
        with self._changed:
            self._script = deque(script)
            if then is not None:
                self.then = then
        return self

    @property
    def received(self) -> list[Received]:
        with self._changed:
            return list(self._received)

    def verified(self, secret: str) -> list[dict[str, Any]]:
        """Every request so far, each verified with `secret` (WebhookVerificationError otherwise)."""
        return [r.verified(secret) for r in self.received]

    def of_type(self, kind: str) -> list[Received]:
        return [r for r in self.received if r.event.get("type") == kind]

    def wait_for(self, count: int, timeout: float = 15, kind: str | None = None) -> list[Received]:
        """The first `count` requests (of event type `kind`), once that many arrived; fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                got = [r for r in self._received if kind is None or json.loads(r.body).get("type") == kind]
                if len(got) >= count:
                    return got[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(got)} of {count} {kind or 'request'}(s) arrived within {timeout} s")
                self._changed.wait(left)

    def stop(self) -> None:
        self._stopping.set()  # hanging answers give up at once
        self.server.shutdown()
        self.server.server_close()

    def _take(self, request: Received) -> Answer:
        with self._changed:
            self._received.append(request)
            self._changed.notify_all()
            return self._script.popleft() if self._script else self.then


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = receiver._take(Received(self.command, self.path, headers, body, time.monotonic()))
            if answer.reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                return
            if answer.hang and receiver._stopping.wait(answer.hang):
                return
            payload = answer.body.encode()
            try:
                self.send_response(answer.status)
                if answer.location:
                    self.send_header("Location", answer.location)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender gave up waiting (its timeout) before the answer

        do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
