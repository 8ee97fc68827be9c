"""Backboard features Easel does not have, refused honestly: every route the SDK calls for
memory, embedding models and video models answers 400 `{"detail": "<Feature> is not supported
by Easel"}` (the SDK raises `BackboardValidationError`), never a 404 that reads like a typo.

The caller is authenticated first, like every API route (401 without a key). Nothing is looked
up: the refusal is the same whichever assistant or model the path names. Voice and video turns
are refused where they arrive, in `MessageInputSerializer` (`voice`, `video_generation`,
`operation=generate_video`).
"""

from __future__ import annotations

from typing import Any, NoReturn

from rest_framework.request import Request

from designs.api.base import ProjectApiView
from designs.exceptions import Invalid


class UnsupportedApi(ProjectApiView):
    refusal = ""  # the whole sentence: "<Feature> is not supported by Easel"

    def refuse(self) -> NoReturn:
        raise Invalid(self.refusal)


class MemoryApi(UnsupportedApi):
    refusal = "Memory is not supported by Easel"


class MemoryListApi(MemoryApi):
    """`/api/assistants/{id}/memories`: list (GET), add (POST), reset (DELETE)."""

    def get(self, request: Request, **kwargs: Any) -> NoReturn:
        self.refuse()

    def post(self, request: Request, **kwargs: Any) -> NoReturn:
        self.refuse()

    def delete(self, request: Request, **kwargs: Any) -> NoReturn:
        self.refuse()


class MemoryReadApi(MemoryApi):
    """`/api/assistants/{id}/memories/stats`, `…/insights`, `/api/assistants/memories/operations/{id}`."""

    def get(self, request: Request, **kwargs: Any) -> NoReturn:
        self.refuse()


class MemorySearchApi(MemoryApi):
    """`POST /api/assistants/{id}/memories/search`."""

    def post(self, request: Request, **kwargs: Any) -> NoReturn:
        self.refuse()


class MemoryDetailApi(MemoryApi):
    """`/api/assistants/{id}/memories/{memory_id}`: get, update (PUT), delete."""

    def get(self, request: Request, **kwargs: Any) -> NoReturn:
        self.refuse()

    def put(self, request: Request, **kwargs: Any) -> NoReturn:
        self.refuse()

    def delete(self, request: Request, **kwargs: Any) -> NoReturn:
        self.refuse()


class EmbeddingModelsApi(UnsupportedApi):
    """`GET /api/models/embedding/all`, `…/providers`, `…/{name}`."""

    refusal = "Embeddings are not supported by Easel"

    def get(self, request: Request, **kwargs: Any) -> NoReturn:
        self.refuse()


class VideoModelsApi(UnsupportedApi):
    """`GET /api/models/video/all`, `…/{name}`."""

    refusal = "Video is not supported by Easel"

    def get(self, request: Request, **kwargs: Any) -> NoReturn:
        self.refuse()
