"""What every API view shares: the caller's project, paging, the public base URL."""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from designs.exceptions import Invalid
from designs.media import request_base_url
from designs.models import Project
from designs.serializers import PageSerializer


class ProjectApiView(APIView):
    """An API view whose every query is scoped to `self.project` (the caller's project)."""

    @property
    def project(self) -> Project:
        return self.request.user.project

    def base_url(self) -> str:
        return request_base_url(self.request)

    def page(self) -> tuple[int, int]:
        serializer = PageSerializer(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["skip"], serializer.validated_data["limit"]


def caller_role(caller: Any) -> str | None:
    """The role an API caller acts with: its key's role, or the signed-in member's role."""
    api_key = getattr(caller, "api_key", None)
    return api_key.role if api_key is not None else getattr(caller, "role", None)


class JsonWhateverAsked(DefaultContentNegotiation):
    """For views that answer bytes or CSV themselves: what DRF renders (errors) is JSON, whatever
    Accept or ?format= asks (DRF would answer `Accept: image/png` 406 and `?format=csv` 404)."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


def query_bool(request: Request, name: str) -> bool | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0"):
        raise Invalid(f"{name} must be true or false")
    return lowered in ("true", "1")


def ok(message: str, **fields: Any) -> dict[str, Any]:
    return {"message": message, **fields}
