"""Machinery shared by the Anthropic and Gemini fakes: scripted replies, fault switches, streams.

Fault switches (constructor kwargs, `fake.faults[...] = ...`, or `POST /__fake__/faults`):

    status        int        answer with this HTTP status and the vendor's real error body
    retry_after   float      on a 429: seconds to wait (Anthropic: header; Gemini: RetryInfo in the body)
    message       str        error message instead of the vendor's usual one
    fail_first    int        apply all switches to the next N API requests only, then serve normally
    delay         float      sleep before the response headers (exercises client read timeouts)
    pace          float      sleep between stream events (lets a client cancel mid-stream)
    after         int        stream events sent before a mid-stream fault fires (default 1)
    stall         float      sleep this long mid-stream (after `after` events)
    drop          bool       close the connection mid-stream, without the final chunk
    malformed     bool       one event with cut-off JSON mid-stream; non-streaming: a truncated body
    stream_error  str        the vendor's mid-stream error event of this type, then end the stream
    safety        bool|str   a safety block (vendor-specific: Anthropic refusal, Gemini finishReason)
    block_reason  str        Gemini: block the prompt via promptFeedback.blockReason

Scripted replies (see `agent_mode.reply_from_script`) are queued with `fake.script([...])` or
`POST /__fake__/script` (a JSON object or list); each API request takes the next one, and
falls back to agent mode when the queue is empty. `GET /__fake__/outcomes` lists how each
stream ended (`fake.stream_outcomes` in-process). `POST /__fake__/reset` clears all of it.
"""

from __future__ import annotations

import collections
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from tests.fakes.agent_mode import Reply, reply_from_script
from tests.fakes.base import FakeHandler, FakeHTTPServer, FakeServer


@dataclass(frozen=True)
class Faults:
    """The fault switches in force for one request (see the module docstring)."""

    status: int | None = None
    retry_after: float | None = None
    message: str | None = None
    fail_first: int | None = None
    delay: float = 0.0
    pace: float = 0.0
    after: int = 1
    stall: float = 0.0
    drop: bool = False
    malformed: bool = False
    stream_error: str | None = None
    safety: bool | str | None = None
    block_reason: str | None = None

    @classmethod
    def from_switches(cls, switches: dict[str, Any]) -> Faults:
        """Build from a switch dict; an unknown name is a test bug, so it raises ValueError."""
        known = {f.name for f in fields(cls)}
        unknown = set(switches) - known
        if unknown:
            raise ValueError(f"unknown fault switches: {sorted(unknown)}")
        return cls(**switches)

    @property
    def mid_stream(self) -> bool:
        return bool(self.stall or self.drop or self.malformed or self.stream_error)


NO_FAULTS = Faults()


class ScriptedHTTPServer(FakeHTTPServer):
    """The base server plus a queue of scripted replies and a log of how each stream ended."""

    def __init__(self, address: tuple[str, int], handler: type[FakeHandler]) -> None:
        super().__init__(address, handler)
        self._kit_lock = threading.Lock()
        self.script: collections.deque[Reply] = collections.deque()
        self.stream_outcomes: list[str] = []

    def reset(self) -> None:
        super().reset()
        with self._kit_lock:
            self.script.clear()
            self.stream_outcomes.clear()

    def enqueue(self, items: Iterable[dict[str, Any]]) -> None:
        replies = [reply_from_script(item) for item in items]  # validate all before queueing any
        with self._kit_lock:
            self.script.extend(replies)

    def next_reply(self) -> Reply | None:
        with self._kit_lock:
            return self.script.popleft() if self.script else None

    def take_faults(self) -> Faults:
        """The switches for this request, counting down `fail_first` atomically."""
        with self._kit_lock:
            remaining = self.faults.get("fail_first")
            if remaining is not None:
                if int(remaining) <= 0:
                    return NO_FAULTS
                self.faults["fail_first"] = int(remaining) - 1
            return Faults.from_switches(dict(self.faults))

    def record_outcome(self, outcome: str) -> None:
        with self._kit_lock:
            self.stream_outcomes.append(outcome)


class VendorHandler(FakeHandler):
    """A FakeHandler that can send raw bodies and SSE streams with faults injected.

    Subclasses provide `malformed_frame()` and `error_frame(error_type)` in their own framing.
    """

    server: ScriptedHTTPServer

    # --- control endpoints ----------------------------------------------------------------
    def _control(self, method: str, path: str, body: bytes) -> None:
        if path == "/__fake__/script" and method == "POST":
            payload = json.loads(body or b"[]")
            self.server.enqueue(payload if isinstance(payload, list) else [payload])
            self.send_json(200, {"queued": len(self.server.script)})
        elif path == "/__fake__/outcomes" and method == "GET":
            self.send_json(200, list(self.server.stream_outcomes))
        else:
            super()._control(method, path, body)

    # --- plain bodies -----------------------------------------------------------------------
    def send_bytes(self, status: int, body: bytes, headers: dict[str, str], faults: Faults = NO_FAULTS) -> None:
        """Send a complete body; `malformed`, `drop` and `stall` cut or pause it halfway."""
        if faults.malformed:
            body = body[: len(body) // 2]
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        half = len(body) // 2
        if faults.drop:
            self.wfile.write(body[:half])
            self.drop_connection()
            return
        if faults.stall:
            self.wfile.write(body[:half])
            self.wfile.flush()
            time.sleep(faults.stall)
            body = body[half:]
        try:
            self.wfile.write(body)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its read timeout fired)

    def drop_connection(self) -> None:
        """Close the socket abruptly, as a proxy or a crashed server would."""
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):  # already closed by the peer
            self.connection.shutdown(socket.SHUT_RDWR)

    # --- streams ----------------------------------------------------------------------------
    def stream_frames(self, frames: Sequence[bytes], headers: dict[str, str], faults: Faults) -> None:
        """Write SSE frames as chunks, injecting the mid-stream fault after `faults.after` frames."""
        self.start_sse(headers)
        outcome = "completed"
        fire_at = min(faults.after, len(frames) - 1)  # never past the last frame: the fault must fire
        try:
            for index, frame in enumerate(frames):
                if faults.mid_stream and index == fire_at:
                    outcome = self._inject(faults)
                    if outcome != "stalled":
                        break
                self.write_chunk(frame)
                if faults.pace:
                    time.sleep(faults.pace)
            if outcome != "dropped":
                self.end_chunks()
        except OSError:  # BrokenPipe / ConnectionReset: the client closed the stream
            outcome = "client_closed"
            self.close_connection = True
        self.server.record_outcome(outcome)

    def _inject(self, faults: Faults) -> str:
        if faults.stall:
            time.sleep(faults.stall)
            if not (faults.drop or faults.malformed or faults.stream_error):
                return "stalled"
        if faults.malformed:
            self.write_chunk(self.malformed_frame())
            return "malformed"
        if faults.stream_error:
            self.write_chunk(self.error_frame(faults.stream_error))
            return "error_event"
        self.drop_connection()
        return "dropped"

    def malformed_frame(self) -> bytes:
        raise NotImplementedError

    def error_frame(self, error_type: str) -> bytes:
        raise NotImplementedError


class VendorFakeServer(FakeServer):
    """A FakeServer whose HTTP server also keeps a reply script and stream outcomes."""

    handler: type[VendorHandler]
    httpd: ScriptedHTTPServer

    def __init__(self, port: int = 0, **faults: Any) -> None:
        Faults.from_switches(faults)  # fail at construction on a misspelt switch
        # The base class would build a plain FakeHTTPServer; ours must hold the script too.
        self.httpd = ScriptedHTTPServer(("127.0.0.1", port), self.handler)
        self.httpd.faults.update(faults)
        # A short poll interval: `stop()` waits one interval, and suites start many fakes.
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def script(self, items: Iterable[dict[str, Any]]) -> None:
        """Queue replies for the next API requests, in order."""
        self.httpd.enqueue(items)

    @property
    def stream_outcomes(self) -> list[str]:
        """How each stream ended: completed, client_closed, dropped, stalled, malformed, error_event."""
        return list(self.httpd.stream_outcomes)

    def wait_for_outcome(self, timeout: float = 2.0) -> str | None:
        """The latest stream outcome, waiting up to `timeout` seconds for one to be recorded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.httpd.stream_outcomes:
                return self.httpd.stream_outcomes[-1]
            time.sleep(0.01)
        return None

    def json_bodies(self) -> list[Any]:
        """The parsed JSON body of every API request, in order."""
        return [record["json"] for record in self.requests]
