"""What the domain page shows about one domain, read from libvirt when the page is asked for."""

from dataclasses import dataclass, field

import libvirt
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access.lookups import libvirt_domain
from domains.libvirt.adapter import translated_errors
from domains.lifecycle import states


@dataclass
class DomainFacts:
    name: str
    state: str
    reason: str
    vcpus: int
    max_vcpus: int
    memory_kib: int
    max_memory_kib: int
    persistent: bool
    autostart: bool
    managed_save: bool
    title: str = ""
    description: str = ""
    disks: list = field(default_factory=list)
    nics: list = field(default_factory=list)
    graphics: list = field(default_factory=list)
    serials: list = field(default_factory=list)
    messages: list = field(default_factory=list)

    @property
    def active(self):
        return self.state in states.ACTIVE_STATES


def _attr(element, child, name):
    """An attribute of a child element, or "" when either is missing."""
    found = element.find(child)
    return found.get(name, "") if found is not None else ""


def _source(element):
    """The one meaningful attribute of <source> (file, dev, network, bridge, path, ...); a volume's pool/volume."""
    found = element.find("source")
    if found is None:
        return ""
    if element.get("type") == "volume":
        return f"{found.get('pool', '')}/{found.get('volume', '')}"
    return next(iter(found.attrib.values()), "")


def _devices(tree):
    disks = [
        {"target": _attr(d, "target", "dev"), "bus": _attr(d, "target", "bus"),
         "device": d.get("device", "disk"), "source": _source(d)}
        for d in tree.iterfind("devices/disk")
    ]
    nics = [
        {"type": n.get("type", ""), "mac": _attr(n, "mac", "address"), "model": _attr(n, "model", "type"),
         "source": _source(n)}
        for n in tree.iterfind("devices/interface")
    ]
    graphics = [
        {"type": g.get("type", ""), "listen": _listen(g), "port": "" if g.get("port") == "-1" else g.get("port", "")}
        for g in tree.iterfind("devices/graphics")
    ]
    serials = [
        {"kind": s.tag, "type": s.get("type", ""), "path": _attr(s, "source", "path")}
        for s in list(tree.iterfind("devices/serial")) + list(tree.iterfind("devices/console"))
    ]
    return disks, nics, graphics, serials


def _listen(graphics):
    """Where a display listens, in words: an address, a socket, or nowhere (reached only through the console)."""
    listen = graphics.find("listen")
    if listen is not None and listen.get("type") == "none":
        return _("nowhere: only through the console")

    if listen is not None:
        return listen.get("address") or listen.get("socket") or listen.get("network") or graphics.get("listen", "")
    return graphics.get("listen", "")


def read_facts(domain):
    """Facts about a Domain row from libvirt; VirtError if the host or domain is unreachable."""
    dom = libvirt_domain(domain)
    with translated_errors():
        state_code, reason_code = dom.state()
        info = dom.info()
        xml = dom.XMLDesc(0)
        persistent = bool(dom.isPersistent())
        autostart = bool(dom.autostart()) if persistent else False
        managed_save = bool(dom.hasManagedSaveImage(0)) if persistent else False
        max_vcpus = dom.vcpusFlags(libvirt.VIR_DOMAIN_VCPU_MAXIMUM | libvirt.VIR_DOMAIN_AFFECT_CONFIG) if persistent else info[3]
    state = states.state_name(state_code)
    messages = []
    if state in states.ACTIVE_STATES:
        try:
            messages = dom.messages(libvirt.VIR_DOMAIN_MESSAGE_TAINTING | libvirt.VIR_DOMAIN_MESSAGE_DEPRECATION)
        except libvirt.libvirtError:
            messages = []  # drivers without virDomainGetMessages (test:///) have nothing to say
    tree = etree.fromstring(xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    disks, nics, graphics, serials = _devices(tree)
    return DomainFacts(
        name=dom.name(),
        state=state,
        reason=states.reason_name(state, reason_code),
        vcpus=info[3],
        max_vcpus=max_vcpus,
        memory_kib=info[2],
        max_memory_kib=info[1],
        persistent=persistent,
        autostart=autostart,
        managed_save=managed_save,
        title=tree.findtext("title") or "",
        description=tree.findtext("description") or "",
        disks=disks,
        nics=nics,
        graphics=graphics,
        serials=serials,
        messages=messages,
    )
