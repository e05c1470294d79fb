"""The one way to find a network (and its libvirt handle) for a user: every network view and action uses these."""

import threading
import uuid as uuidlib
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.http import Http404

from domains.access import permissions
from domains.hosts.models import Host
from domains.libvirt import networks as libvirt_networks
from domains.networks.models import Network


def network_row(host, handle):
    """The Network row of a libvirt network handle, made on first sight and renamed or revived to match libvirt."""
    network_uuid = libvirt_networks.network_uuid(handle)
    name = libvirt_networks.network_name(handle)
    row = Network.objects.filter(host=host, uuid=network_uuid).first()
    if row is None:
        try:
            with transaction.atomic():
                return Network.objects.create(host=host, uuid=network_uuid, name=name)
        except IntegrityError:  # another thread or process made it just now
            row = Network.objects.get(host=host, uuid=network_uuid)
    if row.name != name or row.gone:
        row.name, row.gone = name, False
        row.save(update_fields=["name", "gone", "changed"])
    return row


def _sees_networks_on(user, host):
    """Whether user holds network.getattr on host itself or on one of its networks (a network grant)."""
    return (permissions.has_perm(user, "network.getattr", host)
            or permissions.restrict(Network.objects.filter(host=host), user, "network.getattr").exists())


def visible_host(user, host_pk, permission="network.getattr"):
    """The Host host_pk, checked for permission on its networks as a whole (listing, defining).

    Http404 when the host does not exist or user may not see it (neither getattr nor network.getattr there,
    on the host or on one of its networks); permissions.PermissionDenied naming permission when the host is
    visible but the permission is not held: network.getattr counts as held when one network of the host is
    visible (the list then shows that one), anything else must be held on the host.
    """
    host = Host.objects.filter(pk=host_pk).first()
    if host is None or not (permissions.has_perm(user, "getattr", host) or _sees_networks_on(user, host)):
        raise Http404("No such host, or you may not see it.")
    held = _sees_networks_on(user, host) if permission == "network.getattr" else \
        permissions.has_perm(user, permission, host)
    if not held:
        raise permissions.PermissionDenied(permission, host)
    return host


def visible_network(user, host_pk, name, permission="network.getattr"):
    """(Network row, virNetwork) for the network called name on host host_pk, checked for permission.

    Http404 when the host or network does not exist or user may not see it (network.getattr on the network,
    through a network, host or global grant): a hidden network answers as a missing one.
    permissions.PermissionDenied naming permission when it is visible but not held.
    """
    host = Host.objects.filter(pk=host_pk).first()
    # Someone who may see nothing on the host never makes the console ask its libvirt.
    if host is None or not (permissions.has_perm(user, "getattr", host) or _sees_networks_on(user, host)):
        raise Http404("No such host, or you may not see it.")
    handle = libvirt_networks.find_network(host, name=name)
    row = network_row(host, handle) if handle is not None else None
    if row is None or not permissions.has_perm(user, "network.getattr", row):
        raise Http404(f"No network '{name}' on host {host_pk}, or you may not see it.")
    if not permissions.has_perm(user, permission, row):
        raise permissions.PermissionDenied(permission, row)
    return row, handle


_row_locks = defaultdict(threading.Lock)
_row_locks_guard = threading.Lock()


def network_row_lock(host_id, network_uuid):
    """The lock under which a network's row is judged from libvirt and written: by the event writer, and by
    the delete action around its undefine. Without it, a stop event written late (after the delete marked the
    row gone, judged while the network was still defined) revived a deleted network's row (seen in a full run)."""
    if isinstance(network_uuid, bytes):
        network_uuid = uuidlib.UUID(bytes=network_uuid)
    with _row_locks_guard:
        return _row_locks[(host_id, network_uuid)]


def mark_gone(host_id, network_uuid):
    """The network with network_uuid (uuid.UUID or bytes) was undefined: keep its row and history, marked gone."""
    if isinstance(network_uuid, bytes):
        network_uuid = uuidlib.UUID(bytes=network_uuid)
    Network.objects.filter(host_id=host_id, uuid=network_uuid).update(gone=True)


def row_seen(host_id, network_uuid, name):
    """A lifecycle event named a defined or started network: its row, made, renamed or revived (None: host gone)."""
    if isinstance(network_uuid, bytes):
        network_uuid = uuidlib.UUID(bytes=network_uuid)
    row = Network.objects.filter(host_id=host_id, uuid=network_uuid).first()
    if row is None:
        if not Host.objects.filter(pk=host_id).exists():
            return None
        try:
            with transaction.atomic():
                return Network.objects.create(host_id=host_id, uuid=network_uuid, name=name)
        except IntegrityError:  # a request made it just now
            row = Network.objects.get(host_id=host_id, uuid=network_uuid)
    if row.name != name or row.gone:
        row.name, row.gone = name, False
        row.save(update_fields=["name", "gone", "changed"])
    return row
