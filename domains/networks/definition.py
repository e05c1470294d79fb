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
# libvirt 9.0's network.rng has no <portForward> (only a domain's passt interface has one).
PORT_FORWARDING_UNSUPPORTED = (
    "Port forwarding is not something libvirt's virtual networks do (libvirt 9.0 has no <portForward> for "
    "networks): leave \"port_forwards\" out. Forward ports to a guest with a passt-backed user interface on the "
    "guest (its <portForward>), or with the host's own firewall.")


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
        start, end = check_dhcp_range(interface, dhcp.get("start"), dhcp.get("end"), field)
        etree.SubElement(etree.SubElement(element, "dhcp"), "range", start=str(start), end=str(end))
    return interface.network


def check_dhcp_range(interface, start, end, field):
    """(start, end) as addresses if they make a DHCP range of interface's subnet: same family, inside the subnet,
    start <= end, the host's own address left out; NetworkError naming field otherwise."""
    try:
        start, end = ipaddress.ip_address(start), ipaddress.ip_address(end)
    except ValueError as exc:
        raise NetworkError(f"The {field} DHCP range is not usable: {exc}.", fields={field: [str(exc)]}) from exc
    outside = [str(a) for a in (start, end) if a.version != interface.version or a not in interface.network]
    if outside:
        raise NetworkError(f"The {field} DHCP range reaches outside the subnet {interface.network}: "
                           f"{', '.join(outside)}. Give a range inside it.", fields={field: ["Range outside."]})
    if start > end:
        raise NetworkError(f"The {field} DHCP range starts ({start}) after it ends ({end}): swap them.",
                           fields={field: ["Range reversed."]})
    if start <= interface.ip <= end:
        raise NetworkError(f"The {field} DHCP range {start}-{end} holds the host's own address {interface.ip}: "
                           "leave it out of the range.", fields={field: ["Range holds the host address."]})
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
        raise NetworkError(f"Unknown forward mode '{forward}': use one of {', '.join(FORWARD_MODES)}.",
                           fields={"forward": ["Unknown."]})
    root = etree.Element("network")
    etree.SubElement(root, "name").text = name
    needed = {"bridge": "bridge", "macvtap": "device", "hostdev": "device"}.get(forward)
    if needed and not fields.get(needed):
        what = {"bridge": "host bridge", "macvtap": "host interface",
                "hostdev": "SR-IOV physical function (a host interface)"}[forward]
        raise NetworkError(f"A '{forward}' network needs the {what} to use: give \"{needed}\" (GET "
                           f"/api/v1/hosts/{{id}}/interfaces?usable_for={'bridge' if forward == 'bridge' else 'macvtap'}"
                           " lists them).", fields={needed: ["Required."]})
    if forward in ("macvtap", "hostdev") and fields.get("bridge"):
        raise NetworkError(f"A '{forward}' network plugs guests into \"device\" directly and takes no bridge: "
                           "leave \"bridge\" out.", fields={"bridge": ["Not for this mode."]})
    if fields.get("port_forwards"):
        raise NetworkError(PORT_FORWARDING_UNSUPPORTED, code="unsupported", fields={"port_forwards": ["Unsupported."]})
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
