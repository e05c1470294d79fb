"""What the definition page shows: the persistent definition, its facts, and what waits for the next boot."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access.lookups import libvirt_domain
from domains.definitions.actions import INACTIVE, ensure_first_revision
from domains.definitions.xml import parse, summary
from domains.libvirt.adapter import translated_errors

# Facts that differ between the running domain and its definition only when a change waits for a restart;
# runtime details libvirt adds (ports, aliases, pty paths, expanded machine names) are left out.
# (label in words, how to read it from a summary): pairs, not a dict, as a lazy label is no key.
_COMPARED = (
    (_("vCPUs"), lambda f: (f["vcpus"], f["max_vcpus"])),
    (_("maximum memory"), lambda f: f["max_memory_kib"]),
    (_("title"), lambda f: f["title"]),
    (_("disks"), lambda f: sorted((d["target"], d["bus"], d["source"] or "", d["device"]) for d in f["disks"])),
    (_("network interfaces"), lambda f: sorted((n["type"], n["source"] or "", n["model"] or "", n["mac"] or "")
                                               for n in f["nics"])),
    (_("displays"), lambda f: sorted((g["type"], g["listen"] or "") for g in f["graphics"])),
    (_("boot order"), lambda f: f["boot"]),
)


@dataclass
class DefinitionState:
    xml: str
    facts: dict
    revision: object
    active: bool
    autostart: bool
    persistent: bool
    pending: list = field(default_factory=list)  # what applies on next boot, in words
    description: str = ""
    boot_slots: list = field(default_factory=list)  # the boot order padded to three places ("" = none)
    boot_menu: bool = False
    boot_menu_timeout: int | None = None
    metadata: list = field(default_factory=list)  # {"namespace", "xml"} per foreign metadata element

    @property
    def memory_mib(self):
        return (self.facts["memory_kib"] or 0) // 1024

    @property
    def max_memory_mib(self):
        return (self.facts["max_memory_kib"] or 0) // 1024


def pending_changes(live_facts, persistent_facts):
    return [label for label, read in _COMPARED if read(live_facts) != read(persistent_facts)]


def definition_state(domain):
    """The domain's persistent definition as the page shows it (VirtError if libvirt cannot be reached)."""
    dom = libvirt_domain(domain)
    with translated_errors():
        xml = dom.XMLDesc(INACTIVE)
        active, autostart, persistent = bool(dom.isActive()), bool(dom.autostart()), bool(dom.isPersistent())
        live_xml = dom.XMLDesc(0) if active else None
    revision = ensure_first_revision(domain, dom)
    document = parse(xml)
    facts = summary(document)
    if live_xml is not None:
        # Interfaces get a MAC and user networking no source at runtime: compare those only where defined.
        live = summary(parse(live_xml))
        for persistent_nic, live_nic in zip(facts["nics"], live["nics"]):
            live_nic["mac"] = live_nic["mac"] if persistent_nic["mac"] else None
        pending = pending_changes(live, facts)
    else:
        pending = []
    root = document.root
    menu = root.find("os/bootmenu")
    timeout = menu.get("timeout") if menu is not None else None
    return DefinitionState(
        xml, facts, revision, active, autostart, persistent, pending,
        description=root.findtext("description") or "",
        boot_slots=(facts["boot"] + ["", "", ""])[:max(3, len(facts["boot"]))],
        boot_menu=menu is not None and menu.get("enable") == "yes",
        boot_menu_timeout=int(timeout) if timeout and timeout.isdigit() else None,
        metadata=[{"namespace": etree.QName(element).namespace, "xml": document.element_xml(element)}
                  for element in root.iterfind("metadata/*")],
    )


__all__ = ["DefinitionState", "definition_state", "pending_changes"]
