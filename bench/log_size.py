"""What one answer costs Redis: its three streams (run, thread, project), chunk by chunk.

    python -m bench.log_size [--chunks 500,2000] [--chunk "token000 "]

Appends an answer of N chunks through `RedisEventLog` to a private redis-server the way a run
does (`text_at`: each chunk's delta and where it starts) and, for comparison, the way it did
before (`whole`: every chunk also carrying the answer so far as `accumulated_content`), then
reads `MEMORY USAGE ... SAMPLES 0` of the three keys and the appending thread's CPU per chunk.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import django


def measure(log, raw, chunks: int, chunk: str, *, whole: bool) -> tuple[float, float, int]:
    """(MiB in Redis for the three streams, appender CPU ms per chunk, answer length)."""
    ids = {"thread_id": str(uuid.uuid4()), "assistant_id": str(uuid.uuid4()), "run_id": str(uuid.uuid4())}
    streams = [f"run:{ids['run_id']}", f"thread:{ids['thread_id']}", f"project:{uuid.uuid4()}"]
    text = ""
    started = time.thread_time()
    for _ in range(chunks):
        at, text = len(text), text + chunk
        fields = {"accumulated_content": text} if whole else {"text_at": at}
        log.append(streams, {"type": "content_streaming", **ids, "content": chunk, **fields})
    cpu_ms = (time.thread_time() - started) * 1000 / chunks
    used = sum(raw.memory_usage(f"easel:events:{stream}", samples=0) for stream in streams)
    return used / 2**20, cpu_ms, len(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", default="500,2000")
    parser.add_argument("--chunk", default="token000 ")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench")
    django.setup()
    import redis

    from designs.events import TERMINAL_TYPES, RedisEventLog
    from tests.support.processes import RedisServer

    server = RedisServer(Path(tempfile.mkdtemp(prefix="easel-log-size-")))
    raw = redis.Redis.from_url(server.url)
    try:
        log = RedisEventLog(server.url, ttl=300, open_ttl=3600, terminal=TERMINAL_TYPES)
        print("| chunks | answer (chars) | stored as | Redis, 3 streams (MiB) | append CPU (ms/chunk) |")
        print("|---|---|---|---|---|")
        for chunks in (int(n) for n in args.chunks.split(",")):
            for whole in (True, False):
                mib, cpu_ms, length = measure(log, raw, chunks, args.chunk, whole=whole)
                shape = "answer so far (before)" if whole else "delta + text_at"
                print(f"| {chunks} | {length} | {shape} | {mib:.2f} | {cpu_ms:.3f} |")
    finally:
        raw.close()
        server.stop()


if __name__ == "__main__":
    main()
