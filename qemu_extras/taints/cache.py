"""libvirt's taint and deprecation messages per running domain, fetched once per boot and explained."""

import threading
import time
import uuid as uuidlib

import libvirt

from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError, translated_errors
from qemu_extras.taints.explanations import explain_all

MESSAGE_FLAGS = libvirt.VIR_DOMAIN_MESSAGE_TAINTING | libvirt.VIR_DOMAIN_MESSAGE_DEPRECATION
# Lifecycle events end an entry; this bounds how long a missed event can leave one stale.
MAX_AGE_SECONDS = 300.0

_cache = {}  # (host id, uuid str) -> (libvirt domain id, [messages], fetched at)
_lock = threading.Lock()


def _key(host_id, uuid):
    return (int(host_id), str(uuid))


def forget(host_id, uuid):
    """Drop the cached messages of one domain (after a passthrough, a start or a stop)."""
    with _lock:
        _cache.pop(_key(host_id, uuid), None)


def on_lifecycle(event):
    """libvirt_events listener: a domain that starts or stops gets its messages read afresh."""
    if event.get("type") == "domain.lifecycle" and event.get("event") in ("started", "stopped", "crashed"):
        forget(event["host"], event["uuid"])


def _fetch(dom):
    with translated_errors():
        boot = dom.ID()
        try:
            messages = dom.messages(MESSAGE_FLAGS)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() != libvirt.VIR_ERR_NO_SUPPORT:
                raise
            messages = []  # drivers without virDomainGetMessages (test:///) have nothing to say
    return boot, list(messages)


def messages_of(host_id, uuid, dom):
    """The messages of a running virDomain, from the cache when it holds this boot's."""
    with translated_errors():
        boot = dom.ID()
    key = _key(host_id, uuid)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] == boot and time.monotonic() - cached[2] < MAX_AGE_SECONDS:
        return cached[1]
    boot, messages = _fetch(dom)
    with _lock:
        _cache[key] = (boot, messages, time.monotonic())
    return messages


def cached_messages(host, uuid):
    """Messages for a listing: the cached ones, or one lookup and fetch for a domain not seen this boot."""
    key = _key(host.pk, uuid)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and time.monotonic() - cached[2] < MAX_AGE_SECONDS:
        return cached[1]
    dom = adapter.find_domain(adapter.connection_for(host).get(), uuid=uuidlib.UUID(str(uuid)))
    if dom is None:
        return []
    with translated_errors():
        if not dom.isActive():
            return []
    return messages_of(host.pk, uuid, dom)


def explained_for_listing(host, uuid):
    """explain_all() of cached_messages(); [] when the host or domain cannot be asked right now."""
    try:
        return explain_all(cached_messages(host, uuid))
    except VirtError:
        return []
