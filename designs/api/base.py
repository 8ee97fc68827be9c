"""What every API view shares: the caller's project, paging, the public base URL."""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework.request import Request
from rest_framework.views import APIView

from designs.errors import ApiError
from designs.models import Project
from designs.serializers import PageSerializer


class ProjectApiView(APIView):
    """An API view whose every query is scoped to `self.project` (the caller's project)."""

    @property
    def project(self) -> Project:
        return self.request.user.project

    def base_url(self) -> str:
        return self.request.build_absolute_uri("/").rstrip("/")

    def page(self) -> tuple[int, int]:
        serializer = PageSerializer(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["skip"], serializer.validated_data["limit"]


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ApiError(f"{what} not found", 404) from exc


def query_bool(request: Request, name: str) -> bool | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0"):
        raise ApiError(f"{name} must be true or false")
    return lowered in ("true", "1")


def ok(message: str, **fields: Any) -> dict[str, Any]:
    return {"message": message, **fields}
