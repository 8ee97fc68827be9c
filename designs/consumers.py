"""Websocket feeds: a thread's or a project's run events, live, with replay from an event id.

The consumer only authorizes, replays and relays: the events come from the same log the SSE
endpoints read (`designs.events.get_log`), so a websocket and a stream never disagree.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.urls import path

from designs import events
from designs.models import Membership, Project, Thread
from designs.parsers import JSONRefused, load_json
from designs.ws_auth import caller_ids
from designs.ws_slots import Slot, slot_claim, slot_keep, slot_release

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429  # the user or key already holds its EASEL_MAX_WEBSOCKETS_PER_* feeds


class FeedConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/threads/<id>` or `/ws/projects/<id>`; `?last_event_id=` (or `after=`) replays."""

    kind: str = ""

    async def connect(self) -> None:
        target = str(self.scope["url_route"]["kwargs"]["target_id"])
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            after = events.parse_event_id((query.get("last_event_id") or query.get("after") or [None])[-1])
        except events.MalformedEventId:
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        project_id = await self._project_of(target)
        if project_id is None or not await self._may_read(project_id):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self._slot = await self._claim_slot()
        if self._slot is None:
            return
        stream = events.thread_stream(target) if self.kind == "thread" else events.project_stream(target)
        await self.accept()
        self._keeper = asyncio.create_task(slot_keep(self._slot))
        self._relay = asyncio.create_task(self._follow(stream, after))

    async def disconnect(self, code: int) -> None:
        for name in ("_relay", "_keeper"):
            task = getattr(self, name, None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        slot = getattr(self, "_slot", None)
        if slot is not None:
            await slot_release(slot)

    async def _claim_slot(self) -> Slot | None:
        """This connection's slot among its caller's open feeds; None (closed with 4429) when
        the key or user already holds its limit. Accepted first, so the client sees the code
        (a close before accept reaches it only as a refused handshake)."""
        if self.scope.get("easel_key_sent"):
            whose, principal = "API key", f"key:{self.scope.get('easel_api_key_id')}"
            limit = settings.EASEL_MAX_WEBSOCKETS_PER_KEY
        else:
            whose, principal = "user", f"user:{self.scope['user'].id}"
            limit = settings.EASEL_MAX_WEBSOCKETS_PER_USER
        slot = await slot_claim(principal=principal, limit=limit)
        if slot is None:
            await self.accept()
            await self.close(code=CLOSE_TOO_MANY, reason=f"Too many open feeds: {limit} per {whose}")
        return slot

    @classmethod
    async def decode_json(cls, text_data: str) -> object:
        """A client's frame, read by the one bounded parser (a deeply nested frame would
        otherwise exhaust the recursion limit); anything refused is ignored like an unknown type."""
        try:
            return load_json(text_data)
        except JSONRefused:
            return None

    async def receive_json(self, content, **kwargs) -> None:
        """Feeds are one-way; a client's "ping" gets a "pong" so it can check liveness."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def _follow(self, stream: str, after: str | None) -> None:
        log = events.get_log()
        after = await events.resume_point(stream, after)
        answer = events.AnswerSoFar()
        while True:
            batch = await answer.fill(await log.read(stream, after, wait=settings.EASEL_SSE_KEEPALIVE))
            for event_id, event in batch:
                after = event_id
                await self.send_json({**event, "event_id": event_id})

    async def _project_of(self, target: str) -> str | None:
        if self.kind == "project":
            exists = await Project.objects.filter(id=target).aexists()
            return target if exists else None
        thread = await Thread.objects.filter(id=target).only("project_id").afirst()
        return str(thread.project_id) if thread else None

    async def _may_read(self, project_id: str) -> bool:
        """An API key reads its own project; a signed-in user reads projects they belong to."""
        if self.scope.get("easel_key_sent"):
            return self.scope.get("easel_project_id") == project_id
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return False
        return await Membership.objects.filter(user_id=user.id, project_id=project_id).aexists()


class ThreadFeedConsumer(FeedConsumer):
    kind = "thread"


class ProjectFeedConsumer(FeedConsumer):
    kind = "project"


class VoiceRefusalConsumer(AsyncJsonWebsocketConsumer):
    """The SDK's voice sockets (`stream_voice`: `/api/threads/messages?api_key=`, and
    `connect_realtime`: `/api/threads/realtime` with X-API-Key), refused honestly: Easel has no
    voice. The caller is authenticated first; then the socket answers the SDK's handshake with
    its `{"type": "error", "message"}` frame (the SDK raises BackboardAPIError with that text),
    and closes on the client's first frame or after REFUSAL_GRACE seconds, whichever is first."""

    REFUSAL_GRACE = 10.0
    refusal = "Voice is not supported by Easel"

    async def connect(self) -> None:
        await self.accept()
        if not await self._authenticated():
            await self.send_json({"type": events.EventType.ERROR, "message": "Invalid or missing API key"})
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        await self.send_json({"type": events.EventType.ERROR, "message": self.refusal})
        self._closer = asyncio.get_running_loop().call_later(
            self.REFUSAL_GRACE, lambda: asyncio.ensure_future(self.close(code=CLOSE_BAD_REQUEST))
        )

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """The client's config frame (or audio), unread: the answer is already sent."""
        await self.close(code=CLOSE_BAD_REQUEST)

    async def disconnect(self, code: int) -> None:
        closer = getattr(self, "_closer", None)
        if closer is not None:
            closer.cancel()

    async def _authenticated(self) -> bool:
        if self.scope.get("easel_key_sent"):
            return self.scope.get("easel_project_id") is not None
        raw_key = (parse_qs(self.scope.get("query_string", b"").decode()).get("api_key") or [""])[-1]
        return bool(raw_key) and (await caller_ids(raw_key))[0] is not None


class RealtimeRefusalConsumer(VoiceRefusalConsumer):
    refusal = "Realtime voice is not supported by Easel"


websocket_urlpatterns = [
    path("ws/threads/<uuid:target_id>", ThreadFeedConsumer.as_asgi()),
    path("ws/projects/<uuid:target_id>", ProjectFeedConsumer.as_asgi()),
    path("api/threads/messages", VoiceRefusalConsumer.as_asgi()),
    path("api/threads/realtime", RealtimeRefusalConsumer.as_asgi()),
]
