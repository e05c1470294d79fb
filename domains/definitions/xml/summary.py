"""The facts of a definition shown in lists and on the domain page, read from its XML."""

from __future__ import annotations

from .edits import domain_root, element_kib
from .placement import child, children


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _disk(disk) -> dict:
    source = disk.find("source")
    target = disk.find("target")
    driver = disk.find("driver")
    attrs = dict(source.attrib) if source is not None else {}
    where = attrs.get("file") or attrs.get("dev") or attrs.get("dir") or attrs.get("name")
    if attrs.get("pool"):
        where = f"{attrs['pool']}/{attrs.get('volume', '')}"
    return {
        "type": disk.get("type"), "device": disk.get("device", "disk"),
        "target": target.get("dev") if target is not None else None,
        "bus": target.get("bus") if target is not None else None,
        "source": where, "format": driver.get("type") if driver is not None else None,
        "cache": driver.get("cache") if driver is not None else None,
        "readonly": disk.find("readonly") is not None,
    }


def _nic(interface) -> dict:
    source = interface.find("source")
    mac = interface.find("mac")
    model = interface.find("model")
    attrs = dict(source.attrib) if source is not None else {}
    return {
        "type": interface.get("type"), "mac": mac.get("address") if mac is not None else None,
        "source": attrs.get("network") or attrs.get("bridge") or attrs.get("dev") or attrs.get("path"),
        "model": model.get("type") if model is not None else None,
    }


def _graphics(graphics) -> dict:
    listen = graphics.get("listen")
    if listen is None:
        element = graphics.find("listen")
        if element is not None:
            listen = element.get("address") or element.get("network") or element.get("socket")
    return {"type": graphics.get("type"), "listen": listen, "port": graphics.get("port"),
            "autoport": graphics.get("autoport")}


def _char(device) -> dict:
    target = device.find("target")
    return {"type": device.get("type"),
            "target_type": target.get("type") if target is not None else None,
            "port": _int(target.get("port")) if target is not None else None}


def summary(document) -> dict:
    """name, uuid, title, vCPUs, memory (KiB), devices and OS of a definition (missing facts are None/[])."""
    root = domain_root(document)
    vcpu = child(root, "vcpu")
    maximum = _int(vcpu.text) if vcpu is not None else None
    os_type = root.find("os/type")
    devices = child(root, "devices")
    listed = (lambda name: children(devices, name)) if devices is not None else (lambda name: [])
    name = child(root, "name")
    uuid = child(root, "uuid")
    title = child(root, "title")
    return {
        "name": name.text.strip() if name is not None and name.text else None,
        "uuid": uuid.text.strip() if uuid is not None and uuid.text else None,
        "title": title.text if title is not None else None,
        "type": root.get("type"),
        "vcpus": _int(vcpu.get("current")) or maximum if vcpu is not None else None,
        "max_vcpus": maximum,
        "memory_kib": element_kib(child(root, "currentMemory")) or element_kib(child(root, "memory")),
        "max_memory_kib": element_kib(child(root, "memory")),
        "disks": [_disk(d) for d in listed("disk")],
        "nics": [_nic(i) for i in listed("interface")],
        "graphics": [_graphics(g) for g in listed("graphics")],
        "serials": [_char(s) for s in listed("serial")],
        "consoles": [_char(c) for c in listed("console")],
        "os_type": os_type.text.strip() if os_type is not None and os_type.text else None,
        "arch": os_type.get("arch") if os_type is not None else None,
        "machine": os_type.get("machine") if os_type is not None else None,
        "boot": [b.get("dev") for b in root.iterfind("os/boot")],
    }
