"""Real processes for tests: a Redis server, a live Easel web server, Celery workers.

Each runs from this checkout with its own temporary directory, database and port, and is
stopped at the end, so tests see exactly what a deployment would.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout} s")


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class RedisServer:
    """A private redis-server on a free loopback port, nothing kept on disk."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; run `make test` (it installs it)")
        self.port = port or free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._ping, 10, "redis-server")

    @classmethod
    def on_port(cls, workdir: Path, port: int) -> RedisServer:
        """A new server on a port an earlier one used (a Redis restart)."""
        return cls(workdir, port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def fresh_url(self) -> str:
        """A URL on a database no other live server of this session uses: Celery workers on a
        shared database would take each other's tasks."""
        self._next_db = getattr(self, "_next_db", 0) + 1
        if self._next_db > 15:
            raise RuntimeError("out of Redis databases: start another RedisServer")
        return f"redis://127.0.0.1:{self.port}/{self._next_db}"

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        stop_process(self.process)


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def maintenance_connection(url: str):
    """An autocommit connection to the `postgres` database of the server `url` names. The
    maintenance database always exists; `url`'s own may not (pytest-django creates
    test_<name>, never <name>)."""
    import psycopg

    return psycopg.connect(f"{url.rsplit('/', 1)[0]}/postgres", autocommit=True)


def _drop_database(url: str) -> None:
    """Drop a live server's PostgreSQL database once its processes are gone."""
    if not is_postgres(url):
        return
    with maintenance_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _database_url(workdir: Path, server: str = "") -> str:
    """A fresh database for one live server: PostgreSQL when the suite runs on it (or on
    `server`, a PostgreSQL URL, whatever the suite runs on), else SQLite."""
    base = server or os.environ.get("DATABASE_URL", "")
    if not is_postgres(base):
        return f"sqlite:///{workdir / 'easel.sqlite3'}"
    name = f"easel_live_{uuid.uuid4().hex[:12]}"
    with maintenance_connection(base) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base.rsplit('/', 1)[0]}/{name}"


# Limits the suite does not exercise, high enough that no other test meets them (30 held
# streams, one key for a whole session's requests); below os.environ, so CI can still set them,
# and below env_overrides, so the limit tests set their own.
LIMITS_FOR_TESTS = {
    "EASEL_MAX_RUNS_PER_PROJECT": "1000",
    "EASEL_MAX_RUNS_PER_KEY": "1000",
    "EASEL_RATE_LIMIT_PER_MINUTE": "100000",
    "EASEL_MAX_WEBSOCKETS_PER_USER": "1000",
    "EASEL_MAX_WEBSOCKETS_PER_KEY": "1000",
}


def server_flags(env: dict[str, str]) -> list[str]:
    """The uvicorn limits the Procfile's `web:` and `make run` set, read from the same variables
    with the same defaults (tests/limits/test_server_limits.py checks the three agree)."""
    return [
        "--http",
        "project.server:HttpToolsProtocol",
        "--timeout-keep-alive",
        env.get("EASEL_KEEPALIVE_TIMEOUT", "5"),
        "--limit-concurrency",
        env.get("EASEL_WEB_MAX_CONNECTIONS", "1000"),
        "--h11-max-incomplete-event-size",
        env.get("EASEL_MAX_HEADER_BYTES", "65536"),
    ]


@functools.cache
def collected_static() -> Path:
    """`collectstatic` once per test session into a folder every live server shares
    (EASEL_STATIC_ROOT), as `make run` and the Procfile's release do before serving."""
    root = Path(tempfile.mkdtemp(prefix="easel-static-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    env = {**os.environ, "DJANGO_SECRET_KEY": "collectstatic", "EASEL_STATIC_ROOT": str(root)}
    command = [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"collectstatic failed:\n{result.stdout}\n{result.stderr}")
    return root


def _web_healthy(process: subprocess.Popen, port: int, log_path: Path) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"web server exited:\n{log_path.read_text()[-3000:]}")
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class WebServer:
    """One more uvicorn process of a LiveEasel: same database, Redis, storage and secret key."""

    process: subprocess.Popen
    port: int
    log_path: Path

    base_url = property(lambda self: f"http://127.0.0.1:{self.port}")
    api_url = property(lambda self: f"{self.base_url}/api")


@dataclass
class LiveEasel:
    """`manage.py migrate`, two projects' keys, and uvicorn serving project.asgi on a free port.

    `database_server` (a PostgreSQL URL) makes the fresh database there even when the suite runs
    on SQLite. With `own_dirs`, each process it starts (web servers, workers, beat) runs in
    workdir/processes/<name>/, its EASEL_VAR_DIR, with its MEDIA_ROOT inside: whatever a process
    writes to local disk is found there (`process_dirs`).
    """

    workdir: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    workers: int = 0
    database_server: str = ""
    own_dirs: bool = False

    def __post_init__(self) -> None:
        self.port = free_port()
        self.env = {
            **LIMITS_FOR_TESTS,
            **os.environ,
            "DJANGO_SECRET_KEY": "live-test-secret-" + uuid.uuid4().hex,
            "EASEL_VAR_DIR": str(self.workdir),
            "EASEL_STATIC_ROOT": str(collected_static()),
            "DATABASE_URL": _database_url(self.workdir, self.database_server),
            "EASEL_LOCAL_FALLBACK": "1",
            "EASEL_LOCAL_STREAM_DELAY": "0.002",
            "PYTHONUNBUFFERED": "1",
            **self.env_overrides,
        }
        self.env.pop("DJANGO_DEBUG", None)
        self._processes: list[subprocess.Popen] = []
        self.manage("migrate", "--noinput", "-v", "0")
        self.api_key = self.create_api_key("alpha")
        self.other_api_key = self.create_api_key("bravo")
        self.log_path = self.workdir / "web.log"
        self.web = self._spawn(self._web_command(self.port), self.log_path, "web")
        wait_for(self._healthy, 30, "Easel web server")
        for index in range(self.workers):
            self.start_worker(f"w{index}")

    base_url = WebServer.base_url
    api_url = WebServer.api_url

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def create_api_key(self, project: str) -> str:
        return self.manage("create_api_key", project).strip().splitlines()[-1]

    def _web_command(self, port: int) -> list[str]:
        return [
            str(BIN / "uvicorn"),
            "project.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            *server_flags(self.env),
        ]

    def start_web(self, name: str) -> WebServer:
        """Another web process on the same database, Redis and storage, on a port of its own:
        what a load balancer spreads requests over. Returns once it answers /healthz."""
        port = free_port()
        log_path = self.workdir / f"web-{name}.log"
        process = self._spawn(self._web_command(port), log_path, f"web-{name}")
        wait_for(lambda: _web_healthy(process, port, log_path), 30, f"Easel web server {name}")
        return WebServer(process, port, log_path)

    def process_dirs(self) -> list[Path]:
        """The directories of the processes started with `own_dirs` (none without it)."""
        return sorted(p for p in (self.workdir / "processes").glob("*") if p.is_dir())

    def start_worker(self, name: str, *extra: str) -> subprocess.Popen:
        return self._spawn(
            [
                str(BIN / "celery"),
                "-A",
                "project",
                "worker",
                "--loglevel",
                "INFO",
                "-n",
                f"{name}@%h",
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
                *extra,
            ],
            self.workdir / f"worker-{name}.log",
            f"worker-{name}",
        )

    def start_beat(self) -> subprocess.Popen:
        return self._spawn(
            [
                str(BIN / "celery"),
                "-A",
                "project",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.workdir / "celerybeat-schedule"),
            ],
            self.workdir / "beat.log",
            "beat",
        )

    def _spawn(self, command: list[str], log: Path, name: str = "") -> subprocess.Popen:
        cwd, env = ROOT, self.env
        if self.own_dirs and name:
            cwd = self.workdir / "processes" / name
            cwd.mkdir(parents=True, exist_ok=True)
            python_path = os.pathsep.join(filter(None, [str(ROOT), self.env.get("PYTHONPATH", "")]))
            env = {
                **self.env,
                "EASEL_VAR_DIR": str(cwd),
                "EASEL_MEDIA_ROOT": str(cwd / "media"),
                "PYTHONPATH": python_path,
            }
        handle = open(log, "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._processes.append(process)
        return process

    def _healthy(self) -> bool:
        return _web_healthy(self.web, self.port, self.log_path)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-5000:] for p in sorted(self.workdir.glob("*.log")))

    def stop(self) -> None:
        for process in reversed(self._processes):
            stop_process(process)
        _drop_database(self.env["DATABASE_URL"])
