"""Structured, lossless edits of a domain definition: title, description, vCPUs, memory, boot, metadata.

Each edit changes its target in the parsed tree and nothing else; device edits live
in `device_edits`. Edits refuse (DefinitionError) what libvirt would refuse, naming
what to change instead.
"""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from .errors import DefinitionError
from .placement import (
    build,
    child,
    children,
    ensure,
    format_new,
    insert,
    remove,
    xml_safe,
)
from .safe_xml import DomainDocument, parse

MEMORY_UNITS = {
    "b": 1, "bytes": 1, "KB": 1000, "k": 1024, "KiB": 1024, "MB": 1000**2, "M": 1024**2, "MiB": 1024**2,
    "GB": 1000**3, "G": 1024**3, "GiB": 1024**3, "TB": 1000**4, "T": 1024**4, "TiB": 1024**4,
    "PB": 1000**5, "P": 1024**5, "PiB": 1024**5, "EB": 1000**6, "E": 1024**6, "EiB": 1024**6,
}
BOOT_DEVICES = ("hd", "cdrom", "network", "fd")


def domain_root(document) -> etree._Element:
    """The <domain> element of a DomainDocument, ElementTree or element."""
    if isinstance(document, DomainDocument):
        return document.root
    if isinstance(document, etree._ElementTree):
        return document.getroot()
    return document


def _set_text(parent: etree._Element, name: str, value: str | None) -> None:
    xml_safe(value, name)
    existing = child(parent, name)
    if value is None or value == "":
        if existing is not None:
            remove(existing)
    elif existing is None:
        insert(parent, build(name, None, value))
    elif existing.text != value:
        existing.text = value


def set_title(document, title: str | None) -> None:
    """Set (or with None/"" remove) the one-line title."""
    if title and ("\n" in title or "\r" in title):
        raise DefinitionError(_("The title must be a single line; put longer text in the description."),
                              path="/domain/title")
    _set_text(domain_root(document), "title", title)


def set_description(document, description: str | None) -> None:
    _set_text(domain_root(document), "description", description)


def _positive(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DefinitionError(format_lazy(_("{what} must be a whole number of at least 1, not {value}."),
                                          what=what, value=repr(value)))
    return value


def _cpu_ids(text: str) -> set[int]:
    """libvirt's cpuset syntax ("0-3,^2,8") as a set of ids."""
    ids: set[int] = set()
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        negate = part.startswith("^")
        low, _dash, high = part.lstrip("^").partition("-")
        span = set(range(int(low), int(high or low) + 1))
        ids = ids - span if negate else ids | span
    return ids


def set_vcpus(document, maximum: int, current: int | None = None) -> None:
    """<vcpu current=…>maximum</vcpu>; current None means all vCPUs online."""
    root = domain_root(document)
    _positive(maximum, _("The maximum number of vCPUs"))
    if current is not None and not 1 <= _positive(current, _("The number of online vCPUs")) <= maximum:
        raise DefinitionError(format_lazy(_("{current} online vCPUs exceed the maximum of {maximum}; raise the "
                                            "maximum or lower the online count."), current=current, maximum=maximum),
                              path="/domain/vcpu")
    topology = root.find("cpu/topology")
    if topology is not None:
        product = 1
        for name in ("sockets", "dies", "cores", "threads"):
            product *= int(topology.get(name, "1"))
        if product != maximum:
            raise DefinitionError(format_lazy(
                _("The CPU topology (<cpu><topology>) gives {product} vCPUs, so the maximum must be {product}, "
                  "not {maximum}; change the topology in the raw editor first."), product=product, maximum=maximum),
                path="/domain/cpu/topology")
    for cell in root.iterfind("cpu/numa/cell"):
        beyond = [i for i in _cpu_ids(cell.get("cpus", "")) if i >= maximum]
        if beyond:
            raise DefinitionError(format_lazy(
                _("NUMA cell {cell} uses vCPU {vcpu}, which would not exist with a maximum of {maximum}; change "
                  "the NUMA cells in the raw editor first."), cell=cell.get("id"), vcpu=beyond[0], maximum=maximum),
                path="/domain/cpu/numa")
    listed = root.find("vcpus")
    if listed is not None and len(children(listed, "vcpu")) != maximum:
        raise DefinitionError(format_lazy(
            _("<vcpus> lists {count} vCPUs; edit that list in the raw editor to change the maximum."),
            count=len(children(listed, "vcpu"))), path="/domain/vcpus")
    vcpu = child(root, "vcpu")
    if vcpu is None:
        vcpu = insert(root, build("vcpu", {"placement": "static"}))
    if vcpu.text is None or vcpu.text.strip() != str(maximum):
        vcpu.text = str(maximum)
    if current is None or current == maximum:
        vcpu.attrib.pop("current", None)
    elif vcpu.get("current") != str(current):
        vcpu.set("current", str(current))


def memory_kib(value: int, unit: str = "KiB") -> int:
    if unit not in MEMORY_UNITS:
        raise DefinitionError(format_lazy(_("Unknown memory unit {unit}; use one of {units}."), unit=repr(unit),
                                          units=", ".join(MEMORY_UNITS)))
    return value * MEMORY_UNITS[unit] // 1024


def element_kib(element: etree._Element | None) -> int | None:
    """The size held by <memory>/<currentMemory>/<maxMemory>-style elements, in KiB."""
    if element is None or not (element.text or "").strip().isdigit():
        return None
    return memory_kib(int(element.text.strip()), element.get("unit", "KiB"))


def _set_size(root: etree._Element, name: str, value: int, unit: str) -> None:
    element = child(root, name)
    if element is None:
        insert(root, build(name, {"unit": unit}, str(value)))
    elif element_kib(element) != memory_kib(value, unit):
        element.text = str(value)
        if element.get("unit") is not None or unit != "KiB":
            element.set("unit", unit)


def set_memory(document, memory: int, unit: str = "KiB", current: int | None = None) -> None:
    """Maximum (<memory>) and current (<currentMemory>, None: same as maximum) memory, in `unit`."""
    root = domain_root(document)
    kib = memory_kib(_positive(memory, _("The memory size")), unit)
    if current is not None and memory_kib(_positive(current, _("The current memory size")), unit) > kib:
        raise DefinitionError(format_lazy(_("The current memory ({current} {unit}) exceeds the maximum ({maximum} "
                                            "{unit}); lower it or raise the maximum."),
                                          current=current, maximum=memory, unit=unit), path="/domain/currentMemory")
    if root.find("cpu/numa/cell") is not None:
        raise DefinitionError(_("This domain's memory is the sum of its NUMA cells (<cpu><numa>); change the "
                                "cells' memory in the raw editor instead."), path="/domain/cpu/numa")
    hotplug = element_kib(child(root, "maxMemory"))
    if hotplug is not None and kib > hotplug:
        raise DefinitionError(format_lazy(_("{memory} {unit} exceeds the memory hotplug limit <maxMemory> "
                                            "({limit} KiB); raise <maxMemory> in the raw editor first."),
                                          memory=memory, unit=unit, limit=hotplug), path="/domain/maxMemory")
    _set_size(root, "memory", memory, unit)
    current_element = child(root, "currentMemory")
    if current is not None:
        _set_size(root, "currentMemory", current, unit)
    elif current_element is not None:
        _set_size(root, "currentMemory", memory, unit)


def set_boot_order(document, devices: list[str]) -> None:
    """The BIOS boot order, <os><boot dev=…/> in order (an empty list removes them)."""
    root = domain_root(document)
    unknown = [d for d in devices if d not in BOOT_DEVICES]
    if unknown:
        raise DefinitionError(format_lazy(_("Unknown boot device {device}; use {devices}."), device=repr(unknown[0]),
                                          devices=", ".join(BOOT_DEVICES)),
                              path="/domain/os/boot")
    if len(set(devices)) != len(devices):
        raise DefinitionError(_("Each boot device may appear once in the boot order."), path="/domain/os/boot")
    per_device = root.find("devices/*/boot")
    if devices and per_device is not None:
        raise DefinitionError(
            _("This domain sets the boot order per device (<boot order=…/> inside a disk or interface); libvirt "
              "does not allow both. Remove those first or change them in the raw editor."),
            path=root.getroottree().getpath(per_device))
    os_element = child(root, "os")
    if os_element is None:
        raise DefinitionError(_("The definition has no <os> element; add one with the raw editor."), path="/domain")
    existing = children(os_element, "boot")
    for element, device in zip(existing, devices):
        if element.get("dev") != device:
            element.set("dev", device)
    for element in existing[len(devices):]:
        remove(element)
    for device in devices[len(existing):]:
        insert(os_element, build("boot", {"dev": device}))


def set_boot_menu(document, enabled: bool, timeout_ms: int | None = None) -> None:
    """<os><bootmenu enable='yes|no' timeout=…/>."""
    if timeout_ms is not None and not (isinstance(timeout_ms, int) and 0 <= timeout_ms <= 65535):
        raise DefinitionError(format_lazy(_("The boot menu timeout must be 0 to 65535 ms, not {value}."),
                                          value=repr(timeout_ms)),
                              path="/domain/os/bootmenu")
    os_element = child(domain_root(document), "os")
    if os_element is None:
        raise DefinitionError(_("The definition has no <os> element; add one with the raw editor."), path="/domain")
    menu = ensure(os_element, "bootmenu")
    wanted = "yes" if enabled else "no"
    if menu.get("enable") != wanted:
        menu.set("enable", wanted)
    if enabled and timeout_ms is not None:
        if menu.get("timeout") != str(timeout_ms):
            menu.set("timeout", str(timeout_ms))
    elif not enabled or timeout_ms is None:
        menu.attrib.pop("timeout", None)


def _metadata_element(xml) -> etree._Element:
    if isinstance(xml, etree._Element):
        element = xml
    else:
        element = parse(xml).root
    namespace = etree.QName(element).namespace
    if not namespace:
        raise DefinitionError(_("A metadata element needs its own XML namespace, e.g. "
                                "<app:info xmlns:app='https://example.org/app'>…</app:info>."),
                              path="/domain/metadata")
    return element


def set_metadata(document, xml) -> etree._Element:
    """Set the <metadata> element of one namespace (libvirt keeps one per namespace), replacing it in place."""
    root = domain_root(document)
    new = _metadata_element(xml)
    namespace = etree.QName(new).namespace
    metadata = ensure(root, "metadata")
    for existing in metadata.iterchildren(tag=etree.Element):
        if etree.QName(existing).namespace == namespace:
            new.tail = existing.tail
            metadata.replace(existing, new)
            format_new(new)
            return new
    return insert(metadata, new)


def remove_metadata(document, namespace: str) -> bool:
    """Remove the metadata element of `namespace`; False if there was none."""
    metadata = child(domain_root(document), "metadata")
    if metadata is None:
        return False
    for existing in metadata.iterchildren(tag=etree.Element):
        if etree.QName(existing).namespace == namespace:
            remove(existing)
            return True
    return False

