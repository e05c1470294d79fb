"""Libvirt's domain events other than lifecycle, registered on every connection and published on the hub.

Lifecycle events are registered by domains.lifecycle.inventory; this module registers
the other domain events on every connection (and again after a reconnect,
through HostConnection.on_open) and publishes them on the hub, from where
domains.cluster.events sends them to the whole cluster once.
"""

import logging
import uuid as uuidlib

import libvirt

from domains.libvirt import adapter
from domains.libvirt import events as libvirt_events

log = logging.getLogger(__name__)

GRAPHICS_PHASES = ["connect", "initialize", "disconnect"]
BLOCK_JOB_TYPES = ["unknown", "pull", "copy", "commit", "active_commit", "backup"]
BLOCK_JOB_STATUSES = ["completed", "failed", "canceled", "ready"]
AGENT_STATES = ["unknown", "connected", "disconnected"]
AGENT_REASONS = ["unknown", "domain_started", "channel"]
METADATA_TYPES = ["description", "title", "element"]


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


def install():
    """Register the other domain events on every connection (called once from DomainsConfig.ready)."""
    adapter.on_new_connection(_watch)
