"""Which interfaces a network grant allows: <interface type='network'> on a network the user may plug into.

"May plug into network N" is libvirt's own network_port.create on N. When a domain with an
<interface type='network'> starts (or the interface is hot-plugged), libvirt's domain driver asks the
network driver for a port on N (virNetworkPortCreateXML), and libvirt's ACL checks network_port:create
on N for exactly that. network.getattr and network.read only show the network; network.write changes it
(host-level); so the port is the one permission that means "a guest of mine may sit on this network".
The network decides where the traffic goes (NAT, an isolated bridge, a host interface in macvtap mode):
whoever granted network_port.create on it chose that for the grantee; the grantee names nothing else.

So a definition change that adds an interface on network N, or moves one onto N, needs
network_port.create on N (through a network, host or global grant), and a network the user may not see
(network.getattr) is answered as one that does not exist. An interface the old definition already had,
on the same network, passes unchanged: a Power user keeps the interface an administrator put on a
network she may not use, and may change its model or MAC. Everything else about interfaces (bridge,
direct, ethernet, hostdev, vhostuser, a <script>, a tap <target>, a <backend>) is a host reference of
the definition policy and needs host_resources (policy.py).
"""

from collections import Counter
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import permissions
from domains.libvirt import networks as libvirt_networks
from domains.libvirt.adapter import VirtError
from domains.networks.lookups import network_row

PLUG = "network_port.create"
# What <source> of a network interface may say: the network and its port group. Anything more is not a
# plain plug into the network, so it is judged as a host reference would be (host_resources).
_SOURCE_ATTRIBUTES = {"network", "portgroup"}


@dataclass(frozen=True)
class NetworkUse:
    """One <interface type='network'> of a definition: the network it names and where it is written."""

    network: str | None
    identity: tuple
    line: int | None
    path: str
    plain: bool

    def describe(self):
        if self.line:
            return format_lazy(_("<interface type='network'> at line {line}"), line=self.line)
        return "<interface type='network'>"


def network_uses(document):
    """Every <interface type='network'> in a parsed definition (exact lower-case type, as libvirt reads it)."""
    tree = document.root.getroottree()
    uses = []
    for interface in document.root.iterfind("devices/interface"):
        if interface.get("type") != "network":
            continue
        sources = interface.findall("source")
        source = sources[0] if len(sources) == 1 else None
        name = source.get("network") if source is not None else None
        plain = source is not None and name is not None and not len(source) \
            and not set(source.attrib) - _SOURCE_ATTRIBUTES
        identity = (name, tuple(sorted(source.attrib.items())) if source is not None else (), len(sources))
        position = document.position(interface)
        uses.append(NetworkUse(network=name, identity=identity,
                               line=position[0] if position else interface.sourceline,
                               path=tree.getpath(interface), plain=plain))
    return uses


def added_network_uses(old_document, new_document):
    """The network interfaces of new_document that old_document (None: nothing) does not hold on the same network."""
    held = Counter(use.identity for use in network_uses(old_document)) if old_document is not None else Counter()
    added = []
    for use in network_uses(new_document):
        if held[use.identity] > 0:
            held[use.identity] -= 1
        else:
            added.append(use)
    return added


def _network_seen(user, host, name):
    """The Network row called name on host if user may see it (network.getattr), else None."""
    try:
        handle = libvirt_networks.find_network(host, name=name)
    except VirtError:  # no network driver on the host (the embedded one), or libvirt away: nothing to plug into
        return None
    if handle is None:
        return None
    row = network_row(host, handle)
    return row if permissions.has_perm(user, "network.getattr", row) else None


def refused_network_uses(user, host, old_document, new_document):
    """[(NetworkUse, why, permission)] for each interface the change puts on a network user may not plug into."""
    refused = []
    for use in added_network_uses(old_document, new_document):
        if not use.plain:
            refused.append((use, _("names more than a network and its port group in <source> (or no network at "
                                   "all)"), "host_resources"))
            continue
        row = _network_seen(user, host, use.network)
        if row is None:
            refused.append((use, format_lazy(_("there is no network '{network}' on host '{host}' that you may see"),
                                             network=use.network, host=host), PLUG))
        elif not permissions.has_perm(user, PLUG, row):
            refused.append((use, format_lazy(_("plugging into network '{network}' needs the permission "
                                               "'{permission}' on it (a grant such as 'Network user' on that "
                                               "network)"), network=use.network, permission=PLUG), PLUG))
    return refused


def describe(refused):
    """One line per refused use, for the refusal message."""
    lines = [format_lazy("{}: {}", use.describe(), why) for use, why, _permission in refused]
    return format_lazy("; ".join(["{}"] * len(lines)), *lines)


__all__ = ["PLUG", "NetworkUse", "added_network_uses", "describe", "network_uses", "refused_network_uses"]
