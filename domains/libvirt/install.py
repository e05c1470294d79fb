"""libvirt calls of installing an OS: the host's domain capabilities, removable media, undoing a failed create."""

import libvirt
from lxml import etree

from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError, translated_errors


def domain_capabilities(host, domain_type=None, machine=None):
    """The host's <domainCapabilities> as an element, or None where the driver has none (the test driver)."""
    conn = adapter.connection_for(host).get()
    try:
        with translated_errors():
            text = conn.getDomainCapabilities(None, None, machine, domain_type, 0)
    except VirtError:
        return None
    return etree.fromstring(text.encode(), etree.XMLParser(resolve_entities=False, no_network=True))


def firmware_offer(host, domain_type=None, machine=None):
    """The firmware choices the host offers: "bios" always, "uefi" and "uefi-secure" from its capabilities."""
    caps = domain_capabilities(host, domain_type, machine)
    offered = ["bios"]
    if caps is None:
        return offered
    if caps.find("os/enum[@name='firmware']/value[.='efi']") is not None:
        offered.append("uefi")
        if caps.find("os/loader/enum[@name='secure']/value[.='yes']") is not None:
            offered.append("uefi-secure")
    return offered


def change_media(dom, disk_xml):
    """Insert, change or eject a removable disk: live on a running domain and in its persistent definition."""
    flags = libvirt.VIR_DOMAIN_AFFECT_CONFIG
    if adapter.is_running(dom):
        flags |= libvirt.VIR_DOMAIN_AFFECT_LIVE
    with translated_errors():
        dom.updateDeviceFlags(disk_xml, flags)


def undefine_fresh(host, domain_uuid):
    """Undo a create that failed after the define: stop and undefine the domain (with its NVRAM)."""
    conn = adapter.connection_for(host).get()
    dom = adapter.find_domain(conn, uuid=domain_uuid)
    if dom is None:
        return
    with translated_errors():
        if dom.isActive():
            dom.destroy()
        dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                          | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)

