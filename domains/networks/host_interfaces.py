"""The host's network interfaces and bridges as a read-only list, so a bridge or macvtap device is a pick, not typed.

Read through libvirt's interface driver (it works on remote hosts). Debian's build uses the udev backend: it gives
type, MAC, MTU, link state and a bridge's members, no addresses (those come from the XML where a backend such as
netcf gives them, and for a libvirt network's own bridge from the network's definition).
"""

import re

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import permissions
from domains.definitions.xml.safe_xml import parse
from domains.libvirt import host_interfaces as libvirt_interfaces
from domains.libvirt import networks as libvirt_networks
from domains.networks.definition import NetworkError, read_definition

USES = ("bridge", "macvtap")
# Forward modes whose network uses a host device (no bridge of its own).
HOST_DEVICE_MODES = ("bridge", "passthrough", "private", "vepa", "hostdev")
# Devices libvirt makes for guests and takes away again: never a base for a network.
GUEST_DEVICES = re.compile(r"^(vnet|macvtap|macvlan)\d+$")


def _addresses(element):
    return [{"address": ip.get("address"), "prefix": int(ip.get("prefix")) if ip.get("prefix") else None,
             "family": protocol.get("family")}
            for protocol in element.findall("protocol") for ip in protocol.findall("ip")]


def _fact(element, active, owners, in_bridge=None):
    kind = element.get("type") or "ethernet"
    link = element.find("link")
    members = [member.get("name") for member in element.findall(f"{kind}/interface")] if kind in ("bridge", "bond") \
        else []
    name = element.get("name")
    mac = element.find("mac")
    return {"name": name, "mac": mac.get("address") if mac is not None else None, "active": active,
            "link": link.get("state") if link is not None else None, "kind": kind,
            "mtu": int(element.find("mtu").get("size")) if element.find("mtu") is not None else None,
            "members": members, "in_bridge": in_bridge, "addresses": _addresses(element),
            "network": owners[name][0] if name in owners else None}


def _usable_for(fact):
    """Which forward modes may name this interface: a bridge not made by a libvirt network for forward bridge; a
    physical-like device (not loopback, not a bridge or its member, not a guest's tap) for macvtap."""
    uses = []
    if fact["kind"] == "bridge" and fact["network"] is None:
        uses.append("bridge")
    if (fact["kind"] in ("ethernet", "bond", "vlan") and fact["in_bridge"] is None and fact["name"] != "lo"
            and fact["mac"] not in (None, "00:00:00:00:00:00") and not GUEST_DEVICES.match(fact["name"])):
        uses.append("macvtap")
    return uses


def bridge_owners(user, host):
    """{bridge name: (libvirt network name, [its ipv4/ipv6 dicts])} of the host's networks, if user may see them
    (network.getattr)."""
    if not permissions.has_perm(user, "network.getattr", host):
        return {}
    owners = {}
    for handle in libvirt_networks.list_networks(host):
        live = libvirt_networks.network_live(handle)
        definition = read_definition(libvirt_networks.network_xml(handle, inactive=not live["active"]))
        bridge = live["bridge"] if definition.forward not in HOST_DEVICE_MODES else None
        if bridge:
            owners[bridge] = (definition.name, [ip for ip in (definition.ipv4, definition.ipv6) if ip])
    return owners


def host_interfaces(user, host, usable_for=None):
    """[interface facts] of host, sorted by name, each with usable_for; only those usable for usable_for if given."""
    if usable_for is not None and usable_for not in USES:
        raise NetworkError(format_lazy(_("Unknown use '{use}': give usable_for=bridge or usable_for=macvtap."),
                                       use=usable_for), fields={"usable_for": [_("Unknown.")]})
    owners = bridge_owners(user, host)
    facts = []
    for _name, active, xml in libvirt_interfaces.list_interfaces(host):
        root = parse(xml).root
        fact = _fact(root, active, owners)
        facts.append(fact)
        for member in root.findall(f"{fact['kind']}/interface"):
            # The udev backend lists a bridge's members only inside it: they are host interfaces all the same.
            facts.append(_fact(member, active=None, owners=owners, in_bridge=fact["name"]))
    for fact in facts:
        if fact["network"] and not fact["addresses"]:
            fact["addresses"] = [{"address": ip["address"], "prefix": ip["prefix"],
                                  "family": "ipv6" if ":" in ip["address"] else "ipv4"}
                                 for ip in owners[fact["name"]][1]]
        fact["usable_for"] = _usable_for(fact)
    facts = [fact for fact in facts if usable_for is None or usable_for in fact["usable_for"]]
    return sorted(facts, key=lambda fact: fact["name"])
