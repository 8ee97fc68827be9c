"""The media benchmark's image model: tests.fakes.openai's Images API, answering with one
precomputed photo-like PNG per size, stamping when it writes the final image event.

The picture is drawn once at start (deterministic: a seeded noise field over smooth gradients,
about 1.9 MB as a PNG at 1024x1024, like a photo and unlike the fakes' solid colours), so the
fake's own encoding is never measured. A request's prompt names its size and id, e.g.
`bench size=2048 id=3f2a...`; the fake answers at that size whatever `size` Easel sent (the model
decides, as GPT image's "auto" does), so Easel stores the bytes as they come.

A stream sends the `partial_image` events at once, waits `--gap` seconds (a real model spends
seconds between them, and Easel's preview work must not fall into the measured window), then
takes `time.time()` and writes `image_generation.completed`. `GET /__bench__/stamp/<id>` answers
`{"final_write": t0, "written": t1}` (t1 after the last byte was flushed).

With `POST /__bench__/hold {"hold": true}` every final event waits until `POST /__bench__/release`;
`GET /__bench__/waiting` says how many wait. The memory measure uses this to send K images at once.

    python -m bench.media_fake --port 8102 [--sizes 1024,2048] [--gap 0.3]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import random
import re
import threading
import time
from typing import Any

from PIL import Image, ImageChops

from bench.paced_fake import LISTEN_BACKLOG
from tests.fakes.openai import FakeOpenAI, OpenAIHandler
from tests.fakes.openai_images import ImageSpec

PROMPT_TAGS = re.compile(r"(size|id)=([\w.-]+)")
NOISE_AMPLITUDE = 16  # 0..16 on every channel: ~1.9 MB at 1024x1024, like a photo's PNG
COMPLETED = b"event: image_generation.completed"


def photo_like(size: int, seed: int = 7) -> bytes:
    """A deterministic RGB PNG of size x size: three rotated gradients plus seeded noise."""
    rng = random.Random(seed)
    amp = NOISE_AMPLITUDE
    channels = []
    for channel in range(3):
        gradient = Image.linear_gradient("L").rotate(40 * channel + 10).resize((size, size))
        noise = Image.frombytes("L", (size, size), rng.randbytes(size * size)).point(lambda v: v * amp // 256)
        channels.append(ImageChops.add(gradient.point(lambda v: v * (255 - amp) // 255), noise))
    out = io.BytesIO()
    Image.merge("RGB", channels).save(out, "PNG")
    return out.getvalue()


def prompt_tags(prompt: str) -> dict[str, str]:
    return dict(PROMPT_TAGS.findall(prompt))


class MediaHandler(OpenAIHandler):
    def image_b64(self, spec: ImageSpec, faults: Any, index: int, partial: int | None = None) -> str:
        bench = self.server.bench
        size = int(prompt_tags(spec.prompt).get("size") or bench.default_size)
        return bench.pictures_b64[size]

    def send_events(self, frames: Any, faults: Any) -> None:
        frames = list(frames)
        bench = self.server.bench
        self.start_sse(self.response_headers())
        try:
            for frame in frames:
                final = frame.startswith(COMPLETED)
                if final:
                    time.sleep(bench.gap)
                    bench.wait_for_release()
                    sent = time.time()
                self.write_chunk(frame)
                if final:
                    bench.stamp(frame, sent, time.time())
            self.end_chunks()
        except OSError:
            self.close_connection = True

    def do_GET(self) -> None:
        if self.path.startswith("/__bench__/"):
            self.server.bench.control(self, "GET", self.path)
            return
        super().do_GET()

    def do_POST(self) -> None:
        if self.path.startswith("/__bench__/"):
            length = int(self.headers.get("content-length") or 0)
            self.server.bench.control(self, "POST", self.path, self.rfile.read(length))
            return
        super().do_POST()


class BenchState:
    """The pictures, the stamps and the hold barrier, shared by the handler threads."""

    def __init__(self, sizes: list[int], gap: float) -> None:
        self.pictures = {size: photo_like(size) for size in sizes}
        self.pictures_b64 = {size: base64.b64encode(data).decode() for size, data in self.pictures.items()}
        self.default_size = sizes[0]
        self.gap = gap
        self.stamps: dict[str, dict[str, float]] = {}
        self.lock = threading.Condition()
        self.holding = False
        self.waiting = 0

    def stamp(self, frame: bytes, sent: float, written: float) -> None:
        # The prompt is not in the completed event: the id travels in the request, read here.
        head = frame[:4096].decode(errors="replace")
        match = re.search(r'"bench_id":"([\w-]+)"', head)
        if match:
            with self.lock:
                self.stamps[match[1]] = {"final_write": sent, "written": written}

    def wait_for_release(self) -> None:
        with self.lock:
            if not self.holding:
                return
            self.waiting += 1
            self.lock.notify_all()
            self.lock.wait_for(lambda: not self.holding, timeout=120)
            self.waiting -= 1

    def control(self, handler: MediaHandler, method: str, path: str, body: bytes = b"") -> None:
        if method == "GET" and path.startswith("/__bench__/stamp/"):
            with self.lock:
                stamp = self.stamps.get(path.rsplit("/", 1)[-1])
            handler.send_json(200 if stamp else 404, stamp or {"detail": "no stamp"})
        elif method == "GET" and path == "/__bench__/waiting":
            with self.lock:
                handler.send_json(200, {"waiting": self.waiting})
        elif method == "POST" and path == "/__bench__/hold":
            with self.lock:
                self.holding = bool(json.loads(body or b"{}").get("hold", True))
                self.lock.notify_all()
            handler.send_json(200, {"holding": self.holding})
        elif method == "POST" and path == "/__bench__/release":
            with self.lock:
                self.holding = False
                self.lock.notify_all()
            handler.send_json(200, {"holding": False})
        else:
            handler.send_json(404, {"detail": "unknown bench control"})


class BenchImageHandler(MediaHandler):
    def image_events(self, kind: str, spec: ImageSpec, count: int, faults: Any):
        """The fake's own events, with the bench id echoed in each completed event (first
        field, so the stamp finds it without parsing megabytes); Easel ignores unknown fields."""
        bench_id = prompt_tags(spec.prompt).get("id", "")
        for frame in super().image_events(kind, spec, count, faults):
            if frame.startswith(COMPLETED) and bench_id:
                frame = frame.replace(b"data: {", b'data: {"bench_id":"%s",' % bench_id.encode(), 1)
            yield frame


class MediaFake(FakeOpenAI):
    handler = BenchImageHandler

    def __init__(self, port: int = 0, *, sizes: list[int], gap: float = 0.3) -> None:
        super().__init__(port)
        self.httpd.bench = BenchState(sizes, gap)
        self.httpd.socket.listen(LISTEN_BACKLOG)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--sizes", default="1024,2048")
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between the partials and the final event")
    args = parser.parse_args()
    server = MediaFake(args.port, sizes=[int(s) for s in args.sizes.split(",")], gap=args.gap)
    print(server.origin, flush=True)
    server.httpd.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
