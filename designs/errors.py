"""Every API error is `{"detail": "<one readable sentence>"}` with a 4xx status."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """Raised by services and request parsing; becomes a JSON error response."""

    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status

    @property
    def headers(self) -> dict[str, str]:
        """Headers the error's response carries (LimitReached adds Retry-After)."""
        return {}


class LimitReached(ApiError):
    """A configured limit is reached: 429, with `Retry-After` saying when to try again."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, 429)
        self.retry_after = max(1, int(retry_after))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def flatten_detail(detail: Any, prefix: str = "") -> list[str]:
    """Turn DRF's nested validation errors into 'field: message' sentences."""
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            out += flatten_detail(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return out
    if isinstance(detail, list):
        return [line for item in detail for line in flatten_detail(item, prefix)]
    text = str(detail)
    return [f"{prefix}: {text}" if prefix else text]


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    # Imported here: rest_framework.views loads DEFAULT_THROTTLE_CLASSES, whose throttle
    # (designs.ratelimit) raises LimitReached from this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, ApiError):
        return Response({"detail": exc.detail}, status=exc.status, headers=exc.headers)
    if isinstance(exc, Http404):
        return Response({"detail": str(exc) or "Not found"}, status=404)
    if isinstance(exc, exceptions.ParseError):
        return Response({"detail": f"Malformed request body: {exc.detail}"}, status=400)
    if isinstance(exc, exceptions.ValidationError):
        return Response({"detail": "; ".join(flatten_detail(exc.detail))}, status=400)
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict | list):
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        response.data = {"detail": str(detail) if detail else "; ".join(flatten_detail(response.data))}
    return response


def error_response(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def api_error_response(exc: ApiError) -> JsonResponse:
    """The response for an ApiError raised outside DRF (the async views), headers included."""
    return JsonResponse({"detail": exc.detail}, status=exc.status, headers=exc.headers)


def json_not_found(request: Any, exception: Exception | None = None) -> JsonResponse:
    return error_response("Not found", 404)


def json_server_error(request: Any) -> JsonResponse:
    return error_response("Internal server error", 500)


def json_bad_request(request: Any, exception: Exception | None = None) -> JsonResponse:
    return error_response("Bad request", 400)
