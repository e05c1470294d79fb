"""Network lifecycle events: rows kept in step (undefined or a transient one stopped -> gone) and
"network.lifecycle" published to the sockets of users who may see the network."""

import uuid as uuidlib

from django.db import close_old_connections

from domains.hosts.models import Host
from domains.libvirt import adapter
from domains.libvirt import events as libvirt_events
from domains.libvirt import networks as libvirt_networks
from domains.libvirt.adapter import VirtError
from domains.networks.lookups import mark_gone, network_row_lock, row_seen


def _keep_row(host_id, uuid_bytes, name, gone):
    """Runs in the event-order writer thread: the event loop must not wait on the database.

    A network the event found defined is asked about again now, under the row's lock: the write may come
    long after the event (a burst, a slow database), when the network is gone.
    """
    close_old_connections()
    try:
        with network_row_lock(host_id, uuid_bytes):
            if not gone:
                known = _known_now(host_id, uuid_bytes)
                if known is None:
                    return  # the host was forgotten meanwhile: no verdict
                gone = not known
            if gone:
                mark_gone(host_id, uuid_bytes)
            else:
                row_seen(host_id, uuid_bytes, name)
    finally:
        close_old_connections()


def _known_now(host_id, uuid_bytes):
    """Whether the host's libvirt knows the network now; None without an open connection to ask."""
    host = Host.objects.filter(pk=host_id).first()
    conn = adapter.open_connection_of(host) if host is not None else None
    if conn is None:
        return None
    try:
        return libvirt_networks.network_known(conn, uuid_bytes)
    except VirtError:
        return None  # host trouble, not a verdict on the network


def network_event(host_id, uuid_bytes, name, kind, live=None):
    """The "network.lifecycle" message: which network, what happened, whether it is gone, and its state now."""
    event = {"type": "network.lifecycle", "host": host_id, "network": str(uuidlib.UUID(bytes=uuid_bytes)),
             "name": name, "event": kind, "gone": live is None}
    if live is not None:
        event.update({key: live[key] for key in ("active", "persistent", "autostart")})
    return event


def _on_network_event(host_id, uuid_bytes, name, kind, live):
    libvirt_events.write_in_event_order(_keep_row, host_id, uuid_bytes, name, live is None)
    libvirt_events.publish(network_event(host_id, uuid_bytes, name, kind, live))


def _watch(connection):
    def publish(host_id, uuid_bytes, name, kind, network):
        # Undefining a running network leaves it running, transient; a transient network is gone once stopped:
        # libvirt says which by still knowing the network, or not.
        try:
            live = libvirt_networks.network_live(network)
        except VirtError:
            live = None
        if live is not None and kind == "undefined" and not live["active"]:
            live = None
        _on_network_event(host_id, uuid_bytes, name, kind, live)

    libvirt_networks.watch_network_events(connection, publish)


def install():
    """Register network events on every host connection (called once from DomainsConfig.ready)."""
    adapter.on_new_connection(_watch)
