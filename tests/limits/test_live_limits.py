"""The limits on live servers: two web processes on one Redis and one database share the request
rate, the run slots and the websocket count; and the server itself closes a connection that
trickles its request head, or never sends one, without cutting a slow stream."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.support.processes import LiveEasel

HEADER_TIMEOUT = 2.0
KEEPALIVE = 2
SLACK = 1.5  # seconds: a timer's lateness on a busy 2-core machine, and our reading
LIMITS = {
    "EASEL_RATE_LIMIT_PER_MINUTE": "20",
    "EASEL_MAX_RUNS_PER_PROJECT": "3",
    "EASEL_MAX_WEBSOCKETS_PER_KEY": "2",
    "EASEL_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
    "EASEL_KEEPALIVE_TIMEOUT": str(KEEPALIVE),
    "EASEL_WEB_MAX_CONNECTIONS": "40",
    "EASEL_SSE_KEEPALIVE": "0.5",
}


@dataclass
class Pair:
    one: LiveEasel
    two: LiveEasel

    def key(self, project: str) -> str:
        """A new key (of a new project, unless it exists): each test meters its own."""
        return self.one.create_api_key(project)


@pytest.fixture(scope="module")
def pair(tmp_path_factory, redis_server) -> Iterator[Pair]:
    """Two web processes, one Redis, one database; no worker, so accepted runs stay queued."""
    env = {**LIMITS, "REDIS_URL": redis_server.fresh_url()}
    one = LiveEasel(tmp_path_factory.mktemp("limits-one"), env_overrides=env)
    try:
        two = LiveEasel(
            tmp_path_factory.mktemp("limits-two"), env_overrides={**env, "DATABASE_URL": one.env["DATABASE_URL"]}
        )
    except Exception:
        one.stop()
        raise
    yield Pair(one, two)
    two.stop()
    one.stop()


async def test_two_web_processes_share_one_key_s_requests_a_minute(pair):
    key, other = pair.key("rate-shared"), pair.key("rate-other")
    servers = [pair.one, pair.two]
    async with httpx.AsyncClient(timeout=10) as client:

        async def get(n: int, secret: str) -> httpx.Response:
            return await client.get(f"{servers[n % 2].api_url}/threads", headers={"X-API-Key": secret})

        allowed = [(await get(n, key)).status_code for n in range(20)]
        refused = [await get(n, key) for n in range(2)]  # one to each process
        stranger = [(await get(n, other)).status_code for n in range(2)]

    assert allowed == [200] * 20
    assert [r.status_code for r in refused] == [429, 429]
    assert all("20 requests a minute per API key" in r.json()["detail"] for r in refused)
    assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)
    assert stranger == [200, 200], "another project's key is not metered with this one"


async def test_turns_sent_at_once_to_two_processes_take_exactly_the_free_run_slots(pair):
    key, other = pair.key("slots-raced"), pair.key("slots-other")
    body = {"content": "Tell me about yourself.", "llm_provider": "local", "stream": True}
    async with httpx.AsyncClient(timeout=30) as client:

        async def turn(n: int, secret: str) -> int:
            server = (pair.one, pair.two)[n % 2]
            headers = {"X-API-Key": secret}
            async with client.stream("POST", f"{server.api_url}/threads/messages", json=body, headers=headers) as r:
                return r.status_code  # the stream of a run that never starts: not read

        answers = await asyncio.gather(*(turn(n, key) for n in range(10)))
        elsewhere = await turn(0, other)

    assert sorted(answers) == [200] * 3 + [429] * 7
    assert elsewhere == 200


async def test_websockets_of_one_key_are_counted_across_processes_and_freed_on_close(pair):
    key = pair.key("feeds")
    project_id = pair.one.manage(
        "shell", "-c", "from designs.models import Project; print(Project.objects.get(name='feeds').id)"
    ).split()[-1]

    def url(server: LiveEasel) -> str:
        return server.base_url.replace("http://", "ws://") + f"/ws/projects/{project_id}"

    headers = {"X-API-Key": key}
    first = await websockets.connect(url(pair.one), additional_headers=headers)
    second = await websockets.connect(url(pair.two), additional_headers=headers)
    try:
        third = await websockets.connect(url(pair.one), additional_headers=headers)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(third.recv(), 5)
        assert closed.value.rcvd.code == 4429

        await first.close()
        reopened = await _connect_within(url(pair.two), headers, 5)
        await reopened.close()
    finally:
        await first.close()
        await second.close()


async def _connect_within(url: str, headers: dict, seconds: float):
    """A feed as soon as a slot is free (the release runs when the server sees the close)."""
    deadline = time.monotonic() + seconds
    while True:
        ws = await websockets.connect(url, additional_headers=headers)
        try:
            await asyncio.wait_for(ws.recv(), 0.3)
        except TimeoutError:
            return ws  # accepted and still open
        except ConnectionClosed:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


def _raw(easel: LiveEasel) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", easel.port), timeout=10)
    sock.settimeout(10)
    return sock


def _closed_after(sock: socket.socket, started: float) -> tuple[float, bytes]:
    """Read until the server closes; (seconds since `started`, what it sent)."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return time.monotonic() - started, received


def test_a_client_trickling_its_header_lines_is_closed_within_the_header_timeout(pair):
    with _raw(pair.one) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sock.settimeout(0.5)
        for n in range(20):  # one more line every half second, never the blank line
            try:
                answer = sock.recv(4096)
                break  # the server answered (and closes)
            except TimeoutError:
                sock.sendall(b"X-Slow-%d: yes\r\n" % n)
        elapsed = time.monotonic() - started
        sock.settimeout(10)
        _, rest = _closed_after(sock, started)

    assert elapsed < HEADER_TIMEOUT + SLACK
    assert (answer + rest).startswith(b"HTTP/1.1 408 ")


def test_a_connection_that_sends_nothing_is_closed_within_the_header_timeout(pair):
    with _raw(pair.one) as sock:
        elapsed, answer = _closed_after(sock, time.monotonic())

    assert HEADER_TIMEOUT - 0.5 < elapsed < HEADER_TIMEOUT + SLACK
    assert answer == b""


def test_a_request_head_over_the_size_limit_is_refused_with_431(pair):
    with _raw(pair.one) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        with contextlib.suppress(OSError):
            sock.sendall(b"X-Big: " + b"a" * 200_000 + b"\r\n")
        _elapsed, answer = _closed_after(sock, time.monotonic())

    assert answer.startswith(b"HTTP/1.1 431 ")


def test_an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout(pair):
    with _raw(pair.one) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = sock.recv(65536)
        elapsed, _rest = _closed_after(sock, time.monotonic())

    assert first.startswith(b"HTTP/1.1 200 ")
    assert elapsed < KEEPALIVE + SLACK


def test_a_slow_sse_stream_outlives_the_header_timeout(pair):
    """A queued run's stream sends nothing but keepalives: it stays open as long as it is read."""
    key = pair.key("slow-stream")
    body = {"content": "Tell me about yourself.", "llm_provider": "local", "stream": True}
    started, lines = time.monotonic(), []
    with (
        httpx.Client(timeout=10) as client,
        client.stream("POST", f"{pair.one.api_url}/threads/messages", json=body, headers={"X-API-Key": key}) as r,
    ):
        assert r.status_code == 200
        for line in r.iter_lines():
            lines.append((time.monotonic() - started, line))
            if time.monotonic() - started > 3 * HEADER_TIMEOUT:
                break

    assert lines[-1][0] > 3 * HEADER_TIMEOUT, "the stream ended early"
    assert sum(1 for at, line in lines if at > HEADER_TIMEOUT and line.startswith(":")) >= 2


def test_more_connections_than_the_server_takes_are_answered_503_until_they_go(pair):
    idle = [_raw(pair.two) for _ in range(40)]  # never send a request: held until the header timeout
    try:
        time.sleep(0.2)
        crowded = httpx.get(f"{pair.two.base_url}/healthz", timeout=10)
        time.sleep(HEADER_TIMEOUT + SLACK)  # the header timeout closes the idle ones
        served = httpx.get(f"{pair.two.base_url}/healthz", timeout=10)
    finally:
        for sock in idle:
            sock.close()

    assert crowded.status_code == 503
    assert served.status_code == 200
