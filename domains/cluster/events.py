"""Libvirt's events onto the cluster's bus, each exactly once: the process leading a host sends its events.

Every process keeps its own connection to each host it uses, and libvirt
sends each of them every event. Only the process that leads the host
(leadership duty "host:<id>") broadcasts them; the others hold theirs until
the leader's copy of the same event comes over the bus, and drop it then.
When the leader dies, the process that takes the host over first sends a
marker through the bus to itself: every message the old leader sent before it
died is read before the marker comes back, so what is still held then is
exactly what the old leader never sent, and goes out in libvirt's order
before any newer event. Nothing is lost between the old leader's last event
and the new leader's first, and nothing is doubled.

Listeners of led events (on_led) run in the leading process only: work that
must happen once per event for the whole cluster (recording an external
definition change as a revision) belongs there.
"""

import json
import logging
import threading
import time
from collections import deque

from domains.cluster import bus, leadership
from domains.libvirt import adapter
from domains.libvirt import events as libvirt_events

log = logging.getLogger(__name__)

# A held event whose leader's copy never came (the leader's connection was down meanwhile) is dropped after
# this; so is a leader's copy this process never got itself (its connection opened later).
HOLD_SECONDS = 30.0

FOLLOWING, TAKING_OVER, LEADING = "following", "taking over", "leading"


class HostRelay:
    """What this process knows of one host's event stream."""

    def __init__(self, host_id):
        self.host_id = host_id
        self.state = FOLLOWING
        self.held = deque()  # (key, event, monotonic time): ours, not seen from the leader yet
        self.ahead = deque()  # (key, monotonic time): the leader's, not received here yet
        self.marker = None  # the takeover marker this process waits for

    def forget_old(self, now):
        for queue in (self.held, self.ahead):
            while queue and now - queue[0][-1] > HOLD_SECONDS:
                queue.popleft()


_relays = {}  # host id -> HostRelay
_lock = threading.Lock()
_led_listeners = []


def duty_of(host_id):
    return f"host:{host_id}"


def on_led(listener):
    """listener(event) runs for each event this process sends as its host's leader (once in the cluster)."""
    if listener not in _led_listeners:
        _led_listeners.append(listener)
    return listener


def leads_host(host_id):
    return leadership.leads(duty_of(host_id))


def stand_for_host(host_id, on_gain=None, on_loss=None):
    """This process stands for leading host_id, which it may do only while its connection to the host is open:
    a leader that cannot hear the host would send nothing, while the others held its events for nobody."""
    leadership.lead(duty_of(host_id), on_gain=on_gain, on_loss=on_loss,
                    eligible=lambda: adapter.is_connected(host_id))


def _key(event):
    return json.dumps(event, sort_keys=True, default=str)


def _relay_of(host_id):
    with _lock:
        relay = _relays.get(host_id)
        if relay is None:
            relay = _relays[host_id] = HostRelay(host_id)
        return relay


def _send(event):
    """Broadcast one event as its host's leader (on libvirt's event loop, in libvirt's order)."""
    bus.broadcast("event", event)
    for listener in list(_led_listeners):
        try:
            listener(event)
        except Exception:  # one broken listener must not keep the event from the others
            log.exception("led event listener %r failed on %r", listener, event)


def on_local_event(event):
    """Hub listener (libvirt's event loop): an event this process's own connection received."""
    host_id = event.get("host")
    if host_id is None:
        return
    relay = _relay_of(host_id)
    if event.get("type") == "host.health":
        # Each process's own connection: only the leader's tells the cluster how the host is (a lone process's
        # always does: it is the only one that can tell).
        if relay.state == LEADING or not bus.is_shared():
            _send(event)
        if event.get("state") == adapter.CONNECTED:
            leadership.retry(duty_of(host_id))
        else:
            leadership.step_aside(duty_of(host_id))  # deaf to the host now: a process that hears it leads
        return
    with _lock:
        # A leader with nothing ahead (the common case) sends at once, without making a key.
        if relay.state != LEADING or relay.ahead:
            now = time.monotonic()
            relay.forget_old(now)
            key = _key(event)
            if _take(relay.ahead, key):
                return  # the (old) leader sent it already: it reached this connection later than the leader's
            if relay.state != LEADING:
                relay.held.append((key, event, now))
                return
    _send(event)


def _take(queue, key):
    """Remove the first entry of queue whose key is key; whether there was one."""
    for index, entry in enumerate(queue):
        if entry[0] == key:
            del queue[index]
            return True
    return False


def on_bus_event(event, origin):
    """Bus listener: an event some leader sent; a following process drops its own copy of it."""
    if origin == bus.PROCESS:
        return
    host_id = event.get("host")
    if host_id is None or event.get("type") == "host.health":
        return
    relay = _relay_of(host_id)
    with _lock:
        if relay.state == LEADING:
            return  # two leaders for a moment (a lock connection lost unnoticed): nothing to match
        now = time.monotonic()
        relay.forget_old(now)
        key = _key(event)
        if not _take(relay.held, key):
            relay.ahead.append((key, now))


def _take_over(host_id):
    """Leadership callback: this process leads host_id now; send a marker to learn when the old leader's are read."""
    relay = _relay_of(host_id)
    with _lock:
        relay.state = TAKING_OVER
        relay.marker = f"{bus.PROCESS}:{time.monotonic_ns()}"
        marker = relay.marker
    bus.start()
    bus.broadcast("handover", {"host": host_id, "marker": marker})


def on_handover(payload, origin):
    """Bus listener: a process took a host over; for the taker, its marker came back: send what is held."""
    if origin != bus.PROCESS:
        return
    relay = _relay_of(payload["host"])
    loop = libvirt_events.ensure_event_loop()
    # Held events are sent from libvirt's event loop, where newer ones arrive: none can overtake them.
    loop.call_soon_threadsafe(_finish_takeover, relay, payload["marker"])


def _finish_takeover(relay, marker):
    with _lock:
        if relay.state != TAKING_OVER or relay.marker != marker:
            return  # lost again meanwhile, or a newer takeover is under way
        relay.forget_old(time.monotonic())
        missed = [event for _key_, event, _when in relay.held]
        relay.held.clear()
        # What is still ahead stays: the old leader sent it, and this connection may yet bring it.
        relay.state = LEADING
    if missed:
        log.info("host %s: took over its events; sending %d the previous leader did not", relay.host_id, len(missed))
    for event in missed:
        _send(event)
    if bus.is_shared():
        # The pages learn how the host is from its new leader: its own "connected" (a first connection, or one
        # back after the host was away, when the pages last heard "reconnecting") came before it led.
        health = adapter.health_of_host_id(relay.host_id)
        _send({"type": "host.health", "host": relay.host_id, "state": health.state, "message": health.message})


def _step_down(host_id):
    relay = _relay_of(host_id)
    with _lock:
        relay.state = FOLLOWING
        relay.marker = None


def _want_host(connection):
    """New-connection hook: every process with a connection to a host stands for leading it."""
    host_id = connection.host_id
    bus.start()
    stand_for_host(host_id, on_gain=lambda: _take_over(host_id), on_loss=lambda: _step_down(host_id))


def install():
    """Relay this process's libvirt events through the bus (called once from DomainsConfig.ready)."""
    libvirt_events.subscribe(on_local_event)
    bus.on("event", on_bus_event)
    bus.on("handover", on_handover)
    adapter.on_new_connection(_want_host)
