"""Keeping Network rows in step with libvirt, and a network as pages and the API show it."""

import ipaddress

from domains.access import permissions
from domains.libvirt import networks as libvirt_networks
from domains.networks.definition import read_definition
from domains.networks.lookups import network_row
from domains.networks.models import Network


def sync_networks(host):
    """[(Network row, virNetwork)] for every network libvirt has on host, by name; vanished ones marked gone."""
    pairs = [(network_row(host, handle), handle) for handle in libvirt_networks.list_networks(host)]
    Network.objects.filter(host=host, gone=False).exclude(pk__in=[row.pk for row, _ in pairs]).update(gone=True)
    return sorted(pairs, key=lambda pair: pair[0].name)


def networks_seen_by(user, host):
    """The (row, handle) pairs of host's networks user may see (network.getattr on each), after a sync."""
    pairs = sync_networks(host)
    if permissions.has_perm(user, "network.getattr", host):
        return pairs
    visible = set(permissions.restrict(Network.objects.filter(host=host), user, "network.getattr")
                  .values_list("pk", flat=True))
    return [(row, handle) for row, handle in pairs if row.pk in visible]


def network_facts(row, handle):
    """A dict: id, name, uuid, host, active, persistent, autostart, bridge, forward, ipv4, ipv6 (as defined)."""
    live = libvirt_networks.network_live(handle)
    definition = read_definition(libvirt_networks.network_xml(handle, inactive=not live["active"]))
    return {"id": row.pk, "name": row.name, "uuid": str(row.uuid), "host": row.host_id, **live,
            "bridge": live["bridge"] or definition.bridge, "forward": definition.forward,
            "ipv4": definition.ipv4, "ipv6": definition.ipv6}


def subnets_in_use(host, except_name=None):
    """{network name: [ipaddress networks]} of the host's other networks, from their definitions."""
    used = {}
    for handle in libvirt_networks.list_networks(host):
        name = libvirt_networks.network_name(handle)
        if name == except_name:
            continue
        definition = read_definition(libvirt_networks.network_xml(handle))
        used[name] = [ipaddress.ip_interface(f"{ip['address']}/{ip['prefix']}").network
                      for ip in (definition.ipv4, definition.ipv6) if ip and ip.get("prefix") is not None]
    return used
