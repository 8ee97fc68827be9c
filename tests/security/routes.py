"""Every route Easel answers, read from the URL configuration itself (HTTP and websockets), so
the tables in this package can be checked against it: a new route is a failing test until it
has cases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    pattern: str  # the full pattern, e.g. "api/threads/<uuid:thread_id>"
    params: tuple[str, ...]  # its path parameters
    callback: Callable
    kind: str  # "http" or "websocket"

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    def class_methods(self) -> set[str] | None:
        """The methods a class-based view implements (None for a function view, which does
        not say: its methods are probed instead)."""
        cls = self.view_class
        if cls is None:
            return None
        return {m.upper() for m in cls.http_method_names if m not in ("options", "head") and hasattr(cls, m)}


def _text(pattern: RoutePattern | RegexPattern) -> str:
    text = str(pattern)
    return text.removeprefix("^").removesuffix("$") if isinstance(pattern, RegexPattern) else text


def _params(pattern: RoutePattern | RegexPattern) -> tuple[str, ...]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    return tuple(pattern.regex.groupindex)


def _walk(patterns: list, prefix: str, params: tuple[str, ...], kind: str) -> Iterator[Route]:
    for entry in patterns:
        text, names = prefix + _text(entry.pattern), params + _params(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, text, names, kind)
        else:
            assert isinstance(entry, URLPattern)
            yield Route(text, names, entry.callback, kind)


def http_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", (), "http"))


def websocket_routes() -> list[Route]:
    from designs.consumers import websocket_urlpatterns

    return list(_walk(websocket_urlpatterns, "", (), "websocket"))


def all_routes() -> list[Route]:
    return http_routes() + websocket_routes()


def is_admin(route: Route) -> bool:
    return route.pattern.startswith("admin/")
