"""Failover, measured from outside in the production topology with the default liveness settings
(a beat every 2 s, stale after 8 s, a sweep every 2 s): a Celery worker killed with SIGKILL while
it holds three streams ends each within 15 s, exactly once, on the second worker; a busy worker
keeps beating; the dead worker's messages coming back late change nothing; a client that drops
neither stops nor slows a run."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import pytest

from tests.durability.conftest import PICTURE
from tests.support.processes import LiveEasel, is_postgres, wait_for
from tests.support.sse import read_all, sse_events

# Chats stream ~65 chunks (3 s): still going at the kill, a second after they start. The picture
# shows its preview half a second after its tool call; restarted, it takes about 3 s.
DELAYS = {"EASEL_LOCAL_STREAM_DELAY": "0.05", "EASEL_LOCAL_IMAGE_DELAY": "1", "EASEL_SSE_KEEPALIVE": "1"}
LIVENESS = ("EASEL_HEARTBEAT_SECONDS", "EASEL_STALE_RUN_SECONDS", "EASEL_SWEEP_INTERVAL")
BOUND = 15.0  # seconds from the kill to each stream's ending (or restart)
STALE = 8.0  # the default EASEL_STALE_RUN_SECONDS
TERMINAL = {"run_ended", "run_failed", "run_cancelled", "error"}
SHOWN = {"content_streaming", "media_preview", "media_generated"}

# The local agent echoes up to 200 characters of it: an answer of ~65 chunks.
CHAT = {
    "content": "Tell me about yourself, " + "and about the sea, the sky and the mountains at dawn, " * 4,
    "stream": True,
    "llm_provider": "local",
}


@pytest.fixture(scope="module")
def easel(tmp_path_factory, redis_server) -> Iterator[LiveEasel]:
    live = LiveEasel(
        tmp_path_factory.mktemp("failover"), env_overrides={**DELAYS, "REDIS_URL": redis_server.fresh_url()}
    )
    assert not any(key in live.env for key in LIVENESS), "this file measures the default liveness settings"
    live.start_beat()
    yield live
    live.stop()


def start_worker(easel: LiveEasel, name: str, *extra: str) -> subprocess.Popen:
    """A worker with the Procfile's pool (threads), returned once it consumes."""
    worker = easel.start_worker(name, "--pool", "threads", "--concurrency", "8", *extra)
    log = easel.workdir / f"worker-{name}.log"
    wait_for(lambda: " ready." in log.read_text(errors="replace"), 60, f"worker {name}")
    return worker


def finished_tasks(easel: LiveEasel, name: str) -> int:
    log = (easel.workdir / f"worker-{name}.log").read_text(errors="replace")
    return len(re.findall(r"Task easel\.run_generation\[[^]]+\] succeeded", log))


@dataclass
class Stream:
    """One client's streaming turn: each event with the time it arrived."""

    body: dict
    events: list[tuple[float, dict]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def reaches(self, type: str) -> None:
        async with asyncio.timeout(30):
            while type not in self.types():
                self.arrived.clear()
                await self.arrived.wait()

    def types(self) -> list[str]:
        return [event["type"] for _, event in self.events]

    def at(self, type: str) -> float | None:
        return next((t for t, event in self.events if event["type"] == type), None)

    @property
    def ids(self) -> tuple[str, str]:
        return self.events[0][1]["thread_id"], self.events[0][1]["run_id"]

    async def follow(self, client: httpx.AsyncClient, easel: LiveEasel) -> None:
        url = f"{easel.api_url}/threads/messages"
        async with client.stream("POST", url, json=self.body, headers={"X-API-Key": easel.api_key}) as response:
            async for _id, event in sse_events(response):
                self.events.append((time.monotonic(), event))
                self.arrived.set()
                if event["type"] in TERMINAL:
                    return


def consume_default_queue(easel: LiveEasel) -> None:
    """Workers started with `-Q failover-standby` take the default queue (runs, sweeps) from now on."""
    from celery import Celery

    Celery(broker=easel.env["REDIS_URL"]).control.add_consumer("celery", reply=True, timeout=1)


def hand_back_unacked(easel: LiveEasel) -> set[str]:
    """What the broker does with a dead worker's messages once the visibility timeout (900 s by
    default) passes, done now: each unacknowledged message goes back to its queue, marked
    redelivered. Returns the run ids of the run_generation messages handed back."""
    from kombu import Connection

    with Connection(easel.env["REDIS_URL"], transport_options={"visibility_timeout": 0}) as connection:
        channel = connection.default_channel
        held = [json.loads(raw)[0] for raw in channel.client.hvals(channel.unacked_key)]
        channel.qos.restore_visible(num=100)
    return {
        message["headers"]["argsrepr"].strip("(),'")
        for message in held
        if message["headers"].get("task") == "easel.run_generation"
    }


async def replay(client, easel: LiveEasel, thread_id: str, run_id: str) -> list[dict]:
    url = f"{easel.api_url}/threads/{thread_id}/runs/{run_id}/events"
    return [event for _, event in await read_all(client, "GET", url, headers={"X-API-Key": easel.api_key})]


async def thread_state(client, easel: LiveEasel, thread_id: str) -> tuple[list, list]:
    """(the thread's answers as (status, content), its documents' ids)."""
    headers = {"X-API-Key": easel.api_key}
    thread = (await client.get(f"{easel.api_url}/threads/{thread_id}", headers=headers)).json()
    documents = (await client.get(f"{easel.api_url}/threads/{thread_id}/documents", headers=headers)).json()
    answers = [
        (m["status"], m["content"])
        for m in thread["messages"]
        if m["role"] == "assistant" and not m["metadata_"].get("tool_calls")
    ]
    return answers, sorted(d["document_id"] for d in documents)


async def test_a_killed_worker_s_three_streams_each_end_within_15_s_on_the_other_worker(easel):
    doomed = start_worker(easel, "doomed")
    survivor = start_worker(easel, "survivor", "-Q", "failover-standby")  # running, but takes no runs yet
    chats, picture = [Stream(CHAT), Stream(CHAT)], Stream(PICTURE)
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            followers = [asyncio.create_task(s.follow(client, easel)) for s in chats]
            await asyncio.gather(*(s.reaches("content_streaming") for s in chats))
            followers.append(asyncio.create_task(picture.follow(client, easel)))
            await picture.reaches("tool_call_ready")

            os.killpg(doomed.pid, signal.SIGKILL)  # the worker and every thread of its pool
            killed = time.monotonic()
            shown_before_kill = set(picture.types()) & SHOWN
            consume_default_queue(easel)
            await asyncio.wait_for(asyncio.gather(*followers), 60)

            before = [await replay(client, easel, *s.ids) for s in (*chats, picture)]
            states = [await thread_state(client, easel, s.ids[0]) for s in (*chats, picture)]
            done = finished_tasks(easel, "survivor")
            held = hand_back_unacked(easel)  # the late redelivery of the dead worker's three messages
            wait_for(lambda: finished_tasks(easel, "survivor") >= done + len(held), 30, "the redelivered tasks")
            after = [await replay(client, easel, *s.ids) for s in (*chats, picture)]
            states_after = [await thread_state(client, easel, s.ids[0]) for s in (*chats, picture)]
    finally:
        for worker in (doomed, survivor):
            worker.send_signal(signal.SIGKILL)

    figures = [round(s.at("run_failed") - killed, 1) for s in chats]
    restarted, ended = picture.at("run_restarted") - killed, picture.at("run_ended") - killed
    print(f"\nfrom the kill: run_failed {figures} s; run_restarted {restarted:.1f} s, then run_ended {ended:.1f} s")
    assert not shown_before_kill, "the picture had shown nothing when its worker died"
    for stream, seconds in zip(chats, figures, strict=True):
        assert stream.types()[-1] == "run_failed" and stream.events[-1][1]["error_kind"] == "worker_lost"
        assert stream.types().count("run_failed") == 1
        assert seconds <= BOUND
    assert picture.types().count("run_restarted") == 1 and picture.types()[-1] == "run_ended"
    assert picture.types().count("run_ended") == 1 and picture.types().count("media_generated") == 1
    assert restarted <= BOUND and ended <= BOUND
    assert [[status for status, _ in answers] for answers, _ in states] == [["FAILED"], ["FAILED"], ["COMPLETED"]]
    assert [len(documents) for _, documents in states] == [0, 0, 1]
    assert held == {s.ids[1] for s in (*chats, picture)}, "the dead worker held the three runs' messages"
    assert after == before and states_after == states, "the late redelivery changed nothing"


class HeartbeatSampler(threading.Thread):
    """Reads every running run's heartbeat_at from the database ten times a second: the beats
    each run got, as the worker wrote them."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.beats, self.stopping = database_url, {}, threading.Event()

    def run(self) -> None:
        query = "SELECT id, heartbeat_at FROM designs_run WHERE status = 'running'"
        if is_postgres(self.url):
            import psycopg

            connection = psycopg.connect(self.url, autocommit=True)
        else:
            connection = sqlite3.connect(self.url.removeprefix("sqlite:///"))
        with connection:
            while not self.stopping.wait(0.1):
                for run_id, beat in connection.execute(query).fetchall():
                    beat = beat if isinstance(beat, datetime) else datetime.fromisoformat(beat)
                    self.beats.setdefault(str(run_id), set()).add(beat)

    def largest_gap(self) -> float:
        gaps = [
            (later - earlier).total_seconds()
            for beats in self.beats.values()
            for earlier, later in itertools.pairwise(sorted(beats))
        ]
        return max(gaps, default=0.0)


async def test_a_worker_busy_making_images_keeps_beating_and_none_of_its_runs_is_taken_over(easel):
    busy = {**PICTURE, "image_config": {"n": 3, "size": "1536x1536"}}
    worker = start_worker(easel, "busy")
    sampler = HeartbeatSampler(easel.env["DATABASE_URL"])
    sampler.start()
    streams = [Stream(busy) for _ in range(6)]
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=120) as client:
            await asyncio.wait_for(asyncio.gather(*(s.follow(client, easel) for s in streams)), 180)
    finally:
        sampler.stopping.set()
        sampler.join(5)
        worker.send_signal(signal.SIGKILL)

    gap, busy_for = sampler.largest_gap(), time.monotonic() - started
    print(f"\nbusy worker: 6 runs x 3 images 1536x1536 in {busy_for:.1f} s; largest heartbeat gap {gap:.2f} s")
    assert all(s.types()[-1] == "run_ended" and "run_restarted" not in s.types() for s in streams)
    assert all(s.types().count("media_generated") == 3 for s in streams)
    assert len(sampler.beats) == 6 and all(len(beats) >= 3 for beats in sampler.beats.values())
    assert gap < STALE / 2, f"a live worker's beat came {gap:.1f} s apart: too close to looking dead"


async def test_a_client_that_drops_mid_stream_neither_stops_nor_slows_the_run(slow_easel):
    """Two clients follow one run and one drops after three chunks: the other sees every event,
    the run ends as soon as an undisturbed one does, and the dropped client resumes where it left."""
    body = {"content": "Tell me about yourself.", "stream": True, "llm_provider": "local"}
    headers = {"X-API-Key": slow_easel.api_key}
    async with httpx.AsyncClient(timeout=60) as client:
        await Stream(body).follow(client, slow_easel)  # the worker is warm before anything is timed
        undisturbed = Stream(body)
        started = time.monotonic()
        await undisturbed.follow(client, slow_easel)
        alone = time.monotonic() - started

        dropped: list[tuple[str | None, dict]] = []
        started = time.monotonic()
        async with client.stream(
            "POST", f"{slow_easel.api_url}/threads/messages", json=body, headers=headers
        ) as response:
            async for event_id, event in sse_events(response):
                if not dropped:
                    events_url = f"{slow_easel.api_url}/threads/{event['thread_id']}/runs/{event['run_id']}/events"
                    other = asyncio.create_task(read_all(client, "GET", events_url, headers=headers))
                dropped.append((event_id, event))
                if [e["type"] for _, e in dropped].count("content_streaming") == 3:
                    break  # the client goes away: its connection closes here
        seen_by_other = await other
        with_a_drop = time.monotonic() - started
        resumed = await read_all(client, "GET", events_url, params={"after": dropped[-1][0]}, headers=headers)
        whole = await read_all(client, "GET", events_url, headers=headers)

    print(f"\nrun followed to its end: {alone:.1f} s; with one of two clients dropping mid-stream: {with_a_drop:.1f} s")
    assert whole[-1][1]["type"] == "run_ended" and [e["type"] for _, e in whole].count("run_ended") == 1
    assert whole[-1][1]["final_content"] == undisturbed.events[-1][1]["final_content"], "the whole answer"
    assert seen_by_other == whole, "the other client missed nothing"
    assert dropped + resumed == whole, "the dropped client resumes exactly where it left"
    assert with_a_drop < alone + 2.0, "a drop does not delay the run"
