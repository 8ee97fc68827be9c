"""Sign-in protection around django-axes: one spelling per account, and the page a locked-out
person sees (429, in words, with Retry-After)."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def typed_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The name attempts are counted under: "Bob@Example.com " and "bob@example.com" are one
    account to the sign-in form (it matches emails in any case), so they are one count here."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None and request.method == "POST":
        raw = request.POST.get("username")
    return raw.strip().lower() if isinstance(raw, str) else None


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """Axes' lockout response: the sign-in page's frame, saying how long to wait."""
    cool_off = get_cool_off(request)
    seconds = max(1, math.ceil(cool_off.total_seconds())) if cool_off else None
    minutes = math.ceil(seconds / 60) if seconds else None
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
