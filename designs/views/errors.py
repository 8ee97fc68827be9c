"""What a person sees when a page is missing, forbidden or broken, while the API keeps its JSON.

project/urls.py names these as Django's handler400/403/404/500. Under /api, and /ws (the
websocket feeds' paths), the answer stays `{"detail"}` (designs.errors), as every API client
expects; anywhere else it is a dashboard page with a heading, what to do and a way home.
Project pages answer their own 404 and 403 (designs.views.access) with the same template.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import requires_csrf_token

from designs.errors import error_response, json_bad_request, json_not_found, json_server_error

logger = logging.getLogger(__name__)

HOME = "start again from your projects"

# The page of last resort: no template, no static URL, no database. A 500 may come from any of them.
PLAIN_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Easel</title></head>
<body><main><h1>{title}</h1><p>{message}</p><p><a href="/">Back to your projects</a></p></main></body>
</html>
"""


def is_api(request: HttpRequest) -> bool:
    path = request.path_info
    return path == "/api" or path.startswith(("/api/", "/ws/"))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return json_not_found(request, exception)
    return without_trailing_slash(request) or _page(
        request, 404, "Page not found", f"Check the address for typos, or {HOME}."
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = str(exception or "")
    if is_api(request):
        return error_response(reason or "You do not have permission to do that", 403)
    advice = f"Ask an owner of the project if you need it, or {HOME}."
    return _page(request, 403, "You don't have access to this page", f"{reason} {advice}" if reason else advice)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return json_server_error(request)
    message = "The error has been logged. Try again in a minute; if it keeps happening, tell whoever runs this Easel."
    return plain_page(500, "Something went wrong on our side", message)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return json_bad_request(request, exception)
    # No request context: a 400 is often a request Django does not trust (a bad Host header).
    return plain_page(400, "That request could not be read", f"Go back and try again, or {HOME}.")


def without_trailing_slash(request: HttpRequest) -> HttpResponse | None:
    """`/accounts/login/` for `/accounts/login`: dashboard URLs have no trailing slash, and a person
    who types one is sent to the page they meant. APPEND_SLASH (on) only adds slashes, which only
    /admin/ uses; the API is left alone (a redirected POST loses its body)."""
    path = request.path_info
    if request.method not in ("GET", "HEAD") or not path.endswith("/") or _resolves(request, path):
        return None
    trimmed = path.rstrip("/")
    if not trimmed or trimmed.startswith("//") or not _resolves(request, trimmed):
        return None
    query = request.META.get("QUERY_STRING", "")
    prefix = request.path[: len(request.path) - len(path)]  # the script name, if any
    return HttpResponsePermanentRedirect(f"{prefix}{trimmed}{'?' + query if query else ''}")


def _resolves(request: HttpRequest, path: str) -> bool:
    try:
        resolve(path, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return True


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "dashboard/error.html", {"title": title, "message": message}, status=status)


def plain_page(status: int, title: str, message: str) -> HttpResponse:
    """A page without the request's context (no user, no project, no query): the standalone
    template with the dashboard's stylesheet, or, if even that fails, PLAIN_PAGE."""
    context = {"title": title, "message": message}
    try:
        html = loader.get_template("dashboard/500.html").render(context)
    except Exception:
        logger.exception("the %s page could not be rendered; answering with the plain one", status)
        html = PLAIN_PAGE.format(**context)
    return HttpResponse(html, status=status)
