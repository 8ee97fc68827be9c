"""Sign-in protection around django-axes: one spelling per account, invitation links guarded like
the sign-in form, and the page a locked-out person sees (429, in words, with Retry-After)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def typed_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The name attempts are counted under: "Bob@Example.com " and "bob@example.com" are one
    account to the sign-in form (it matches emails in any case), so they are one count here."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None and request.method == "POST":
        raw = request.POST.get("username")
    return raw.strip().lower() if isinstance(raw, str) else None


def lockout_parameters(request_or_attempt: Any, credentials: dict[str, Any] | None = None) -> list[str]:
    """Count per account and per address; an attempt that names no account (a guessed invitation
    token) counts for its address only, or every such attempt would share one "account" and ten
    of them would lock every invitation link for everyone."""
    if isinstance(request_or_attempt, HttpRequest):
        username = typed_username(request_or_attempt, credentials)
    else:
        username = getattr(request_or_attempt, "username", None)
    return ["username", "ip_address"] if username else ["ip_address"]


def guard_token_link(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A link whose secret is in its path (an invitation): a token that does not exist counts as a
    failed sign-in from that address, and a locked-out address gets the lockout page instead."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not AxesProxyHandler.is_allowed(request, {}):
            return locked_out(request)
        response = view(request, *args, **kwargs)
        if response.status_code == 404:
            user_login_failed.send(sender=__name__, credentials={}, request=request)
        return response

    return wrapper


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """Axes' lockout response: the sign-in page's frame, saying how long to wait."""
    cool_off = get_cool_off(request)
    seconds = max(1, math.ceil(cool_off.total_seconds())) if cool_off else None
    minutes = math.ceil(seconds / 60) if seconds else None
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
