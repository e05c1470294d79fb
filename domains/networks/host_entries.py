"""A network's static DHCP hosts and DNS host entries: read from its XML, added and removed live with virNetworkUpdate.

Each change is checked first (the address in one of the network's subnets, not taken by another static host, the
MAC or DNS address not already there) so libvirt is only asked what it can do; it then changes the persistent
definition and the running network together. Needs network.write and network.save (what libvirt checks for an
update of the persistent definition); audited intent first, outcome after.
"""

import ipaddress
import re

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from lxml import etree

from domains.access import audit
from domains.definitions.xml.safe_xml import parse
from domains.libvirt import networks as libvirt_networks
from domains.libvirt.adapter import VirtError
from domains.networks.definition import NetworkError

MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
# A DNS label or dotted name (dnsmasq serves them as given): letters, digits, '-', dots between labels.
HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
UPDATE_PERMISSIONS = ("network.write", "network.save")


def _roots(handle):
    """The network's definitions to look at: the running one (if it runs) and the persistent one."""
    live = libvirt_networks.network_live(handle)
    roots = [parse(libvirt_networks.network_xml(handle, inactive=False)).root]
    if live["active"] and live["persistent"]:
        roots.append(parse(libvirt_networks.network_xml(handle, inactive=True)).root)
    return roots


def _subnets(root):
    """[(index over all <ip>, ipaddress interface)] of a network definition's <ip> elements."""
    found = []
    for index, element in enumerate(root.findall("ip")):
        prefix = element.get("prefix")
        if prefix is None and element.get("netmask"):
            prefix = ipaddress.ip_network(f"0.0.0.0/{element.get('netmask')}").prefixlen
        if prefix is None:
            prefix = 64 if ":" in (element.get("address") or "") else 24  # libvirt's defaults
        found.append((index, ipaddress.ip_interface(f"{element.get('address')}/{prefix}")))
    return found


def _dhcp_elements(root):
    return [(index, host) for index, ip in enumerate(root.findall("ip")) for host in ip.findall("dhcp/host")]


def _dhcp_fact(host):
    return {"mac": host.get("mac"), "id": host.get("id"), "ip": host.get("ip"), "name": host.get("name")}


def dhcp_hosts(handle):
    """The network's static DHCP hosts, [{"mac", "id", "ip", "name"}], as it serves them now (running) or will."""
    return [_dhcp_fact(host) for _index, host in _dhcp_elements(_roots(handle)[0])]


def dns_hosts(handle):
    """The network's DNS host entries, [{"ip", "hostnames": [...]}]."""
    return [{"ip": host.get("ip"), "hostnames": [name.text for name in host.findall("hostname")]}
            for host in _roots(handle)[0].findall("dns/host")]


def _check_mac(mac):
    mac = (mac or "").strip().lower()
    if not MAC.match(mac):
        raise NetworkError(format_lazy(_("'{mac}' is not a MAC address: give six hex pairs, e.g. 52:54:00:12:34:56."),
                                       mac=mac), fields={"mac": [_("Not a MAC address.")]})
    return mac


def _check_name(name, field="name"):
    if not HOSTNAME.match(name or ""):
        raise NetworkError(format_lazy(_("'{name}' is not a usable host name: use letters, digits and '-', labels "
                                         "joined by dots, e.g. web1 or web1.lab."), name=name),
                           fields={field: [_("Not a host name.")]})
    return name


def _subnet_of(row, roots, ip_text, field="ip"):
    """(parent index, interface) of the network's <ip> whose subnet holds ip_text; NetworkError otherwise."""
    try:
        ip = ipaddress.ip_address(ip_text)
    except ValueError as exc:
        raise NetworkError(format_lazy(_("'{ip}' is not an IP address: {problem}."), ip=ip_text, problem=exc),
                           fields={field: [_("Not an IP address.")]}) from exc
    subnets = _subnets(roots[0])
    for index, interface in subnets:
        if ip in interface.network:
            if ip in (interface.ip, interface.network.network_address) or (
                    ip.version == 4 and ip == interface.network.broadcast_address):
                raise NetworkError(format_lazy(_("{ip} is the network's own, subnet or broadcast address in "
                                                 "{subnet}: give a guest's address."), ip=ip, subnet=interface.network),
                                   fields={field: [_("Reserved address.")]})
            return index, interface
    listed = ", ".join(str(interface.network) for _index, interface in subnets) or pgettext_lazy("no subnets",
                                                                                                  "none")
    raise NetworkError(format_lazy(_("{ip} is outside the subnets of network '{name}' ({subnets}): give an address "
                                     "inside one of them."), ip=ip, name=row.name, subnets=listed),
                       fields={field: [_("Outside the subnet.")]})


def _run(user, row, handle, action, params, command, section, xml, parent_index, source_address):
    """Audit intent, call virNetworkUpdate, audit the outcome (libvirt's words on failure)."""
    audit.record(user, action, row, params, outcome="started", source_address=source_address)
    try:
        libvirt_networks.update_network(handle, command, section, xml, parent_index)
    except VirtError as exc:
        audit.record(user, action, row, params, outcome=format_lazy("failed: {}", exc.message),
                     source_address=source_address)
        raise
    audit.record(user, action, row, params, source_address=source_address)


def _refuse(user, row, action, params, refusal, source_address):
    audit.record(user, action, row, params, outcome=format_lazy("refused: {}", refusal), source_address=source_address)
    raise refusal


def _require(user, row, action, params, source_address):
    for permission in UPDATE_PERMISSIONS:
        audit.require(user, permission, row, action, params, source_address)


def do_add_dhcp_host(user, row, handle, *, ip, mac=None, name=None, host_id=None, source_address=None):
    """Add a static DHCP host to the network: an IPv4 one by mac (name optional), an IPv6 one by name or id
    (DHCPv6 knows no MAC). Refused when the address is outside the network's subnets or taken by another static
    host, or when the MAC (or IPv6 name/id) is already there."""
    action = "network.dhcp_host.add"
    params = {"ip": ip, "mac": mac, "name": name, "id": host_id}
    _require(user, row, action, params, source_address)
    try:
        roots = _roots(handle)
        parent_index, interface = _subnet_of(row, roots, ip)
        element = etree.Element("host")
        if interface.version == 4:
            if host_id:
                raise NetworkError(_("An IPv4 static host is known by its MAC address: leave \"id\" out."),
                                   fields={"id": [_("IPv6 only.")]})
            element.set("mac", _check_mac(mac))
        else:
            if mac:
                raise NetworkError(_("An IPv6 static host is known by its name or DHCP id, not a MAC address "
                                     "(libvirt's rule for DHCPv6): leave \"mac\" out and give \"name\" or \"id\"."),
                                   fields={"mac": [_("IPv4 only.")]})
            if not (name or host_id):
                raise NetworkError(_("An IPv6 static host needs a \"name\" or an \"id\" (its DHCP unique id)."),
                                   fields={"name": [_("Required for IPv6.")]})
            if host_id:
                element.set("id", str(host_id))
        if name:
            element.set("name", _check_name(name))
        element.set("ip", str(ipaddress.ip_address(ip)))
        params.update(mac=element.get("mac"), ip=element.get("ip"))
        for root in roots:
            for _index, existing in _dhcp_elements(root):
                _clash(row, element, existing)
    except NetworkError as refusal:
        _refuse(user, row, action, params, refusal, source_address)
    _run(user, row, handle, action, params, "add", "dhcp_host", etree.tostring(element, encoding="unicode"),
         parent_index, source_address)
    return _dhcp_fact(element)


def _clash(row, new, existing):
    """NetworkError 409 if existing (a <host> of the network) has new's MAC, address, or IPv6 name or id."""
    same = [(key, new.get(key)) for key in ("mac", "id") if new.get(key) and
            (existing.get(key) or "").lower() == new.get(key).lower()]
    if new.get("ip") and existing.get("ip") and \
            ipaddress.ip_address(existing.get("ip")) == ipaddress.ip_address(new.get("ip")):
        same.append(("ip", new.get("ip")))
    if ":" in new.get("ip") and new.get("name") and existing.get("name") == new.get("name") and \
            ":" in (existing.get("ip") or ""):
        same.append(("name", new.get("name")))
    if same:
        key, value = same[0]
        raise NetworkError(format_lazy(_("Network '{name}' already has a static host with {key} {value} "
                                         "({holder} -> {ip}): remove that one first, or pick another {key}."),
                                       name=row.name, key=key, value=value,
                                       holder=existing.get("mac") or existing.get("name") or existing.get("id"),
                                       ip=existing.get("ip")),
                           status=409, code="dhcp_host_exists", fields={key: [_("Already there.")]})


def do_remove_dhcp_host(user, row, handle, *, mac=None, name=None, source_address=None):
    """Remove the static DHCP host with mac (IPv4) or name (an IPv6 host without MAC); 404 if there is none."""
    action = "network.dhcp_host.remove"
    params = {"mac": mac, "name": name}
    _require(user, row, action, params, source_address)
    try:
        if not (mac or name):
            raise NetworkError(_("Say which static host to remove: ?mac=52:54:00:... (or ?name= for an IPv6 one)."),
                               fields={"mac": [_("Required.")]})
        key, value = ("mac", _check_mac(mac)) if mac else ("name", name)
        params[key] = value
        # The running network first: what dnsmasq serves is what the user sees and removes.
        found = [(index, host) for root in _roots(handle) for index, host in _dhcp_elements(root)
                 if (host.get(key) or "").lower() == value.lower()]
        if not found:
            raise NetworkError(format_lazy(_("Network '{name}' has no static DHCP host with {key} {value}: see GET "
                                             "dhcp-hosts for those it has."), name=row.name, key=key, value=value),
                               status=404, code="no_dhcp_host", fields={key: [_("Not there.")]})
    except NetworkError as refusal:
        _refuse(user, row, action, params, refusal, source_address)
    parent_index, host = found[0]
    # The whole entry as libvirt has it: libvirt deletes the entry whose given attributes all match.
    _run(user, row, handle, action, params, "delete", "dhcp_host", etree.tostring(host, encoding="unicode"),
         parent_index, source_address)


def do_add_dns_host(user, row, handle, *, ip, hostnames, source_address=None):
    """Add a DNS host entry (ip -> hostnames) the network's dnsmasq answers for; refused if ip already has one."""
    action = "network.dns_host.add"
    params = {"ip": ip, "hostnames": hostnames}
    _require(user, row, action, params, source_address)
    try:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError as exc:
            raise NetworkError(format_lazy(_("'{ip}' is not an IP address: {problem}."), ip=ip, problem=exc),
                               fields={"ip": [_("Not an IP address.")]}) from exc
        if not hostnames:
            raise NetworkError(_("Give at least one name in \"hostnames\"."), fields={"hostnames": [_("Required.")]})
        element = etree.Element("host", ip=str(address))
        for hostname in hostnames:
            etree.SubElement(element, "hostname").text = _check_name(hostname, "hostnames")
        for root in _roots(handle):
            for existing in root.findall("dns/host"):
                if ipaddress.ip_address(existing.get("ip")) == address:
                    names = ", ".join(name.text for name in existing.findall("hostname"))
                    raise NetworkError(format_lazy(_("Network '{name}' already has a DNS entry for {ip} ({names}): "
                                                     "remove it first to change its names."),
                                                   name=row.name, ip=address, names=names),
                                       status=409, code="dns_host_exists", fields={"ip": [_("Already there.")]})
    except NetworkError as refusal:
        _refuse(user, row, action, params, refusal, source_address)
    _run(user, row, handle, action, params, "add", "dns_host", etree.tostring(element, encoding="unicode"), -1,
         source_address)
    return {"ip": element.get("ip"), "hostnames": list(hostnames)}


def do_remove_dns_host(user, row, handle, *, ip, source_address=None):
    """Remove the DNS host entry of ip; 404 if there is none."""
    action = "network.dns_host.remove"
    params = {"ip": ip}
    _require(user, row, action, params, source_address)
    try:
        try:
            address = ipaddress.ip_address(ip or "")
        except ValueError as exc:
            raise NetworkError(_("Say which DNS entry to remove by its address: ?ip=192.168.x.y."),
                               fields={"ip": [_("Not an IP address.")]}) from exc
        found = [host for root in _roots(handle) for host in root.findall("dns/host")
                 if ipaddress.ip_address(host.get("ip")) == address]
        if not found:
            raise NetworkError(format_lazy(_("Network '{name}' has no DNS host entry for {ip}: see GET dns-hosts."),
                                           name=row.name, ip=address),
                               status=404, code="no_dns_host", fields={"ip": [_("Not there.")]})
    except NetworkError as refusal:
        _refuse(user, row, action, params, refusal, source_address)
    _run(user, row, handle, action, params, "delete", "dns_host", etree.tostring(found[0], encoding="unicode"), -1,
         source_address)
