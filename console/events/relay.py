"""The cluster's events and job changes to this process's sockets: one bus listener each, the JSON made once."""

import json

from console.sockets import fanout
from domains.cluster import bus


def on_event(event, _origin):
    fanout.deliver(fanout.event_topics(event), "relay_event", {"event": event, "text": json.dumps(event, default=str)})


def on_job(message, _origin):
    fanout.deliver([fanout.JOBS], "job_event", message)


def install():
    """Called once from ConsoleConfig.ready."""
    bus.on("event", on_event)
    bus.on("job", on_job)
