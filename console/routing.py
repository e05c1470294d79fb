"""Websocket routes under /ws/v1/."""

websocket_urlpatterns = []

from qemu_extras.routing import websocket_urlpatterns as qemu_extras_routes  # noqa: E402  QEMU extras' monitor

websocket_urlpatterns += qemu_extras_routes
