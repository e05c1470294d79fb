"""Websocket route of the QEMU extras: the monitor session, subprotocol virtconsole.qemu.v1."""

from django.urls import path

from qemu_extras.monitor.socket import MonitorSocket

websocket_urlpatterns = [
    path("ws/v1/domains/<uuid:uuid>/monitor", MonitorSocket.as_asgi()),
]
