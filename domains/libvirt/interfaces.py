"""The domain-interface part of the libvirt adapter: live device calls, the guest's addresses, MACs in use on a host."""

import re

import libvirt

from domains.libvirt.adapter import VirtError, connection_for, translated_errors

LIVE = libvirt.VIR_DOMAIN_AFFECT_LIVE
CONFIG = libvirt.VIR_DOMAIN_AFFECT_CONFIG

# libvirt's answers to a change it cannot make on a running domain (a new model, a type it cannot switch live).
NOT_LIVE_CODES = frozenset({libvirt.VIR_ERR_OPERATION_UNSUPPORTED, libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
                            libvirt.VIR_ERR_OPERATION_INVALID, libvirt.VIR_ERR_NO_SUPPORT})

# Where a guest's addresses come from, best first: the DHCP server libvirt runs knows what it gave; the guest
# agent knows what the guest set (static ones too) but only while the agent runs; the host's ARP table knows
# only what has talked lately, and only IPv4.
ADDRESS_SOURCES = (
    ("lease", libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE),
    ("agent", libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT),
    ("arp", libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP),
)
_ADDRESS_TYPES = {libvirt.VIR_IP_ADDR_TYPE_IPV4: "ipv4", libvirt.VIR_IP_ADDR_TYPE_IPV6: "ipv6"}
# libvirt writes its own XML with single quotes; the pattern takes either.
_MAC_IN_XML = re.compile(r"<mac address=['\"]([0-9a-fA-F:]{17})['\"]")


def definition_xml(dom, secure=False):
    """The persistent definition (inactive XML), with secrets when secure (only for redefining it)."""
    flags = libvirt.VIR_DOMAIN_XML_INACTIVE | (libvirt.VIR_DOMAIN_XML_SECURE if secure else 0)
    with translated_errors():
        return dom.XMLDesc(flags)


def live_xml(dom):
    """The running domain's XML (aliases, tap device names, the live link state); the definition if stopped."""
    with translated_errors():
        return dom.XMLDesc(0)


def attach_device(dom, device_xml, flags):
    with translated_errors():
        dom.attachDeviceFlags(device_xml, flags)


def update_device(dom, device_xml, flags):
    with translated_errors():
        dom.updateDeviceFlags(device_xml, flags)


def detach_device(dom, device_xml, flags):
    """Ask for the device's removal; a live removal may still be pending in the guest when this returns.

    libvirt's QEMU driver waits a few seconds for the guest to let go; after that it returns all the same
    and the DEVICE_REMOVED (or DEVICE_REMOVAL_FAILED) event says how it ended.
    """
    with translated_errors():
        dom.detachDeviceFlags(device_xml, flags)


def guest_addresses(dom, macs=None):
    """{mac: [{address, prefix, type, source}]} from the best source that knows each address.

    The sources are asked best first (one that cannot answer, e.g. no guest agent, is skipped) until each
    of macs (None: every interface) has an address; an address a better source gave is not repeated. Not
    asking the agent when the leases said it all spares a call that can wait on a busy guest.
    """
    found = {}
    for source, flag in ADDRESS_SOURCES:
        if macs is not None and all(found.get(mac) for mac in macs):
            break
        try:
            with translated_errors():
                answer = dom.interfaceAddresses(flag, 0) or {}
        except VirtError:
            continue  # no agent, no lease file, a driver without this source: the others may know
        for name, interface in answer.items():
            mac = (interface.get("hwaddr") or "").lower()
            if not mac:
                continue  # the guest's loopback, as the agent reports it
            listed = found.setdefault(mac, [])
            known = {entry["address"] for entry in listed}
            for address in interface.get("addrs") or []:
                if address.get("addr") in known:
                    continue
                listed.append({"address": address.get("addr"), "prefix": address.get("prefix"),
                               "type": _ADDRESS_TYPES.get(address.get("type"), "unknown"), "source": source})
                known.add(address.get("addr"))
    return found


def macs_in_use(host):
    """{mac: {"name", "uuid"}} of the domain holding it, for every interface of every domain on host, defined or running."""
    with translated_errors():
        domains = connection_for(host).get().listAllDomains(0)
    used = {}
    for dom in domains:
        try:
            with translated_errors():
                texts = [dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)]
                if dom.isActive():
                    texts.append(dom.XMLDesc(0))
                owner = {"name": dom.name(), "uuid": dom.UUIDString()}
        except VirtError as exc:
            if exc.code == libvirt.VIR_ERR_NO_DOMAIN:
                continue  # undefined while we looked
            raise
        for text in texts:
            for mac in _MAC_IN_XML.findall(text):
                used.setdefault(mac.lower(), owner)
    return used
