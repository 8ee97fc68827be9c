"""Request-wide rules: refuse oversized API bodies before anything reads them; a CSP on every answer.

Sync and async capable, so an async view stays async under ASGI (a sync-only middleware
would push every request through a thread).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

from designs.errors import error_response


def _refusal(request: HttpRequest) -> HttpResponse | None:
    if not request.path.startswith("/api/"):
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return error_response("Malformed Content-Length header", 400)
    limit = settings.EASEL_MAX_REQUEST_BYTES
    if length > limit:
        return error_response(f"Request body of {length} bytes is over the limit of {limit} bytes", 413)
    return None


@sync_and_async_middleware
def api_request_limit(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            return _refusal(request) or await get_response(request)

    else:

        def middleware(request: HttpRequest) -> HttpResponse:
            return _refusal(request) or get_response(request)

    return middleware


@sync_and_async_middleware
def content_security_policy(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """The Content-Security-Policy of settings.CONTENT_SECURITY_POLICY on every response.

    django-csp's own middleware is a MiddlewareMixin, which under ASGI runs its hooks in a
    thread (two hops per request, SSE streams included); the header needs none of that. The
    policy is built once, when the handler loads its middleware: settings do not change under
    a running process.
    """
    policy = build_policy()

    def add_header(response: HttpResponse) -> HttpResponse:
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response

    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            return add_header(await get_response(request))

    else:

        def middleware(request: HttpRequest) -> HttpResponse:
            return add_header(get_response(request))

    return middleware
