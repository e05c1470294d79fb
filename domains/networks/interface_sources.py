"""What a domain's interfaces need from a host it is to be defined on (a clone or a migration onto another host):
each libvirt network they name (type='network'), each host bridge (type='bridge') and each host device a macvtap
interface sits on (type='direct'). Asked through libvirt, so it holds for remote hosts too; checked before anything
moves, since libvirt itself would say so only when the domain starts there."""

from domains.libvirt import networks as libvirt_networks
from domains.networks.forward_checks import host_has_interface

# (interface type, <source> attribute, what it names): the three a host must have under the same name.
SOURCES = (("network", "network", "networks"), ("bridge", "bridge", "bridges"), ("direct", "dev", "devices"))
WHAT = {"networks": "network", "bridges": "bridge", "devices": "network interface"}


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
    """"Host 'h' has no network 'a' and no bridge 'br1'": the start of a refusal naming what missing lists."""
    parts = [f"no {WHAT[key]} {', '.join(repr(name) for name in names)}" for key, names in missing.items()]
    return f"Host '{host}' has {' and '.join(parts)}"


def missing_code(missing):
    """network_missing when a network lacks (the code since v1.0), else interface_missing (a bridge or device)."""
    return "network_missing" if "networks" in missing else "interface_missing"
