"""Network definitions as XML: made from the API's fields, parsed safely, validated by libvirt's network.rng."""

import functools
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from domains.definitions.xml.errors import DefinitionError
from domains.definitions.xml.safe_xml import parse
from domains.errors import ConsoleError

SCHEMA = Path("/usr/share/libvirt/schemas/network.rng")
# libvirt makes files from network names (/etc/libvirt/qemu/networks/<name>.xml): no '/', no leading dot.
NETWORK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")
# The API's forward words -> libvirt's <forward mode>; "none" is an isolated network (no <forward>).
FORWARD_MODES = ("nat", "route", "none", "open", "bridge", "macvtap", "hostdev")


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
        raise NetworkError(f"'{name}' is not a usable network name: use 1 to 100 letters, digits, '.', '_', '+' or "
                           "'-', starting with a letter or digit.", fields={"name": ["Invalid name."]})
    return name


def _subnet(ip, field):
    """The IPv4/IPv6 interface of ip {"address", "prefix"}; NetworkError naming field when it is not one."""
    try:
        return ipaddress.ip_interface(f"{ip.get('address')}/{ip.get('prefix')}")
    except ValueError as exc:
        raise NetworkError(f"The {field} address/prefix is not usable: {exc}. Give e.g. "
                           + ('{"address": "192.168.150.1", "prefix": 24}.' if field == "ipv4"
                              else '{"address": "fd00:150::1", "prefix": 64}.'), fields={field: [str(exc)]}) from exc


def _add_ip(root, ip, field, version):
    interface = _subnet(ip, field)
    if interface.version != version:
        raise NetworkError(f"The {field} address {interface.ip} is not an IPv{version} address.",
                           fields={field: ["Wrong family."]})
    if interface.ip == interface.network.network_address:
        raise NetworkError(f"{interface.ip} is the subnet's own address: give the host's address in it, "
                           f"e.g. {next(interface.network.hosts())}.", fields={field: ["Subnet address."]})
    element = etree.SubElement(root, "ip", address=str(interface.ip))
    if version == 6:
        element.set("family", "ipv6")
    element.set("prefix", str(interface.network.prefixlen))
    dhcp = ip.get("dhcp")
    if dhcp:
        try:
            start, end = ipaddress.ip_address(dhcp.get("start")), ipaddress.ip_address(dhcp.get("end"))
        except ValueError as exc:
            raise NetworkError(f"The {field} DHCP range is not usable: {exc}.", fields={field: [str(exc)]}) from exc
        outside = [str(a) for a in (start, end) if a not in interface.network]
        if outside:
            raise NetworkError(f"The {field} DHCP range reaches outside the subnet {interface.network}: "
                               f"{', '.join(outside)}. Give a range inside it.", fields={field: ["Range outside."]})
        if start > end:
            raise NetworkError(f"The {field} DHCP range starts ({start}) after it ends ({end}): swap them.",
                               fields={field: ["Range reversed."]})
        if start <= interface.ip <= end:
            raise NetworkError(f"The {field} DHCP range {start}-{end} holds the host's own address {interface.ip}: "
                               "leave it out of the range.", fields={field: ["Range holds the host address."]})
        etree.SubElement(etree.SubElement(element, "dhcp"), "range", start=str(start), end=str(end))
    return interface.network


def xml_from_fields(fields):
    """A <network> definition from the API's fields: name, forward, bridge, device, ipv4, ipv6 (see the issue)."""
    name = check_network_name(fields.get("name"))
    forward = fields.get("forward") or "nat"
    if forward not in FORWARD_MODES:
        raise NetworkError(f"Unknown forward mode '{forward}': use one of {', '.join(FORWARD_MODES)}.",
                           fields={"forward": ["Unknown."]})
    root = etree.Element("network")
    etree.SubElement(root, "name").text = name
    if forward in ("bridge", "macvtap", "hostdev") and not (fields.get("bridge") or fields.get("device")):
        raise NetworkError(f"A '{forward}' network needs the host's "
                           + ("bridge" if forward == "bridge" else "interface") + " to use: give \"bridge\" or "
                           "\"device\".", fields={"bridge" if forward == "bridge" else "device": ["Required."]})
    if forward != "none":
        element = etree.SubElement(root, "forward", mode="passthrough" if forward == "macvtap" else forward)
        if forward in ("macvtap", "hostdev") and fields.get("device"):
            etree.SubElement(element, "interface", dev=str(fields["device"]))
    if fields.get("bridge"):
        etree.SubElement(root, "bridge", name=str(fields["bridge"]))
    if forward in ("bridge", "macvtap", "hostdev"):
        if fields.get("ipv4") or fields.get("ipv6"):
            raise NetworkError(f"A '{forward}' network takes no addresses of its own: the host's network gives "
                               "them. Leave ipv4 and ipv6 out.", fields={"ipv4": ["Not for this mode."]})
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
        raise DefinitionError(f"This is a <{root.tag}> document, not a <network> definition.", line=root.sourceline)
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
