"""The network part of the libvirt adapter: every virtual network call, with libvirt's errors in our type."""

import logging
import uuid as uuidlib

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.libvirt.adapter import VirtError, connection_for, translated_errors

log = logging.getLogger(__name__)

NO_NETWORK_DRIVER = _("Host '{host}' is the embedded QEMU driver, which has no network driver: {what} "
                      "need a libvirtd host (add one under Hosts, e.g. qemu:///system).")


class NoNetworkDriver(VirtError):
    """The host has no network driver (the embedded one): the request is fine, the host is of the wrong kind."""

    status = 409

    def as_api_error(self):
        return self.status, "no_network_driver", str(self.message), None


def network_connection(host, what=_("virtual networks")):
    """The host's virConnect for network calls; NoNetworkDriver saying what to use on the embedded host (what:
    the thing asked for, e.g. "network filters")."""
    if host.embedded:
        raise NoNetworkDriver(format_lazy(NO_NETWORK_DRIVER, host=host, what=what), libvirt.VIR_ERR_NO_SUPPORT)
    return connection_for(host).get()


def find_network(host, *, name=None, uuid=None):
    """The virNetwork on host by name or UUID (a uuid.UUID), or None if there is none."""
    return _lookup(network_connection(host), name, None if uuid is None else uuid.bytes)


def network_known(conn, uuid_bytes):
    """Whether libvirt on this open connection knows the network now (defined, or running transient)."""
    return _lookup(conn, None, uuid_bytes) is not None


def _lookup(conn, name, uuid_bytes):
    try:
        with translated_errors():
            return conn.networkLookupByName(name) if name is not None else conn.networkLookupByUUID(uuid_bytes)
    except VirtError as exc:
        if exc.code == libvirt.VIR_ERR_NO_NETWORK:
            return None
        raise


def list_networks(host):
    """Every virNetwork libvirt knows on host (active or not, persistent or transient)."""
    with translated_errors():
        return network_connection(host).listAllNetworks(0)


def network_uuid(handle):
    with translated_errors():
        return uuidlib.UUID(bytes=handle.UUID())


def network_name(handle):
    with translated_errors():
        return handle.name()


def network_live(handle):
    """What libvirt says of a network now: active, persistent, autostart and its bridge's name (None if none)."""
    with translated_errors():
        active = bool(handle.isActive())
        persistent = bool(handle.isPersistent())
        autostart = bool(handle.autostart()) if persistent else False
    try:
        with translated_errors():
            bridge = handle.bridgeName()
    except VirtError:
        bridge = None  # forward modes bridge/macvtap/hostdev have no bridge of their own
    return {"active": active, "persistent": persistent, "autostart": autostart, "bridge": bridge}


def network_xml(handle, inactive=True):
    """The network's XML: the persistent definition (inactive=True) or the running one."""
    try:
        with translated_errors():
            return handle.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE if inactive else 0)
    except VirtError as exc:
        # The test driver knows no flags: its one definition is the answer.
        if not inactive or exc.code not in (libvirt.VIR_ERR_INVALID_ARG, libvirt.VIR_ERR_NO_SUPPORT):
            raise
    with translated_errors():
        return handle.XMLDesc(0)


def define_network(host, xml):
    """Define (or redefine, same name and UUID) a persistent network from xml; the new virNetwork."""
    with translated_errors():
        return network_connection(host).networkDefineXML(xml)


def start_network(handle):
    with translated_errors():
        handle.create()


def stop_network(handle):
    with translated_errors():
        handle.destroy()


def set_network_autostart(handle, autostart):
    with translated_errors():
        handle.setAutostart(1 if autostart else 0)


def undefine_network(handle):
    with translated_errors():
        handle.undefine()


def dhcp_leases(handle):
    """The network's current DHCP leases as dicts: mac, ip, prefix, type (ipv4/ipv6), hostname, client_id, expires."""
    with translated_errors():
        leases = handle.DHCPLeases()
    kinds = {libvirt.VIR_IP_ADDR_TYPE_IPV4: "ipv4", libvirt.VIR_IP_ADDR_TYPE_IPV6: "ipv6"}
    return [{"mac": lease.get("mac"), "ip": lease.get("ipaddr"), "prefix": lease.get("prefix"),
             "type": kinds.get(lease.get("type"), "unknown"), "hostname": lease.get("hostname") or None,
             "client_id": lease.get("clientid") or None, "expires": lease.get("expirytime")}
            for lease in leases]


def domain_descriptions(host):
    """[(uuid.UUID, name, XML)] of every domain on host, running ones as they run (their MACs as plugged in)."""
    with translated_errors():
        domains = network_connection(host).listAllDomains(0)
    described = []
    for domain in domains:
        try:
            with translated_errors():
                described.append((uuidlib.UUID(bytes=domain.UUID()), domain.name(), domain.XMLDesc(0)))
        except VirtError as exc:
            if exc.code != libvirt.VIR_ERR_NO_DOMAIN:
                raise  # else undefined while we looked
    return described


# The API's words for the sections of a network virNetworkUpdate changes.
UPDATE_SECTIONS = {"dhcp_host": libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, "dns_host": libvirt.VIR_NETWORK_SECTION_DNS_HOST}
UPDATE_COMMANDS = {"add": libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, "delete": libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE}


def update_network(handle, command, section, xml, parent_index=-1):
    """virNetworkUpdate: command ("add", "delete") one entry of section ("dhcp_host", "dns_host") given as xml.

    The persistent definition and the running network change together (AFFECT_CONFIG|AFFECT_LIVE), so dnsmasq
    serves the change at once and it survives a restart; a stopped network gets CONFIG only, a transient one
    LIVE only. parent_index says which <ip> of the network (counted over all of them) a DHCP host belongs to:
    libvirt's -1 takes the first <ip> with DHCP, which may be of the other family.
    """
    with translated_errors():
        active, persistent = bool(handle.isActive()), bool(handle.isPersistent())
        flags = ((libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG if persistent else 0)
                 | (libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE if active else 0))
        handle.update(UPDATE_COMMANDS[command], UPDATE_SECTIONS[section], parent_index, xml, flags)


def sriov_physical_functions(host):
    # libvirt's own output, not a user's: plain lxml reads it.
    """{host interface name: PCI node device name} of the host's SR-IOV physical functions (network cards with
    virtual functions), from libvirt's node devices; {} where the host has none."""
    conn = network_connection(host)
    with translated_errors():
        pci_devices = conn.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV)
        net_devices = conn.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET)
        with_vfs = {device.name() for device in pci_devices
                    if etree.fromstring(device.XMLDesc(0)).find("capability/capability[@type='virt_functions']")
                    is not None}
        return {etree.fromstring(device.XMLDesc(0)).findtext("capability/interface"): device.parent()
                for device in net_devices if device.parent() in with_vfs}


def domains_using(host, name):
    """Names of the host's domains (defined or running) with an interface on the network called name."""
    with translated_errors():
        domains = network_connection(host).listAllDomains(0)
    users = []
    for domain in domains:
        try:
            with translated_errors():
                xml = domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        except VirtError as exc:
            if exc.code == libvirt.VIR_ERR_NO_DOMAIN:
                continue  # undefined while we looked
            raise
        # The network name is quoted in either quote style in libvirt's own output; it writes single quotes.
        if f"<source network='{name}'" in xml or f'<source network="{name}"' in xml:
            users.append(domain.name())
    return sorted(users)


NETWORK_EVENT_KINDS = ["defined", "undefined", "started", "stopped"]


def watch_network_events(connection, publish):
    """On each (re)opened connection of a HostConnection, register network lifecycle events.

    publish(host_id, network_uuid_bytes, name, kind, network) gets kind from NETWORK_EVENT_KINDS (or "unknown")
    and the virNetwork (ask network_live(network) for its state; a transient network is gone once stopped).
    The embedded host has no network driver, so nothing is registered there.
    """
    def lifecycle(_conn, network, event, _detail, _opaque):
        kind = NETWORK_EVENT_KINDS[event] if 0 <= event < len(NETWORK_EVENT_KINDS) else "unknown"
        try:
            uuid_bytes, name = network.UUID(), network.name()
        except libvirt.libvirtError as exc:
            log.info("network event dropped, its network vanished: %s", exc.get_error_message())
            return
        publish(connection.host_id, uuid_bytes, name, kind, network)

    def register(conn):
        if connection.uri.startswith("qemu:///embed"):
            return  # no network driver there
        try:
            conn.networkEventRegisterAny(None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, lifecycle, None)
        except libvirt.libvirtError as exc:
            log.info("host %s: network events not available: %s", connection.host_id, exc.get_error_message())

    connection.on_open(register)
