"""Websocket routes under /ws/v1/ (protocol virtconsole.v1: see domains/api/ws_protocol.py)."""

from django.urls import path

from console.consoles.serial import SerialConsoleSocket
from console.consoles.vnc import VncConsoleSocket
from console.events.socket import EventsSocket

websocket_urlpatterns = [
    path("ws/v1/events", EventsSocket.as_asgi()),
    path("ws/v1/domains/<uuid:uuid>/serial", SerialConsoleSocket.as_asgi()),
    path("ws/v1/domains/<uuid:uuid>/vnc", VncConsoleSocket.as_asgi()),
]

from qemu_extras.routing import websocket_urlpatterns as qemu_extras_routes  # noqa: E402  QEMU extras' monitor

websocket_urlpatterns += qemu_extras_routes
