"""The benchmark's LLM: tests.fakes.openai's Chat Completions stream, paced, stamped at send time.

Every chat reply is `deltas` content deltas, `interval` seconds apart (the kit's `pace` switch),
each reading `t<k> <unix time> ` where the time is taken just before that delta's chunk is written
to the socket. A client anywhere on this host can then compute each delta's own latency,
`receive time - send time`, through any relay that keeps the text (Easel, LiteLLM), without
joining logs. Framing, envelopes and pacing are the fake's own: this module only supplies the
reply and fills in the stamp.

    python -m bench.paced_fake --port 8101 [--deltas 64 --interval 0.02]
"""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

from tests.fakes.agent_mode import Reply
from tests.fakes.openai import FakeOpenAI, OpenAIHandler

STAMP = b"@SENT@"  # stands for the send time in the reply text until the chunk is written
DELTA = re.compile(r"t(\d+) (\d+\.\d+) ")  # what a client finds in each delta's text
LISTEN_BACKLOG = 1024  # socketserver's default of 5 drops SYNs when hundreds of streams open at once


def paced_text(deltas: int) -> str:
    """Two words per delta, as the fake's `split_text` cuts text into two-word pieces."""
    return "".join(f"t{k:03d} {STAMP.decode()} " for k in range(deltas))


class PacedHandler(OpenAIHandler):
    def next_reply(self, request: dict[str, Any]) -> Reply:
        return Reply(text=paced_text(getattr(self.server, "paced_deltas", 64)))

    def write_chunk(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        super().write_chunk(data.replace(STAMP, f"{time.time():.6f}".encode()))


class PacedOpenAI(FakeOpenAI):
    handler = PacedHandler

    def __init__(self, port: int = 0, *, deltas: int = 64, interval: float = 0.02) -> None:
        super().__init__(port, pace=interval)
        self.httpd.paced_deltas = deltas  # not a fault switch: the kit rejects unknown switches
        self.httpd.socket.listen(LISTEN_BACKLOG)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--deltas", type=int, default=64)
    parser.add_argument("--interval", type=float, default=0.02)
    args = parser.parse_args()
    server = PacedOpenAI(args.port, deltas=args.deltas, interval=args.interval)
    print(server.origin, flush=True)
    server.httpd.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
