"""A small SSE reader for tests: (id, event) pairs from a streaming httpx response."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str | None, dict]]:
    event_id, data = None, []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield event_id, json.loads("\n".join(data))
            event_id, data = None, []
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])


async def read_all(client: httpx.AsyncClient, method: str, url: str, **kwargs) -> list[tuple[str | None, dict]]:
    async with client.stream(method, url, **kwargs) as response:
        assert response.status_code == 200, await response.aread()
        return [item async for item in sse_events(response)]
