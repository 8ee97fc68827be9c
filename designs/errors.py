"""Every API error is `{"detail": "<one readable sentence>"}` with a 4xx status.

The one place that knows which status each domain error (`designs.exceptions`) answers with:
`STATUSES`, used by DRF's exception handler and by `json_errors`, the async views' wrapper, so
both kinds of view answer the same exception alike.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from django.http import Http404, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from designs.exceptions import (
    BudgetSpent,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    LimitReached,
    Mismatch,
    NotConfigured,
    NotFound,
    TooLarge,
    UnsupportedMedia,
)

logger = logging.getLogger(__name__)


# The one table from what went wrong to the status a client sees. Every DomainError subclass
# has its own row (tests/api/test_domain_errors.py checks), so a new kind needs a decision here.
STATUSES: dict[type[DomainError], int] = {
    DomainError: 400,
    Invalid: 400,
    NotConfigured: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Mismatch: 422,
    TooLarge: 413,
    UnsupportedMedia: 415,
    LimitReached: 429,
    BudgetSpent: 429,
}


def status_of(exc: DomainError) -> int:
    """The status of the most specific kind the table names (a subclass inherits its parent's)."""
    return next(STATUSES[kind] for kind in type(exc).__mro__ if kind in STATUSES)


def headers_of(exc: DomainError) -> dict[str, str]:
    """Headers the error's response carries: `Retry-After` says when a limit lets go."""
    return {"Retry-After": str(exc.retry_after)} if isinstance(exc, LimitReached) else {}


def body_of(exc: DomainError) -> dict[str, Any]:
    """`{"detail"}`, and the facts an error carries for a program (a spent budget's limit, used, resets_at)."""
    return {"detail": exc.detail, **getattr(exc, "fields", {})}


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
    """DRF's EXCEPTION_HANDLER: domain errors by the table; DRF's and Django's own in the same
    `{"detail"}` shape (validation errors flattened into sentences)."""
    if isinstance(exc, DomainError):
        return Response(body_of(exc), status=status_of(exc), headers=headers_of(exc))
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


def domain_error_response(exc: DomainError) -> JsonResponse:
    """The response for a domain error raised outside DRF (the async views), headers included."""
    return JsonResponse(body_of(exc), status=status_of(exc), headers=headers_of(exc))


def json_errors(view: Callable[..., Awaitable[HttpResponse]]) -> Callable[..., Awaitable[HttpResponse]]:
    """The async views' one error mapping, the same answers as DRF's handler gives the others:
    a domain error, or DRF's own (authentication, throttling), becomes `{"detail"}` with its status."""

    @functools.wraps(view)
    async def wrapped(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return await view(request, *args, **kwargs)
        except DomainError as exc:
            return domain_error_response(exc)
        except exceptions.APIException as exc:
            return error_response(str(exc.detail), exc.status_code)

    return wrapped


def json_not_found(request: Any, exception: Exception | None = None) -> JsonResponse:
    return error_response("Not found", 404)


def json_server_error(request: Any) -> JsonResponse:
    return error_response("Internal server error", 500)


def json_bad_request(request: Any, exception: Exception | None = None) -> JsonResponse:
    return error_response("Bad request", 400)
