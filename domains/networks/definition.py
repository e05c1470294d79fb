"""Network definitions as XML: made from the API's fields, parsed safely, validated by libvirt's network.rng."""

import functools
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.definitions.xml.errors import DefinitionError
from domains.definitions.xml.safe_xml import parse
from domains.errors import ConsoleError

SCHEMA = Path("/usr/share/libvirt/schemas/network.rng")
# libvirt makes files from network names (/etc/libvirt/qemu/networks/<name>.xml): no '/', no leading dot.
NETWORK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")
# The API's forward words -> libvirt's <forward mode>; "none" is an isolated network (no <forward>).
FORWARD_MODES = ("nat", "route", "none", "open", "bridge", "macvtap", "hostdev")
# libvirt 9.0's network.rng has no <portForward> (only a domain's passt interface has one).
PORT_FORWARDING_UNSUPPORTED = _(
    "Port forwarding is not something libvirt's virtual networks do (libvirt 9.0 has no <portForward> for "
    "networks): leave \"port_forwards\" out. Forward ports to a guest with a passt-backed user interface on the "
    "guest (its <portForward>), or with the host's own firewall.")
# What a forward mode that plugs into a host device needs named, whole sentences (the device differs per mode).
DEVICE_REQUIRED = {
    "bridge": _("A 'bridge' network needs the host bridge to use: give \"bridge\" (GET "
                "/api/v1/hosts/{id}/interfaces?usable_for=bridge lists them)."),
    "macvtap": _("A 'macvtap' network needs the host interface to use: give \"device\" (GET "
                 "/api/v1/hosts/{id}/interfaces?usable_for=macvtap lists them)."),
    "hostdev": _("A 'hostdev' network needs the SR-IOV physical function (a host interface) to use: give "
                 "\"device\" (GET /api/v1/hosts/{id}/interfaces?usable_for=macvtap lists them)."),
}


class NetworkError(ConsoleError):
    """A network request that cannot be done as asked: the message says what to change."""

    code = "invalid_network"
    status = 400


@dataclass
class NetworkDefinition:
    """What the console reads from a network's XML: enough to check it and show it."""

    name: str
    uuid: str | None
    forward: str
    bridge: str | None
    ipv4: dict | None
    ipv6: dict | None


def check_network_name(name):
    if not isinstance(name, str) or not NETWORK_NAME.match(name) or ".." in name:
        raise NetworkError(format_lazy(_("'{name}' is not a usable network name: use 1 to 100 letters, digits, "
                                         "'.', '_', '+' or '-', starting with a letter or digit."), name=name),
                           fields={"name": [_("Invalid name.")]})
    return name


def _subnet(ip, field):
    """The IPv4/IPv6 interface of ip {"address", "prefix"}; NetworkError naming field when it is not one."""
    try:
        return ipaddress.ip_interface(f"{ip.get('address')}/{ip.get('prefix')}")
    except ValueError as exc:
        example = ('{"address": "192.168.150.1", "prefix": 24}' if field == "ipv4"
                   else '{"address": "fd00:150::1", "prefix": 64}')
        raise NetworkError(format_lazy(_("The {field} address/prefix is not usable: {problem}. Give e.g. {example}."),
                                       field=field, problem=exc, example=example),
                           fields={field: [str(exc)]}) from exc


def _add_ip(root, ip, field, version):
    interface = _subnet(ip, field)
    if interface.version != version:
        raise NetworkError(format_lazy(_("The {field} address {address} is not an IPv{version} address."),
                                       field=field, address=interface.ip, version=version),
                           fields={field: [_("Wrong family.")]})
    if interface.ip == interface.network.network_address:
        raise NetworkError(format_lazy(_("{address} is the subnet's own address: give the host's address in it, "
                                         "e.g. {example}."),
                                       address=interface.ip, example=next(interface.network.hosts())),
                           fields={field: [_("Subnet address.")]})
    element = etree.SubElement(root, "ip", address=str(interface.ip))
    if version == 6:
        element.set("family", "ipv6")
    element.set("prefix", str(interface.network.prefixlen))
    dhcp = ip.get("dhcp")
    if dhcp:
        start, end = check_dhcp_range(interface, dhcp.get("start"), dhcp.get("end"), field)
        etree.SubElement(etree.SubElement(element, "dhcp"), "range", start=str(start), end=str(end))
    return interface.network


def check_dhcp_range(interface, start, end, field):
    """(start, end) as addresses if they make a DHCP range of interface's subnet: same family, inside the subnet,
    start <= end, the host's own address left out; NetworkError naming field otherwise."""
    try:
        start, end = ipaddress.ip_address(start), ipaddress.ip_address(end)
    except ValueError as exc:
        raise NetworkError(format_lazy(_("The {field} DHCP range is not usable: {problem}."), field=field,
                                       problem=exc), fields={field: [str(exc)]}) from exc
    outside = [str(a) for a in (start, end) if a.version != interface.version or a not in interface.network]
    if outside:
        raise NetworkError(format_lazy(_("The {field} DHCP range reaches outside the subnet {subnet}: {outside}. "
                                         "Give a range inside it."),
                                       field=field, subnet=interface.network, outside=", ".join(outside)),
                           fields={field: [_("Range outside.")]})
    if start > end:
        raise NetworkError(format_lazy(_("The {field} DHCP range starts ({start}) after it ends ({end}): swap them."),
                                       field=field, start=start, end=end),
                           fields={field: [_("Range reversed.")]})
    if start <= interface.ip <= end:
        raise NetworkError(format_lazy(_("The {field} DHCP range {start}-{end} holds the host's own address "
                                         "{address}: leave it out of the range."),
                                       field=field, start=start, end=end, address=interface.ip),
                           fields={field: [_("Range holds the host address.")]})
    return start, end


def check_dhcp_ranges(xml_text):
    """Every DHCP range of a network definition (all its <ip> elements) checked like the fields' one."""
    for element in parse(xml_text).root.findall("ip"):
        ranges = element.findall("dhcp/range")
        if not ranges:
            continue
        family = element.get("family") or ("ipv6" if ":" in (element.get("address") or "") else "ipv4")
        field = family if family in ("ipv4", "ipv6") else "xml"
        prefix = element.get("prefix")
        if prefix is None and element.get("netmask"):
            prefix = ipaddress.ip_network(f"0.0.0.0/{element.get('netmask')}").prefixlen
        interface = _subnet({"address": element.get("address"),
                             "prefix": prefix if prefix is not None else (64 if field == "ipv6" else 24)}, field)
        for dhcp_range in ranges:
            check_dhcp_range(interface, dhcp_range.get("start"), dhcp_range.get("end"), field)


def xml_from_fields(fields):
    """A <network> definition from the API's fields: name, forward, bridge, device, ipv4, ipv6 (see the issue)."""
    name = check_network_name(fields.get("name"))
    forward = fields.get("forward") or "nat"
    if forward not in FORWARD_MODES:
        raise NetworkError(format_lazy(_("Unknown forward mode '{forward}': use one of {modes}."), forward=forward,
                                       modes=", ".join(FORWARD_MODES)),
                           fields={"forward": [_("Unknown.")]})
    root = etree.Element("network")
    etree.SubElement(root, "name").text = name
    needed = {"bridge": "bridge", "macvtap": "device", "hostdev": "device"}.get(forward)
    if needed and not fields.get(needed):
        raise NetworkError(DEVICE_REQUIRED[forward], fields={needed: [_("Required.")]})
    if forward in ("macvtap", "hostdev") and fields.get("bridge"):
        raise NetworkError(format_lazy(_("A '{forward}' network plugs guests into \"device\" directly and takes no "
                                         "bridge: leave \"bridge\" out."), forward=forward),
                           fields={"bridge": [_("Not for this mode.")]})
    if fields.get("port_forwards"):
        raise NetworkError(PORT_FORWARDING_UNSUPPORTED, code="unsupported",
                           fields={"port_forwards": [_("Unsupported.")]})
    if forward != "none":
        element = etree.SubElement(root, "forward", mode="passthrough" if forward == "macvtap" else forward)
        if forward == "hostdev" and fields.get("device"):
            # An SR-IOV pool: libvirt hands out the virtual functions of this physical function.
            element.set("managed", "yes")
            etree.SubElement(element, "pf", dev=str(fields["device"]))
        elif forward == "macvtap" and fields.get("device"):
            etree.SubElement(element, "interface", dev=str(fields["device"]))
    if fields.get("bridge"):
        etree.SubElement(root, "bridge", name=str(fields["bridge"]))
    if forward in ("bridge", "macvtap", "hostdev"):
        if fields.get("ipv4") or fields.get("ipv6"):
            raise NetworkError(format_lazy(_("A '{forward}' network takes no addresses of its own: the host's "
                                             "network gives them. Leave ipv4 and ipv6 out."), forward=forward),
                               fields={"ipv4": [_("Not for this mode.")]})
    else:
        if fields.get("ipv4"):
            _add_ip(root, fields["ipv4"], "ipv4", 4)
        if fields.get("ipv6"):
            _add_ip(root, fields["ipv6"], "ipv6", 6)
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode") + "\n"


@functools.cache
def _validator():
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


def _ip_of(root, version):
    for element in root.findall("ip"):
        family = element.get("family") or ("ipv6" if ":" in (element.get("address") or "") else "ipv4")
        if family != f"ipv{version}":
            continue
        prefix = element.get("prefix")
        if prefix is None and element.get("netmask"):
            prefix = ipaddress.ip_network(f"0.0.0.0/{element.get('netmask')}").prefixlen
        dhcp = element.find("dhcp/range")
        return {"address": element.get("address"), "prefix": int(prefix) if prefix is not None else None,
                "dhcp": {"start": dhcp.get("start"), "end": dhcp.get("end")} if dhcp is not None else None}
    return None


def read_definition(xml_text):
    """The NetworkDefinition of untrusted network XML: parsed safely, schema-checked; DefinitionError otherwise."""
    root = parse(xml_text).root
    if root.tag != "network":
        raise DefinitionError(format_lazy(_("This is a <{tag}> document, not a <network> definition."), tag=root.tag),
                              line=root.sourceline)
    plain = etree.fromstring(etree.tostring(root))
    validator = _validator()
    if not validator.validate(plain):
        problems = [f"line {entry.line}: {entry.message}" for entry in validator.error_log]
        raise DefinitionError("The network XML does not follow libvirt's network schema (network.rng): "
                              + "; ".join(problems[:3]) + ". Fix it and try again.")
    name = check_network_name(root.findtext("name") or "")
    forward_element = root.find("forward")
    forward = "none" if forward_element is None else (forward_element.get("mode") or "nat")
    bridge = root.find("bridge")
    return NetworkDefinition(name=name, uuid=(root.findtext("uuid") or "").strip() or None, forward=forward,
                             bridge=bridge.get("name") if bridge is not None else None,
                             ipv4=_ip_of(root, 4), ipv6=_ip_of(root, 6))
