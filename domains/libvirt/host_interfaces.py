"""The host-interface part of the libvirt adapter: the host's network interfaces as libvirt's interface driver sees
them (so it works on remote hosts too), read only."""

import libvirt
from django.utils.translation import gettext_lazy as _

from domains.libvirt.adapter import VirtError, translated_errors
from domains.libvirt.networks import network_connection

# What needs a network driver, in the refusal of a host without one.
_HOST_INTERFACES = _("the host's interfaces")


def list_interfaces(host):
    """[(name, active, XML)] of the host's interfaces (active and inactive), from libvirt's interface driver.

    Debian's libvirt builds the driver on udev: it reports type, MAC, MTU, link state and a bridge's members, but
    no addresses, and lists a bridge's members only inside the bridge.
    """
    conn = network_connection(host, _HOST_INTERFACES)
    with translated_errors():
        handles = conn.listAllInterfaces(0)
    found = []
    for handle in handles:
        try:
            with translated_errors():
                found.append((handle.name(), bool(handle.isActive()), handle.XMLDesc(0)))
        except VirtError as exc:
            if exc.code != libvirt.VIR_ERR_NO_INTERFACE:
                raise  # one that went away while we looked is simply not listed
    return found


def interface_exists(host, name):
    """Whether the host has a network interface called name (a bridge's member included)."""
    conn = network_connection(host, _HOST_INTERFACES)
    try:
        with translated_errors():
            conn.interfaceLookupByName(name)
        return True
    except VirtError as exc:
        if exc.code != libvirt.VIR_ERR_NO_INTERFACE:
            raise
    # The udev backend does not look up a bridge's members by name: they are listed inside their bridge.
    return any(f"name='{name}'" in xml or f'name="{name}"' in xml
               for _name, _active, xml in list_interfaces(host))
