"""Insert and remove elements of a definition at libvirt's position, indented like their siblings."""

from __future__ import annotations

import re

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from .errors import DefinitionError

# The order in which libvirt writes these elements (its *Format() functions); the
# schema mostly accepts any order, so this is where a new element looks natural.
ORDER = {
    "domain": ["name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory",
               "currentMemory", "blkiotune", "memtune", "memoryBacking", "vcpu", "vcpus", "iothreads",
               "iothreadids", "cputune", "numatune", "resource", "sysinfo", "bootloader",
               "bootloader_args", "os", "idmap", "features", "cpu", "clock", "on_poweroff", "on_reboot",
               "on_crash", "pm", "perf", "devices", "seclabel", "keywrap", "launchSecurity"],
    "devices": ["emulator", "disk", "controller", "lease", "filesystem", "interface", "smartcard",
                "serial", "parallel", "console", "channel", "input", "tpm", "graphics", "sound", "audio",
                "video", "hostdev", "redirdev", "redirfilter", "hub", "watchdog", "memballoon", "rng",
                "panic", "shmem", "memory", "iommu", "vsock", "crypto"],
    "os": ["type", "firmware", "loader", "nvram", "kernel", "initrd", "cmdline", "dtb", "acpi", "boot",
           "bootmenu", "smbios", "bios"],
    "disk": ["driver", "source", "backingStore", "mirror", "target", "iotune", "boot", "readonly",
             "shareable", "transient", "serial", "wwn", "vendor", "product", "encryption", "alias", "address"],
    "interface": ["mac", "source", "vlan", "virtualport", "ip", "route", "script", "target", "guest",
                  "model", "driver", "filterref", "tune", "teaming", "link", "mtu", "coalesce", "boot",
                  "rom", "alias", "address"],
    "graphics": ["listen", "channel", "image", "streaming", "clipboard", "mouse", "filetransfer", "gl"],
    "serial": ["source", "protocol", "log", "target", "alias", "address"],
    "console": ["source", "protocol", "log", "target", "alias", "address"],
}


def local_name(node) -> str | None:
    """The element's name without namespace; None for comments, PIs and namespaced elements."""
    if not isinstance(node.tag, str) or node.tag.startswith("{"):
        return None
    return node.tag


def children(parent: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in parent.iterchildren(name)]


def child(parent: etree._Element, name: str) -> etree._Element | None:
    return parent.find(name)


def _whitespace(value: str | None) -> bool:
    return value is None or not value.strip()


def _preceding_space(node) -> str | None:
    previous = node.getprevious()
    return previous.tail if previous is not None else node.getparent().text if node.getparent() is not None else None


def indent_unit(root: etree._Element) -> str:
    """The document's indentation step (libvirt: two spaces)."""
    for element in root.iter():
        if len(element) and element.text and _whitespace(element.text) and "\n" in element.text:
            outer = _preceding_space(element) if element.getparent() is not None else "\n"
            inner = element.text.rsplit("\n", 1)[1]
            outer_last = (outer or "\n").rsplit("\n", 1)[-1]
            if len(inner) > len(outer_last) and inner.startswith(outer_last):
                return inner[len(outer_last):]
    return "  "


def _own_indent(element: etree._Element) -> str | None:
    """'\\n' plus the spaces before the element's start tag, or None in a compact (unindented) document."""
    if element.getparent() is None:
        return "\n"
    space = _preceding_space(element)
    if space is None or "\n" not in space or not _whitespace(space):
        return None
    return "\n" + space.rsplit("\n", 1)[1]


def child_indent(parent: etree._Element) -> str | None:
    """The whitespace that precedes each child of parent ('\\n    '), or None where children sit on one line."""
    if len(parent):
        if parent.text is not None and _whitespace(parent.text) and "\n" in parent.text:
            return "\n" + parent.text.rsplit("\n", 1)[1]
        for node in list(parent)[:-1]:
            if node.tail and _whitespace(node.tail) and "\n" in node.tail:
                return "\n" + node.tail.rsplit("\n", 1)[1]
        return None  # the children are written on one line: keep to that
    own = _own_indent(parent)
    return None if own is None else own + indent_unit(parent.getroottree().getroot())


def _format_new(element: etree._Element, indent: str | None, unit: str) -> None:
    """Give a freshly built subtree the layout of the document around it."""
    if indent is None or not len(element):
        return
    if not _whitespace(element.text) or any(not _whitespace(node.tail) for node in element):
        return  # mixed content: its whitespace is data, not layout
    inner = indent + unit
    element.text = inner
    for node in element:
        node.tail = inner
        _format_new(node, inner, unit)
    element[-1].tail = indent


def format_new(element: etree._Element) -> None:
    """Lay out an element put in place by other means (e.g. a replacement) like the document around it."""
    _format_new(element, _own_indent(element), indent_unit(element.getroottree().getroot()))


def _rank(order: list[str], node) -> int | None:
    name = local_name(node)
    return order.index(name) if name in order else None


def insert(parent: etree._Element, element: etree._Element, order: list[str] | None = None) -> etree._Element:
    """Insert element into parent where libvirt would write it, laid out like its siblings."""
    order = order if order is not None else ORDER.get(local_name(parent) or "", [])
    name = local_name(element)
    rank = order.index(name) if name in order else len(order)
    anchor = before = None
    for node in parent.iterchildren(tag=etree.Element):
        node_rank = _rank(order, node)
        if node_rank is None:
            continue
        if node_rank <= rank:
            anchor = node
        elif before is None and anchor is None:
            before = node
    indent = child_indent(parent)
    unit = indent_unit(parent.getroottree().getroot())
    if anchor is None and before is None and len(parent):
        anchor = parent[-1]
    if anchor is not None:
        anchor.addnext(element)
        element.tail = anchor.tail
        if indent is not None:
            anchor.tail = indent
    elif before is not None:
        space = _preceding_space(before)
        before.addprevious(element)
        element.tail = space if indent is not None else None
    else:  # parent had no children
        closing = _own_indent(parent)
        parent.append(element)
        if indent is not None and closing is not None and _whitespace(parent.text):
            parent.text = indent
            element.tail = closing
    _format_new(element, indent, unit)
    return element


def remove(element: etree._Element) -> None:
    """Remove element (and the line it stood on); comments and other siblings stay."""
    parent = element.getparent()
    if element.getnext() is None:
        # The last child's tail is the parent's closing indentation: hand it to what precedes.
        previous = element.getprevious()
        if previous is not None:
            if _whitespace(previous.tail):
                previous.tail = element.tail
        elif _whitespace(parent.text):
            parent.text = None  # the parent is left empty
    parent.remove(element)


def ensure(parent: etree._Element, name: str) -> etree._Element:
    """The child called name, inserted at its place when missing."""
    found = child(parent, name)
    return found if found is not None else insert(parent, etree.Element(name))


_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: str | None, what: str) -> str | None:
    """value, or a DefinitionError if XML cannot hold it (control characters)."""
    if value is not None and _NOT_XML_RE.search(value):
        raise DefinitionError(format_lazy(_("The {what} contains a control character that XML cannot hold; remove it "
                                            "and try again."), what=what))
    return value


def build(tag: str, attributes: dict | None = None, text: str | None = None, *kids: etree._Element) -> etree._Element:
    """A new element; attributes whose value is None are left out."""
    attributes = {k: xml_safe(str(v), f"{tag} {k}") for k, v in (attributes or {}).items() if v is not None}
    element = etree.Element(tag, attributes)
    element.text = xml_safe(text, tag)
    for kid in kids:
        element.append(kid)
    return element
