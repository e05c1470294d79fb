"""Pool lifecycle and refresh events: rows kept in step (undefined -> gone) and "pool.lifecycle" published to sockets."""

import uuid as uuidlib

from django.db import close_old_connections

from domains.libvirt import adapter
from domains.libvirt import events as libvirt_events
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.storage.pools.inventory import mark_gone


def _mark_gone(host_id, pool_uuid):
    """Runs in a worker thread: the event loop must not wait on the database."""
    close_old_connections()
    try:
        mark_gone(host_id, pool_uuid)
    finally:
        close_old_connections()


def pool_event(host_id, uuid_bytes, name, kind, numbers=None):
    """The "pool.lifecycle" message: which pool, what happened, and its space now (absent once it is gone)."""
    event = {"type": "pool.lifecycle", "host": host_id, "pool": str(uuidlib.UUID(bytes=uuid_bytes)), "name": name,
             "event": kind}
    if numbers:
        event.update({key: numbers[key] for key in ("state", "capacity", "allocation", "available", "volumes")})
    return event


def _on_pool_event(host_id, uuid_bytes, name, kind, numbers):
    if kind == "undefined":
        libvirt_events.write_in_event_order(_mark_gone, host_id, uuid_bytes)
    libvirt_events.publish(pool_event(host_id, uuid_bytes, name, kind, numbers))


def _watch(connection):
    def publish(host_id, uuid_bytes, name, kind, pool):
        try:
            numbers = libvirt_storage.pool_live(pool) if kind not in ("undefined", "deleted") else None
        except VirtError:
            numbers = None  # gone between the event and the question
        _on_pool_event(host_id, uuid_bytes, name, kind, numbers)

    libvirt_storage.watch_pool_events(connection, publish)


def install():
    """Register pool events on every host connection (called once from DomainsConfig.ready)."""
    adapter.on_new_connection(_watch)
