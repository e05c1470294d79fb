"""Checks, before anything is defined, that the host devices a network's forward mode names exist on its host.

bridge: the host bridge (<bridge name>) must exist; macvtap (passthrough, private, vepa, or bridge with
<forward><interface>): each named host interface must exist; hostdev: the host needs an SR-IOV physical function
(a network card with virtual functions), and the named one must be one. nat, route, open and isolated networks
make their own bridge: nothing to check. Asked through libvirt, so it holds for remote hosts too.
"""

import logging

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.definitions.xml.safe_xml import parse
from domains.libvirt import host_interfaces as libvirt_interfaces
from domains.libvirt import networks as libvirt_networks
from domains.libvirt.adapter import VirtError
from domains.networks.definition import NetworkError

log = logging.getLogger(__name__)

MACVTAP_MODES = ("passthrough", "private", "vepa")
NO_SRIOV = _("Host '{host}' has no SR-IOV physical function (a network card with virtual functions, which libvirt "
            "lists as a PCI node device with virt_functions): a 'hostdev' network needs one. Use a 'macvtap' or "
            "'bridge' network instead.")


def host_has_interface(host, name):
    """Whether host has the network interface (a bridge, a device); True when the host's libvirt has no interface
    driver to ask (libvirt's own define or start then says what is wrong)."""
    try:
        return libvirt_interfaces.interface_exists(host, name)
    except VirtError as exc:
        if exc.code != libvirt.VIR_ERR_NO_SUPPORT:
            raise
        log.info("host %s has no interface driver: cannot check interface %s before defining", host, name)
        return True


def check_host_devices(host, xml_text):
    """NetworkError naming the field when the network's forward mode names a host device host does not have."""
    root = parse(xml_text).root
    forward = root.find("forward")
    if forward is None:
        return
    mode = forward.get("mode") or "nat"
    bridge = root.find("bridge")
    bridge_name = bridge.get("name") if bridge is not None else None
    devices = [element.get("dev") for element in forward.findall("interface") if element.get("dev")]
    if forward.get("dev") and forward.get("dev") not in devices:
        devices.insert(0, forward.get("dev"))
    if mode == "bridge" and bridge_name:
        if not host_has_interface(host, bridge_name):
            raise NetworkError(format_lazy(_("Host '{host}' has no bridge '{bridge}': create it on the host first, or "
                                             "pick one of GET /api/v1/hosts/{id}/interfaces?usable_for=bridge."),
                                           host=host, bridge=bridge_name, id=host.pk),
                               fields={"bridge": [_("No such bridge on the host.")]})
    elif mode in MACVTAP_MODES or mode == "bridge":
        for device in devices:
            if not host_has_interface(host, device):
                raise NetworkError(format_lazy(_("Host '{host}' has no network interface '{device}': pick one of GET "
                                                 "/api/v1/hosts/{id}/interfaces?usable_for=macvtap."),
                                               host=host, device=device, id=host.pk),
                                   fields={"device": [_("No such interface on the host.")]})
    elif mode == "hostdev":
        functions = libvirt_networks.sriov_physical_functions(host)
        if not functions:
            raise NetworkError(format_lazy(NO_SRIOV, host=host), code="no_sriov", status=409,
                               fields={"device": [_("No SR-IOV physical function on the host.")]})
        for pf in forward.findall("pf"):
            if pf.get("dev") not in functions:
                raise NetworkError(format_lazy(_("'{device}' is not an SR-IOV physical function of host '{host}': "
                                                 "use one of {functions}."),
                                               device=pf.get("dev"), host=host, functions=", ".join(sorted(functions))),
                                   fields={"device": [_("Not an SR-IOV PF.")]})
