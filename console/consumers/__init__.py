"""The /ws/v1/ websocket consumers: events, serial console, graphical console."""
