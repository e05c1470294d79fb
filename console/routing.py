"""Websocket routes under /ws/v1/ (protocol virtconsole.v1: see console/ws_protocol.py)."""

from django.urls import path

from console.consumers.events import EventsSocket
from console.consumers.serial import SerialConsoleSocket
from console.consumers.vnc import VncConsoleSocket

websocket_urlpatterns = [
    path("ws/v1/events", EventsSocket.as_asgi()),
    path("ws/v1/domains/<uuid:uuid>/serial", SerialConsoleSocket.as_asgi()),
    path("ws/v1/domains/<uuid:uuid>/vnc", VncConsoleSocket.as_asgi()),
]

from qemu_extras.routing import websocket_urlpatterns as qemu_extras_routes  # noqa: E402  QEMU extras' monitor

websocket_urlpatterns += qemu_extras_routes
