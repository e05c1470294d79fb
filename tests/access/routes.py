"""Every HTTP and websocket route of the site, with its declared permission (or None)."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from domains.access.permission_names import ROUTES_OUTSIDE
from domains.access.permissions import declared_permission


@dataclass
class Route:
    kind: str  # "http" or "ws"
    pattern: str
    name: str
    callback: object
    declared: object


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner_ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if inner_ns in ROUTES_OUTSIDE:
                continue
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner_ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace + (entry.name or ""), entry.callback


def http_routes():
    return [Route("http", pattern, name, callback, declared_permission(callback, http_key(pattern, name)))
            for pattern, name, callback in _walk(get_resolver().url_patterns)]


def http_key(pattern, name):
    """The ROUTE_PERMISSIONS key of an HTTP route: its URL name, or "path:<pattern>" if it has none."""
    return name or f"path:{pattern}"


def websocket_routes():
    from console.routing import websocket_urlpatterns

    return [Route("ws", pattern, name, callback, declared_permission(callback, f"ws:{pattern}"))
            for pattern, name, callback in _walk(websocket_urlpatterns)]
