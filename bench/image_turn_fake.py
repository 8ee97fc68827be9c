"""The image-turn benchmark's provider: one process serving OpenAI's chat and images endpoints.

A chat turn asking for a picture gets a few stamped text deltas (`t<k> <unix time> `, as
bench.paced_fake writes them) and then a `generate_image` call whose prompt is the user's text;
the turn after the tool result gets a short stamped answer. `/v1/images/generations` answers
with an event stream paced over `--image-seconds`: two `image_generation.partial_image` events
and the `completed` one, a third of that time apart, each a small picture (`--size`, whatever
size was asked for) so the benchmark measures holding turns, not moving image bytes.

The fake notes when it wrote each image event, per turn (the `turn-<n>` tag in the prompt):
`GET /__fake__/sent` returns `{"<n>": [[kind, unix time], ...]}`, so a client can tell how late
each preview and image reached it without the provider's own pacing.

    python -m bench.image_turn_fake --port 8102 [--image-seconds 30 --interval 0.05 --size 256]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import threading
import time
from typing import Any

from bench.paced_fake import LISTEN_BACKLOG, PacedHandler, paced_text
from tests.fakes.agent_mode import IMAGE_TOOL, Reply, ToolUse
from tests.fakes.openai import FakeOpenAI, OpenAIFaults, last_turn
from tests.fakes.openai_images import ImageSpec

TURN = re.compile(r"turn-(\d+)")
LEAD_DELTAS = 4  # text deltas before the tool call
ANSWER_DELTAS = 4  # text deltas of the final answer


class ImageTurnHandler(PacedHandler):
    def next_reply(self, request: dict[str, Any]) -> Reply:
        turn = last_turn(request)
        if turn.is_tool_result or IMAGE_TOOL not in turn.tool_names:
            return Reply(text=paced_text(ANSWER_DELTAS))
        return Reply(text=paced_text(LEAD_DELTAS), tool_calls=(ToolUse(IMAGE_TOOL, {"prompt": turn.text}),))

    def answer_images(self, kind: str, spec: ImageSpec, faults: OpenAIFaults) -> None:
        if not spec.stream:
            super().answer_images(kind, spec, faults)
            return
        side = self.server.image_side
        spec = dataclasses.replace(spec, size=(side, side))
        frames = list(self.image_events(kind, spec, 1, faults))  # drawn first: pacing is waiting only
        match = TURN.search(spec.prompt)
        step = self.server.image_seconds / len(frames)
        self.start_sse(self.response_headers())
        try:
            for index, frame in enumerate(frames):
                time.sleep(step)
                self.write_chunk(frame)
                if match:
                    label = "image" if index == len(frames) - 1 else "preview"
                    self.server.note_sent(match[1], label)
            self.end_chunks()
        except OSError:
            self.close_connection = True

    def _control(self, method: str, path: str, body: bytes) -> None:
        if path == "/__fake__/sent" and method == "GET":
            self.send_json(200, self.server.sent_snapshot())
        else:
            super()._control(method, path, body)


class ImageTurnFake(FakeOpenAI):
    handler = ImageTurnHandler

    def __init__(self, port: int = 0, *, image_seconds: float = 30.0, interval: float = 0.05, side: int = 256) -> None:
        super().__init__(port, pace=interval)
        httpd = self.httpd
        httpd.socket.listen(LISTEN_BACKLOG)
        httpd.image_seconds = image_seconds
        httpd.image_side = side
        httpd.sent = {}
        httpd.sent_lock = threading.Lock()
        httpd.note_sent = lambda turn, kind: _note(httpd, turn, kind)
        httpd.sent_snapshot = lambda: _snapshot(httpd)
        # The request log would keep every body of every turn: the benchmark never reads it.
        httpd.log_request_record = lambda record: None


def _note(httpd: Any, turn: str, kind: str) -> None:
    with httpd.sent_lock:
        httpd.sent.setdefault(turn, []).append((kind, time.time()))


def _snapshot(httpd: Any) -> dict[str, list]:
    with httpd.sent_lock:
        return {turn: list(sent) for turn, sent in httpd.sent.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--image-seconds", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between chat deltas")
    parser.add_argument("--size", type=int, default=256, help="side of every image drawn")
    args = parser.parse_args()
    server = ImageTurnFake(args.port, image_seconds=args.image_seconds, interval=args.interval, side=args.size)
    print(server.origin, flush=True)
    server.httpd.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
