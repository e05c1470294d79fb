"""What a domain's interfaces need from a host it is to be defined on (a clone or a migration onto another host):
each libvirt network they name (type='network'), each host bridge (type='bridge') and each host device a macvtap
interface sits on (type='direct'). Asked through libvirt, so it holds for remote hosts too; checked before anything
moves, since libvirt itself would say so only when the domain starts there."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.libvirt import networks as libvirt_networks
from domains.networks.forward_checks import host_has_interface

# (interface type, <source> attribute, what it names): the three a host must have under the same name.
SOURCES = (("network", "network", "networks"), ("bridge", "bridge", "bridges"), ("direct", "dev", "devices"))
# What a host lacks, one kind each, as words a refusal is made of (names: the quoted names it lacks).
LACKING = {"networks": _("no network {names}"), "bridges": _("no bridge {names}"),
           "devices": _("no network interface {names}")}


def missing_sources(host, root):
    """{"networks": [...], "bridges": [...], "devices": [...]} of the names root's interfaces use that host lacks,
    each list sorted; only the kinds with something missing are keys (an empty dict: host has them all)."""
    missing = {}
    for kind, attribute, key in SOURCES:
        wanted = sorted({iface.find("source").get(attribute) for iface in root.iterfind("devices/interface")
                         if iface.get("type") == kind and iface.find("source") is not None
                         and iface.find("source").get(attribute)})
        if kind == "network":
            lacking = [name for name in wanted if libvirt_networks.find_network(host, name=name) is None]
        else:
            lacking = [name for name in wanted if not host_has_interface(host, name)]
        if lacking:
            missing[key] = lacking
    return missing


def missing_words(host, missing):
    """"Host 'h' has no network 'a' and no bridge 'br1'", said in the reader's language: the start of a refusal
    naming what missing lists."""
    parts = [format_lazy(LACKING[key], names=", ".join(repr(name) for name in names))
             for key, names in missing.items()]
    lacking = parts[0]
    for part in parts[1:]:
        lacking = format_lazy(_("{these} and {that}"), these=lacking, that=part)
    return format_lazy(_("Host '{host}' has {lacking}"), host=host, lacking=lacking)


def missing_code(missing):
    """network_missing when a network lacks (the code since v1.0), else interface_missing (a bridge or device)."""
    return "network_missing" if "networks" in missing else "interface_missing"
