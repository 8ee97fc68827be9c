"""The production topology scaled out on one machine: two web processes and two Celery workers
(and beat) on one PostgreSQL, one Redis and one S3-compatible server, reached by their ports.

Each process runs in a directory of its own (its working directory, EASEL_VAR_DIR and
MEDIA_ROOT), so anything one of them keeps on local disk shows up there; and each web process
knows only what the database, Redis and the bucket tell it, so what one serves of another's
work proves nothing lives in process memory.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest
from celery import Celery

from tests.support.processes import LiveEasel, WebServer, is_postgres, maintenance_connection, wait_for
from tests.support.s3 import MotoServer

MACHINE_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"

# Slow local engines, so a test can act mid-run (a picture takes ~2 s, its preview half-way),
# and failover settings small enough that a killed worker's run comes back within seconds: an
# attempt is dead after 5 s without a heartbeat (beats every second), and beat's sweeper, every
# second, takes its run over; a redelivered message (after the visibility timeout) is the other
# way back. Nothing asserts these timings, only a generous bound.
SCALE_OUT = {
    "EASEL_LOCAL_STREAM_DELAY": "0.05",
    "EASEL_LOCAL_IMAGE_DELAY": "2",
    "EASEL_SSE_KEEPALIVE": "1",
    "EASEL_HEARTBEAT_SECONDS": "1",
    "EASEL_STALE_RUN_SECONDS": "5",
    "EASEL_SWEEP_INTERVAL": "1",
    "EASEL_VISIBILITY_TIMEOUT": "8",
    "EASEL_UNACKED_RESTORE_INTERVAL": "1",
    "EASEL_UNACKED_RESTORE_THROTTLE": "1",
}
WORKERS = ("w1", "w2")


def postgres_server() -> str:
    """The suite's PostgreSQL, or the machine's when the suite runs on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    url = url if is_postgres(url) else MACHINE_POSTGRES
    try:
        maintenance_connection(url).close()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: no PostgreSQL here
        pytest.skip(f"the scale-out test needs PostgreSQL and {url.split('@')[-1]} is unreachable: {exc}")
    return url


@dataclass
class Cluster:
    """The deployment under test: web A is the LiveEasel's own server, web B a second one."""

    easel: LiveEasel
    b: WebServer
    moto: MotoServer
    bucket: str
    workers: dict[str, subprocess.Popen]

    @property
    def a(self) -> LiveEasel:
        return self.easel

    @property
    def broker(self) -> str:
        return self.easel.env["REDIS_URL"]

    def headers(self, **extra: str) -> dict[str, str]:
        return {"X-API-Key": self.easel.api_key, **extra}

    @cached_property
    def control(self):
        """A bare Celery client on the workers' broker, for remote control only (ping, inspect)."""
        return Celery("scaleout-probe", broker=self.broker, set_as_current=False).control

    def worker_holding(self, run_id: str, timeout: float = 10) -> str:
        """The name (w1, w2) of the worker whose pool is executing the run, as `celery inspect
        active` reports it."""
        holder: list[str] = []

        def found() -> bool:
            active = self.control.inspect(timeout=1, limit=len(self.workers)).active() or {}
            holder[:] = [node.split("@")[0] for node, tasks in active.items() if run_id in str(tasks)]
            return bool(holder)

        wait_for(found, timeout, f"a worker executing run {run_id}")
        return holder[0]

    def kill_worker(self, name: str) -> None:
        """kill -9 of the whole worker: its main process and its pool, at once."""
        worker = self.workers[name]
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

    def restart_worker(self, name: str) -> None:
        self.workers[name] = self.easel.start_worker(name)

    def wait_for_workers(self, timeout: float = 60) -> None:
        expected = {f"{name}@" for name in self.workers}

        def all_answer() -> bool:
            replies = self.control.ping(timeout=1, limit=len(self.workers)) or []
            answered = {node.split("@")[0] + "@" for reply in replies for node in reply}
            return answered >= expected

        wait_for(all_answer, timeout, "both Celery workers")

    def local_files(self) -> list[Path]:
        """Every file any web process, worker or beat wrote under its own directory."""
        return sorted(p for d in self.easel.process_dirs() for p in d.rglob("*") if p.is_file())

    def bucket_keys(self) -> list[str]:
        return self.moto.keys(self.bucket)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, redis_server) -> Iterator[Cluster]:
    database_server = postgres_server()
    moto = MotoServer()
    bucket = moto.new_bucket()
    easel = None
    try:
        easel = LiveEasel(
            tmp_path_factory.mktemp("scaleout"),
            env_overrides={**SCALE_OUT, "REDIS_URL": redis_server.fresh_url(), **moto.env(bucket)},
            database_server=database_server,
            own_dirs=True,
        )
        # The workers and beat boot while web B does.
        workers = {name: easel.start_worker(name) for name in WORKERS}
        easel.start_beat()
        cluster = Cluster(easel, easel.start_web("b"), moto, bucket, workers)
        cluster.wait_for_workers()
        yield cluster
    finally:
        if easel is not None:
            easel.stop()
        moto.stop()
