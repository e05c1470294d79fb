"""Relays libvirt's domain events to Channels groups: one hub subscription per process, per-connection registration.

Lifecycle events are registered by domains.lifecycle.inventory; this module registers
the other domain events on every connection (and again after a reconnect,
through HostConnection.on_open), publishes them on the hub, and forwards
every hub event to the channel layer groups of its domain and its host.

The hub calls listeners on libvirt's event loop. In Daphne that is the
server's loop, where the consumers live too; in tests it is a thread of its
own, while each consumer lives on its test's loop. So the relay sends to the
channel layer on every loop that has consumers attached, scheduling across
threads when it must (the in-memory layer is safe only on its own loop).
"""

import asyncio
import logging
import threading
import uuid as uuidlib

import libvirt
from channels.layers import get_channel_layer

from domains.libvirt import adapter
from domains.libvirt import events as libvirt_events

log = logging.getLogger(__name__)

GRAPHICS_PHASES = ["connect", "initialize", "disconnect"]
BLOCK_JOB_TYPES = ["unknown", "pull", "copy", "commit", "active_commit", "backup"]
BLOCK_JOB_STATUSES = ["completed", "failed", "canceled", "ready"]
AGENT_STATES = ["unknown", "connected", "disconnected"]
AGENT_REASONS = ["unknown", "domain_started", "channel"]
METADATA_TYPES = ["description", "title", "element"]


def domain_group(host_id, domain_uuid):
    return f"vc.domain.{host_id}.{domain_uuid}"


def host_group(host_id):
    return f"vc.host.{host_id}"


def _word(table, index):
    return table[index] if 0 <= index < len(table) else "unknown"


def _base(host_id, dom, kind):
    return {"type": kind, "host": host_id, "uuid": str(uuidlib.UUID(bytes=dom.UUID())), "name": dom.name()}


def _graphics(host_id, dom, phase, local, remote, auth_scheme, subject):
    event = _base(host_id, dom, "domain.graphics")
    event.update(phase=_word(GRAPHICS_PHASES, phase), auth_scheme=auth_scheme,
                 local=dict(local or {}), remote=dict(remote or {}))
    return event


def _block_job(host_id, dom, disk, job_type, status):
    event = _base(host_id, dom, "domain.block_job")
    event.update(disk=disk, job=_word(BLOCK_JOB_TYPES, job_type), status=_word(BLOCK_JOB_STATUSES, status))
    return event


def _device(kind):
    def build(host_id, dom, alias):
        event = _base(host_id, dom, kind)
        event["device"] = alias
        return event
    return build


def _tunable(host_id, dom, params):
    event = _base(host_id, dom, "domain.tunable")
    event["params"] = {key: value for key, value in (params or {}).items() if isinstance(value, (int, float, str))}
    return event


def _metadata(host_id, dom, mtype, nsuri):
    event = _base(host_id, dom, "domain.metadata_change")
    event.update(metadata=_word(METADATA_TYPES, mtype), namespace=nsuri or "")
    return event


def _agent(host_id, dom, state, reason):
    event = _base(host_id, dom, "domain.agent_lifecycle")
    event.update(state=_word(AGENT_STATES, state), reason=_word(AGENT_REASONS, reason))
    return event


# (event id, builder(host_id, dom, *callback args without conn/dom/opaque))
EXTRA_EVENTS = [
    (libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, lambda host_id, dom: _base(host_id, dom, "domain.reboot")),
    (libvirt.VIR_DOMAIN_EVENT_ID_GRAPHICS, _graphics),
    (libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, _device("domain.device_added")),
    (libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, _device("domain.device_removed")),
    (libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED, _device("domain.device_removal_failed")),
    (libvirt.VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2, _block_job),
    (libvirt.VIR_DOMAIN_EVENT_ID_TUNABLE, _tunable),
    (libvirt.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, _metadata),
    (libvirt.VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, _agent),
]


def _callback(host_id, builder):
    def callback(_conn, dom, *args):
        try:
            event = builder(host_id, dom, *args[:-1])  # the last argument is libvirt's opaque
        except libvirt.libvirtError as exc:
            log.info("domain event dropped, its domain vanished: %s", exc.get_error_message())
            return
        libvirt_events.publish(event)
    return callback


def _watch(connection):
    def register(conn):
        for event_id, builder in EXTRA_EVENTS:
            try:
                conn.domainEventRegisterAny(None, event_id, _callback(connection.host_id, builder), None)
            except libvirt.libvirtError as exc:
                # Some drivers lack some events; the others still arrive.
                log.info("host %s: event %s not available: %s", connection.host_id, event_id, exc.get_error_message())

    connection.on_open(register)


_loops = {}
_loops_lock = threading.Lock()


def attach_loop(loop):
    """A consumer on loop wants relayed events: count it in."""
    with _loops_lock:
        _loops[loop] = _loops.get(loop, 0) + 1


def detach_loop(loop):
    with _loops_lock:
        count = _loops.get(loop, 0) - 1
        if count > 0:
            _loops[loop] = count
        else:
            _loops.pop(loop, None)


def attached_loops():
    """The loops that have consumers attached now (other senders to the channel layer use these too)."""
    with _loops_lock:
        return list(_loops)


def _groups(event):
    host_id = event.get("host")
    if host_id is None:
        return []
    groups = [(host_group(host_id), "host")]
    if event.get("uuid"):
        groups.insert(0, (domain_group(host_id, event["uuid"]), "domain"))
    return groups


async def _send(layer, groups, event):
    for group, via in groups:
        await layer.group_send(group, {"type": "relay.event", "event": event, "via": via})


# loop -> the queue of events its one sender task sends, in the order libvirt gave them. A task per event
# ran a burst's sends all at once: on Redis a storm of a thousand events ran out of connections
# (MaxConnectionsError) and lost most of them, and nothing kept their order.
_outboxes = {}


def _post(loop, layer, groups, event):
    """On loop: queue event for its sender, starting the sender on first use."""
    outbox = _outboxes.get(loop)
    if outbox is None:
        outbox = _outboxes[loop] = asyncio.Queue()
        loop.create_task(_sender(outbox))
    outbox.put_nowait((layer, groups, event))


async def _sender(outbox):
    while True:
        layer, groups, event = await outbox.get()
        try:
            await _send(layer, groups, event)
        except Exception:  # one failed send must not stop the events after it
            log.exception("relaying %s to the channel layer failed", event.get("type"))


def forward(event):
    """Hub listener: send event to its groups on every loop that has consumers, one after another per loop."""
    groups = _groups(event)
    if not groups:
        return
    with _loops_lock:
        loops = list(_loops)
    try:
        current = asyncio.get_running_loop()
    except RuntimeError:
        current = None
    layer = get_channel_layer()
    for loop in loops:
        if loop.is_closed():
            detach_loop(loop)
            _outboxes.pop(loop, None)
            continue
        if loop is current:
            _post(loop, layer, groups, event)
        else:
            loop.call_soon_threadsafe(_post, loop, layer, groups, event)


def install():
    """Subscribe the relay to the hub and hook every connection (called once from DomainsConfig.ready)."""
    libvirt_events.subscribe(forward)
    adapter.on_new_connection(_watch)
