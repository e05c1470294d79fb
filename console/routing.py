"""Websocket routes under /ws/v1/."""

websocket_urlpatterns = []
