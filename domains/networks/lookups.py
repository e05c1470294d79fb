"""The one way to find a network (and its libvirt handle) for a user: every network view and action uses these."""

import uuid as uuidlib

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


def visible_host(user, host_pk, permission="network.getattr"):
    """The Host host_pk, checked for permission on its networks (network permissions are host-level for now, so
    the route's own permission is checked here, before any network is looked up: no name leaks to a refusal).

    Http404 when the host does not exist or user may not see it (neither getattr nor network.getattr there);
    permissions.PermissionDenied naming permission when the host is visible but the permission not held.
    """
    host = Host.objects.filter(pk=host_pk).first()
    if host is None or not (permissions.has_perm(user, "getattr", host)
                            or permissions.has_perm(user, "network.getattr", host)):
        raise Http404("No such host, or you may not see it.")
    if not permissions.has_perm(user, permission, host):
        raise permissions.PermissionDenied(permission, host)
    return host


def visible_network(user, host_pk, name, permission="network.getattr"):
    """(Network row, virNetwork) for the network called name on host host_pk, checked for permission.

    Http404 when the host or network does not exist or user may not see it; permissions.PermissionDenied naming
    permission when it is visible but not held.
    """
    host = visible_host(user, host_pk, permission)
    handle = libvirt_networks.find_network(host, name=name)
    if handle is None:
        raise Http404(f"No network '{name}' on host {host_pk}, or you may not see it.")
    return network_row(host, handle), handle


def mark_gone(host_id, network_uuid):
    """The network with network_uuid (uuid.UUID or bytes) was undefined: keep its row and history, marked gone."""
    if isinstance(network_uuid, bytes):
        network_uuid = uuidlib.UUID(bytes=network_uuid)
    Network.objects.filter(host_id=host_id, uuid=network_uuid).update(gone=True)
