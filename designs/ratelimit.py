"""Requests per minute per API key (and per signed-in user calling the API).

A GCRA meter ("leaky bucket as a meter"): each principal has one number, its theoretical
arrival time (TAT). Every request moves it on by 60/N seconds, and a request is refused while
that would put it more than a minute ahead of now. So a principal may send N requests in a
burst and then one every 60/N seconds, with no window edge to game and nothing else stored.

Counted in Redis when REDIS_URL is set, so every web process shares one meter (one Lua call,
on Redis's own clock); in the process when embedded, where one process serves everything. If
Redis cannot be reached the request is let through and a warning logged: the limiter failing
must not turn every API request into an error.

Hooked in twice, on purpose: a DRF throttle for the API views, and `request_meter` called by the
two async views (`thread_messages`, `run_events`) that DRF never sees.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
import weakref
from typing import Any

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

from designs.exceptions import LimitReached

logger = logging.getLogger(__name__)

PERIOD = 60.0  # seconds: the limit is per minute
WARN_EVERY = 60.0  # seconds between two "Redis unreachable" warnings of one process


def request_meter(*, api_key_id: Any = None, user_id: Any = None) -> None:
    """Count one request of the key (or, for a signed-in user, of the user); LimitReached when
    it is over EASEL_RATE_LIMIT_PER_MINUTE (0: no limit)."""
    limit = settings.EASEL_RATE_LIMIT_PER_MINUTE
    if limit <= 0 or (api_key_id is None and user_id is None):
        return
    principal = f"key:{api_key_id}" if api_key_id is not None else f"user:{user_id}"
    wait = _meter_hit(principal, PERIOD / limit)
    if wait > 0:
        whose = "API key" if api_key_id is not None else "user"
        seconds = max(1, math.ceil(wait))
        raise LimitReached(f"Rate limit reached: {limit} requests a minute per {whose}; retry in {seconds} s", seconds)


def caller_meter(caller: Any) -> None:
    """`request_meter` for an authenticated designs.auth.ApiCaller: its key, else its user."""
    api_key, user = getattr(caller, "api_key", None), getattr(caller, "user", None)
    request_meter(api_key_id=api_key.pk if api_key else None, user_id=user.pk if user is not None else None)


class RequestRateThrottle(BaseThrottle):
    """DRF's hook (DEFAULT_THROTTLE_CLASSES): meters the authenticated caller of every API view.
    It raises LimitReached itself, so the 429 names the limit (DRF's Throttled would not)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        caller_meter(request.user)
        return True


# --------------------------------------------------------------------------------------------
# The meters: seconds to wait before the request would be allowed (0: allowed, and counted).
# --------------------------------------------------------------------------------------------


class _MemoryMeter:
    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()  # the API views run on several threads

    def hit(self, principal: str, interval: float) -> float:
        now = time.monotonic()
        with self._lock:
            tat = max(self._tat.get(principal, now), now)
            wait = tat + interval - PERIOD - now
            if wait > 0:
                return wait
            self._tat[principal] = tat + interval
            if len(self._tat) > 10_000:  # forget principals whose meter has drained
                self._tat = {p: t for p, t in self._tat.items() if t > now}
            return 0.0


_memory = _MemoryMeter()

# Redis's TIME, so web processes on different hosts share one clock. The TAT is kept as a
# string: Lua numbers come back to the client as integers. replicate_commands: Redis < 7 only
# allows TIME before a write with it (a no-op from 7 on).
METER_SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local interval, period = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat + interval - period - now
if wait > 0 then return tostring(wait) end
redis.call('SET', KEYS[1], string.format('%.6f', tat + interval), 'PX', math.ceil((tat + interval - now) * 1000))
return '0'
"""


def _meter_hit(principal: str, interval: float) -> float:
    if not settings.REDIS_URL:
        return _memory.hit(principal, interval)
    try:
        return float(redis_script(METER_SCRIPT)(keys=[f"easel:rate:{principal}"], args=[interval, PERIOD]))
    except (redis.RedisError, OSError) as exc:
        warn_unreachable("requests per minute are", exc)
        return 0.0


# --------------------------------------------------------------------------------------------
# Redis for the limits (websocket slots too): eventlog.py's connection settings, with short
# timeouts so that an unreachable Redis fails at once (and the limits fail open). Each script
# is loaded once per client and then run by its SHA (EVALSHA).
# --------------------------------------------------------------------------------------------

_last_warning: float | None = None


class _Scripts:
    """One Redis client and the scripts registered on it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._scripts: dict[str, Any] = {}

    def __getitem__(self, source: str) -> Any:
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = self.client.register_script(source)
        return script


_sync: dict[str, _Scripts] = {}  # REDIS_URL -> the process's client
_async: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> {REDIS_URL: client}


def _client_options() -> dict[str, Any]:
    return {
        "decode_responses": True,
        "max_connections": settings.EASEL_REDIS_MAX_CONNECTIONS,
        "socket_connect_timeout": 2,
        "socket_timeout": 2,
    }


def redis_script(source: str) -> Any:
    """`source` as a callable script on this process's sync client for REDIS_URL."""
    url = settings.REDIS_URL
    if url not in _sync:
        _sync[url] = _Scripts(redis.Redis.from_url(url, **_client_options()))
    return _sync[url][source]


def async_redis_script(source: str) -> Any:
    """`source` as a callable script on the running event loop's asyncio client for REDIS_URL."""
    import redis.asyncio as aredis

    url, clients = settings.REDIS_URL, _async.setdefault(asyncio.get_running_loop(), {})
    if url not in clients:
        clients[url] = _Scripts(aredis.Redis.from_url(url, **_client_options()))
    return clients[url][source]


def warn_unreachable(what: str, exc: Exception) -> None:
    """One warning a minute per process while Redis is away, not one per request."""
    global _last_warning
    now = time.monotonic()
    if _last_warning is None or now - _last_warning >= WARN_EVERY:
        _last_warning = now
        logger.warning("limits: Redis unreachable (%s); %s not enforced meanwhile", exc, what)
