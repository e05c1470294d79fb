"""Live interface removals the guest has not finished yet, settled by libvirt's DEVICE_REMOVED event.

Why the API answers 202 rather than waiting for the event: libvirt's detach call already waits a few
seconds for the guest to let go (its own bounded wait) and returns when the device is gone or the wait is
over. A guest that has not answered by then may answer much later or never (no ACPI hotplug support, a
guest still in its boot loader, a hung kernel), so any further wait in the request would be a guess
holding a server thread. Instead the removal is watched here: GET .../interfaces shows the interface as
pending, and the event (relayed to the events socket as domain.device_removed, or
domain.device_removal_failed) writes the audit outcome the request could not.

The watch lives in this process's memory: the request and libvirt's event for one domain reach the same
process (each process has its own libvirt connection and events); after a restart, a removal still pending
has no outcome entry, and the interface simply stops being listed once the guest lets go.
"""

import logging
import threading
import uuid as uuidlib
from dataclasses import dataclass

from django.db import close_old_connections

from domains.access import audit
from domains.libvirt import events as libvirt_events
from domains.lifecycle.models import Domain

log = logging.getLogger(__name__)

REMOVED = "domain.device_removed"
REMOVAL_FAILED = "domain.device_removal_failed"


@dataclass
class _Watch:
    mac: str = ""
    user: object = None
    intent: object = None  # the audit entry announcing the removal; None until the request hands it over
    source_address: str | None = None
    ended: str | None = None  # the event's outcome, when it came before the request handed over


_watches = {}
_lock = threading.Lock()


def _key(host_id, domain_uuid, alias):
    return host_id, uuidlib.UUID(str(domain_uuid)), alias


def watch(domain, alias):
    """Start listening for the end of alias's removal (before the detach call: the event can beat its return)."""
    with _lock:
        _watches[_key(domain.host_id, domain.uuid, alias)] = _Watch()


def forget(domain, alias):
    with _lock:
        _watches.pop(_key(domain.host_id, domain.uuid, alias), None)


def expect(domain, alias, mac, user, intent, source_address=None):
    """The detach call returned with the removal still pending: the event writes its outcome (or has already)."""
    key = _key(domain.host_id, domain.uuid, alias)
    with _lock:
        entry = _watches.get(key)
        if entry is None:
            entry = _watches[key] = _Watch()
        entry.mac, entry.user, entry.intent, entry.source_address = mac, user, intent, source_address
        ended = entry.ended
        if ended is not None:
            _watches.pop(key, None)
    if ended is not None:
        _write(domain, entry)


def pending_devices(domain):
    """The aliases of domain's interfaces whose live removal is pending."""
    with _lock:
        return {alias for (host_id, uuid, alias) in _watches
                if host_id == domain.host_id and uuid == uuidlib.UUID(str(domain.uuid))}


def _write(domain, entry):
    audit.record_outcome(entry.intent, entry.user, domain, entry.ended,
                         {"mac": entry.mac, "live": True}, entry.source_address)


def _write_from_event(key, entry):
    close_old_connections()
    try:
        domain = Domain.objects.filter(host_id=key[0], uuid=key[1]).first()
        if domain is not None:
            _write(domain, entry)
    finally:
        close_old_connections()


def on_event(event):
    """Hub listener (on libvirt's event loop): settle a watched removal; the database is written off the loop."""
    if event.get("type") not in (REMOVED, REMOVAL_FAILED) or not event.get("device"):
        return
    key = _key(event["host"], event["uuid"], event["device"])
    outcome = "ok" if event["type"] == REMOVED else "failed: the guest refused to release the device"
    with _lock:
        entry = _watches.get(key)
        if entry is None:
            return
        entry.ended = outcome
        if entry.intent is None:
            return  # the request is still in its detach call: expect() writes the outcome
        _watches.pop(key, None)
    libvirt_events.write_in_event_order(_write_from_event, key, entry)


def install():
    """Listen for the ends of removals (called once from DomainsConfig.ready)."""
    libvirt_events.subscribe(on_event)
