"""A minimal HTTP/1.1 SSE client that records when each stamped delta arrives.

Deliberately bare asyncio (one connection per stream, chunked or plain bodies): on a 2-core
machine the load generator shares the CPU with the system under test, so every microsecond it
spends per event is taken from what it measures. A full client library costs several times more.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.paced_fake import DELTA

# What one SSE `data:` payload means to a benchmark: delta text, the end, a failure, or nothing.
Reading = tuple[str, str]  # ("delta", text) | ("end", "") | ("error", message) | ("skip", "")
SKIP: Reading = ("skip", "")


@dataclass
class Stream:
    started: float = 0.0  # time.time() just before the request was written
    status: int = 0
    first_event: float | None = None  # arrival of the first `data:` event of any kind
    first: float | None = None  # arrival of the first content delta
    deltas: list[tuple[int, float, float]] = field(default_factory=list)  # (k, sent, received)
    ended: bool = False  # the stream's own end marker arrived
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ttfe(self) -> float | None:
        return None if self.first is None else self.first - self.started


def openai_reading(data: bytes) -> Reading:
    """A Chat Completions chunk (direct to the fake, or relayed by LiteLLM)."""
    if data == b"[DONE]":
        return ("end", "")
    chunk = json.loads(data)
    if chunk.get("error"):
        return ("error", str(chunk["error"])[:300])
    for choice in chunk.get("choices") or ():
        text = (choice.get("delta") or {}).get("content")
        if text:
            return ("delta", text)
    return SKIP


EASEL_ENDS = {"run_ended": None, "run_failed": "error", "run_cancelled": "cancelled", "error": "error"}


def easel_reading(data: bytes) -> Reading:
    """An Easel run event: content_streaming carries the delta, a terminal event ends the stream."""
    event = json.loads(data)
    kind = event.get("type")
    if kind == "content_streaming":
        return ("delta", event.get("content") or "")
    if kind in EASEL_ENDS:
        if kind == "run_ended":
            return ("end", "")
        return ("error", f"{kind}: {event.get('error') or ''}"[:300])
    return SKIP


def request_bytes(method: str, path: str, port: int, headers: dict[str, str], body: dict) -> bytes:
    payload = json.dumps(body).encode()
    lines = [
        f"{method} {path} HTTP/1.1",
        f"host: 127.0.0.1:{port}",
        "connection: close",
        "content-type: application/json",
        "accept: text/event-stream",
        f"content-length: {len(payload)}",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def run_stream(port: int, request: bytes, read: Callable[[bytes], Reading], within: float) -> Stream:
    """Send one request to 127.0.0.1:port and follow its event stream to the end (or timeout)."""
    result = Stream()
    writer = None
    try:
        async with asyncio.timeout(within):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            result.started = time.time()
            writer.write(request)
            await _read_response(reader, result, read)
    except TimeoutError:
        result.error = result.error or f"timed out after {within:g} s"
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        result.error = result.error or f"{type(exc).__name__}: {exc}"[:300]
    finally:
        if writer is not None:
            writer.close()
    return result


async def _read_response(reader: asyncio.StreamReader, result: Stream, read: Callable[[bytes], Reading]) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    result.status = int(status_line.split()[1])
    result.headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
    if result.status != 200:
        body = await reader.read(2000)
        result.error = f"HTTP {result.status}: {body[:300].decode(errors='replace')}"
        return
    chunked = "chunked" in result.headers.get("transfer-encoding", "")
    buffer = b""
    while not result.ended and result.error is None:
        if chunked:
            line = await reader.readline()
            if not line.strip():
                raise ConnectionResetError("the server closed the stream mid-way")
            size = int(line.split(b";")[0], 16)
            if size == 0:
                return
            data = (await reader.readexactly(size + 2))[:-2]
        else:
            data = await reader.read(65536)
            if not data:
                return
        received = time.time()
        buffer += data.replace(b"\r\n", b"\n")
        *events, buffer = buffer.split(b"\n\n")
        for event in events:
            _take(event, received, result, read)


def _take(event: bytes, received: float, result: Stream, read: Callable[[bytes], Reading]) -> None:
    for line in event.split(b"\n"):
        if not line.startswith(b"data:"):
            continue
        kind, value = read(line[5:].strip())
        if result.first_event is None:
            result.first_event = received
        if kind == "delta":
            match = DELTA.match(value)
            if match:
                result.deltas.append((int(match[1]), float(match[2]), received))
                if result.first is None:
                    result.first = received
        elif kind == "end":
            result.ended = True
        elif kind == "error":
            result.error = value
