"""Open websockets per user and per API key (EASEL_MAX_WEBSOCKETS_PER_USER / _PER_KEY).

Each open feed holds a slot, a member of its principal's set. With REDIS_URL the set is a Redis
sorted set scored by when each connection last said it was alive, shared by every web process:
the consumer refreshes its own slot every REFRESH_EVERY seconds, and a claim first drops
members older than SLOT_TTL, so the connections of a process that crashed stop counting within
a minute. Embedded, the set lives in the process, and dies with its connections. If Redis
cannot be reached the connection is let through, with a warning (as for the request rate).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import redis
from django.conf import settings

from designs.ratelimit import async_redis_script, warn_unreachable

SLOT_TTL = 60.0  # seconds a slot counts without a refresh
REFRESH_EVERY = SLOT_TTL / 3

_local: dict[str, set[str]] = {}  # embedded: principal -> its connections' members


@dataclass(frozen=True)
class Slot:
    principal: str
    member: str
    counted: bool = True  # False when the principal has no limit


CLAIM = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(ttl * 2))
return 1
"""

# Re-adds the member if it was dropped meanwhile (Redis away for longer than the TTL): the
# connection is real, so it counts again.
REFRESH = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(clock[1]) + tonumber(clock[2]) / 1000000, ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 2))
return 1
"""

RELEASE = "return redis.call('ZREM', KEYS[1], ARGV[1])"


def _key(principal: str) -> str:
    return f"easel:ws:{principal}"


async def slot_claim(*, principal: str, limit: int) -> Slot | None:
    """A slot for one more websocket of `principal` ("key:<id>" or "user:<id>"), or None when
    it already holds `limit` (0: no limit)."""
    if limit <= 0:
        return Slot(principal, "", counted=False)
    slot = Slot(principal, uuid.uuid4().hex)
    if not settings.REDIS_URL:
        # One event loop, and no await between the count and the add: nothing can interleave.
        held = _local.setdefault(principal, set())
        if len(held) >= limit:
            return None
        held.add(slot.member)
        return slot
    try:
        taken = await async_redis_script(CLAIM)(keys=[_key(principal)], args=[slot.member, limit, SLOT_TTL])
    except (redis.RedisError, OSError) as exc:
        warn_unreachable("websockets per user and key are", exc)
        return slot
    return slot if int(taken) else None


async def slot_keep(slot: Slot) -> None:
    """Keep the slot alive while the connection is open: run it as a task, cancel it on close."""
    if not slot.counted or not settings.REDIS_URL:
        return
    refresh = async_redis_script(REFRESH)
    while True:
        await asyncio.sleep(REFRESH_EVERY)
        try:
            await refresh(keys=[_key(slot.principal)], args=[slot.member, SLOT_TTL])
        except (redis.RedisError, OSError) as exc:
            warn_unreachable("websockets per user and key are", exc)


async def slot_release(slot: Slot) -> None:
    """Give the slot back (on disconnect). Safe to call twice."""
    if not slot.counted:
        return
    if not settings.REDIS_URL:
        held = _local.get(slot.principal, set())
        held.discard(slot.member)
        if not held:
            _local.pop(slot.principal, None)
        return
    try:
        await async_redis_script(RELEASE)(keys=[_key(slot.principal)], args=[slot.member])
    except (redis.RedisError, OSError) as exc:
        # The slot expires on its own within SLOT_TTL.
        warn_unreachable("websockets per user and key are", exc)
