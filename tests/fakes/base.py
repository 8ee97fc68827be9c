"""A loopback HTTP server harness that every fake provider builds on.

A fake runs in a background thread of the test process (`with FakeServer() as fake:`) or as its
own process (`python -m tests.fakes.<vendor> --port N`), so a live Easel server and a Celery
worker in other processes can use it too. Either way it keeps a log of the requests it got
and a set of fault switches, both also reachable over HTTP:

    GET  /__fake__/requests   -> JSON list of {"method", "path", "query", "headers", "body_b64", "json"}
    POST /__fake__/faults     -> JSON object merged into the fault switches (e.g. {"status": 429})
    POST /__fake__/reset      -> clears requests and faults
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class FakeHandler(BaseHTTPRequestHandler):
    """Subclasses implement `handle_api(method, path, query, body)` and write the response."""

    protocol_version = "HTTP/1.1"
    server: FakeHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    # --- helpers for subclasses -----------------------------------------------------------
    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def start_sse(self, headers: dict[str, str] | None = None) -> None:
        """Start a text/event-stream response, chunked, written with `write_chunk`."""
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()

    def write_chunk(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        if not data:
            return
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    @property
    def faults(self) -> dict[str, Any]:
        return self.server.faults

    # --- dispatch ------------------------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if parts.path.startswith("/__fake__/"):
            self._control(method, parts.path, body)
            return
        try:
            parsed = json.loads(body) if body and "json" in (self.headers.get("content-type") or "") else None
        except ValueError:
            parsed = None
        self.server.log_request_record(
            {
                "method": method,
                "path": parts.path,
                "query": {k: v[-1] for k, v in parse_qs(parts.query).items()},
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body_b64": base64.b64encode(body).decode(),
                "json": parsed,
            }
        )
        self.handle_api(method, parts.path, parse_qs(parts.query), body)

    def _control(self, method: str, path: str, body: bytes) -> None:
        if path == "/__fake__/requests" and method == "GET":
            self.send_json(200, self.server.requests_snapshot())
        elif path == "/__fake__/faults" and method == "POST":
            self.server.faults.update(json.loads(body or b"{}"))
            self.send_json(200, self.server.faults)
        elif path == "/__fake__/reset" and method == "POST":
            self.server.reset()
            self.send_json(200, {"ok": True})
        else:
            self.send_json(404, {"error": "unknown control path"})

    def handle_api(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[FakeHandler]) -> None:
        super().__init__(address, handler)
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.faults: dict[str, Any] = {}
        self._connections: set[socket.socket] = set()
        self.connections_accepted = 0  # TCP connections, for tests of a client's connection reuse

    # A stopped server closes the connections it kept alive, as a real one does: otherwise a
    # client's pooled connection would go on talking to this server's handler threads after a
    # new fake took the same port.
    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._connections.add(request)
            self.connections_accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._lock:
            kept, self._connections = list(self._connections), set()
        for connection in kept:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def log_request_record(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(record)

    def requests_snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.requests)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.faults.clear()


class FakeServer:
    """Run a FakeHandler subclass on 127.0.0.1 in a background thread."""

    handler: type[FakeHandler]

    def __init__(self, port: int = 0, **faults: Any) -> None:
        self.httpd = FakeHTTPServer(("127.0.0.1", port), self.handler)
        self.httpd.faults.update(faults)
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.httpd.requests_snapshot()

    @property
    def faults(self) -> dict[str, Any]:
        return self.httpd.faults

    def reset(self) -> None:
        self.httpd.reset()

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_main(server_cls: type[FakeServer]) -> None:
    """`python -m tests.fakes.<vendor> --port N`: serve until killed, printing the origin."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = server_cls(port=args.port)
    print(server.origin, flush=True)
    server.httpd.serve_forever()
