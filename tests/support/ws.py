"""A websocket handshake against the ASGI application in-process (asgiref's communicator).

channels.testing would do, but importing it needs daphne, which Easel does not use.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from asgiref.testing import ApplicationCommunicator


def ws_scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict:
    """The ASGI scope of a websocket to `path` (query string included) with these headers."""
    parts = urlsplit(path)
    return {
        "type": "websocket",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "headers": headers,
        "subprotocols": [],
        "scheme": "ws",
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def ws_handshake(application, path: str, headers: list[tuple[bytes, bytes]], wait: float = 5) -> int | None:
    """None when the socket was accepted (then closed by us), else the close code it was refused with."""
    communicator = ApplicationCommunicator(application, ws_scope(path, headers))
    await communicator.send_input({"type": "websocket.connect"})
    answer = await communicator.receive_output(wait)
    if answer["type"] == "websocket.accept":
        await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
        await communicator.wait(wait)
        return None
    await communicator.wait(wait)
    return answer.get("code", 1000)
