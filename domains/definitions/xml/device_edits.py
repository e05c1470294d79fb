"""Structured, lossless edits of a definition's devices: disks, interfaces, graphics, serials, consoles."""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Callable

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from .edits import domain_root
from .errors import DefinitionError
from .placement import build, child, children, ensure, insert, remove, xml_safe
from .schema import element_problems

DISK_BUSES = ("virtio", "sata", "scsi", "ide", "usb", "fdc", "sd", "xen")
DISK_CACHES = ("default", "none", "writethrough", "writeback", "directsync", "unsafe")
DISK_FORMATS = ("raw", "qcow2", "qcow", "vmdk", "vpc", "vdi", "vhdx", "qed", "luks", "iso")
DISK_DEVICES = ("disk", "cdrom", "floppy", "lun")
NIC_MODELS = ("virtio", "e1000", "e1000e", "rtl8139", "vmxnet3", "ne2k_pci", "pcnet", "virtio-transitional")
_TARGET_DEV_RE = re.compile(r"^(hd|sd|vd|xvd|ubd|fd)[a-z]+$")
_MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
CONSOLE_TARGETS = ("serial", "virtio", "xen", "uml", "lxc", "openvz", "sclp", "sclplm")
_CHAR_TYPES = ("pty", "null", "vc", "stdio", "file", "unix", "tcp", "udp", "dev", "spiceport")


# The patterns of libvirt's schema (basictypes.rng), anchored: refusing here gives a
# clearer message than the schema would, before anything is changed.
_OBJECT_NAME_RE = re.compile(r"[^/\n]+\Z")
_VOLUME_NAME_RE = re.compile(r"(?!\.\.?\Z)[^/]+\Z")
_HOST_DEVICE_RE = re.compile(r"[a-zA-Z0-9_.:-]{1,15}\Z")
_DNS_NAME_RE = re.compile(r"[a-zA-Z0-9.-]+\Z")


def _name(value: str | None, pattern: re.Pattern, what: str, hint: str) -> str:
    if not value or not pattern.match(value):
        raise DefinitionError(format_lazy(_("{value} is not a valid {what}; {hint}."), value=repr(value), what=what,
                                          hint=hint))
    return value


def _listen_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return _name(value, _DNS_NAME_RE, _("listen address"), _("use an IP address such as 127.0.0.1 or a host name"))


def _checked(element: etree._Element, change: Callable[[etree._Element], None], what: str) -> None:
    """Apply change to element only if libvirt's schema accepts the result (tried on a copy first)."""
    trial = copy.deepcopy(element)
    change(trial)
    problems = element_problems(trial)
    if problems:
        raise DefinitionError(format_lazy(_("{change} would make this device invalid ({problems}); make this change "
                                            "in the raw editor, where the device's other settings can be adjusted "
                                            "too."), change=what, problems="; ".join(problems)),
                              path=_path(element))
    change(element)


def _devices(document) -> etree._Element:
    """<devices>, created when missing: call only once the edit is known to succeed."""
    root = domain_root(document)
    devices = child(root, "devices")
    return devices if devices is not None else insert(root, build("devices"))


def _listed(document, name: str) -> list[etree._Element]:
    """The devices called name, without creating <devices> (a refused edit must leave no trace)."""
    devices = child(domain_root(document), "devices")
    return children(devices, name) if devices is not None else []


def _path(element: etree._Element) -> str:
    return element.getroottree().getpath(element)


# Disks ---------------------------------------------------------------------------------

def find_disk(document, target_dev: str) -> etree._Element:
    for disk in _listed(document, "disk"):
        if disk.find("target") is not None and disk.find("target").get("dev") == target_dev:
            return disk
    raise DefinitionError(format_lazy(_("There is no disk with target {target}; pick one of the disks listed."),
                                      target=repr(target_dev)),
                          path="/domain/devices")


_VIRTIO_DRIVER_OPTIONS = ("queues", "queue_size", "iommu", "ats", "packed", "page_per_vq")
_BUS_PREFIXES = {"virtio": "vd", "sata": "sd", "scsi": "sd", "usb": "sd", "ide": "hd", "fdc": "fd", "xen": "xvd"}


def _free_target(document, prefix: str) -> str:
    """The first unused target name with prefix: vda, vdb, … vdz, vdaa, …"""
    used = {d.find("target").get("dev") for d in _listed(document, "disk") if d.find("target") is not None}
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [prefix + a for a in letters] + [prefix + a + b for a in letters for b in letters]
    return next(name for name in names if name not in used)


def _check_bus(device: str, bus: str, target_dev: str) -> None:
    if bus not in DISK_BUSES:
        raise DefinitionError(format_lazy(_("Unknown disk bus {bus}; use one of {buses}."), bus=repr(bus),
                                          buses=", ".join(DISK_BUSES)))
    if device not in DISK_DEVICES:
        raise DefinitionError(format_lazy(_("Unknown disk device {device}; use one of {devices}."), device=repr(device),
                                          devices=", ".join(DISK_DEVICES)))
    if device == "cdrom" and bus == "virtio":
        raise DefinitionError(_("A CD-ROM cannot sit on the virtio bus; use sata, scsi or ide."))
    if (device == "floppy") != (bus == "fdc") or (device == "floppy") != target_dev.startswith("fd"):
        raise DefinitionError(_("A floppy drive goes on the fdc bus with a target named fda or fdb, and only a "
                                "floppy does; pick a matching device, bus and target name."))


def _check_disk(document, target_dev: str, bus: str, device: str, fmt: str | None, cache: str | None) -> None:
    if not _TARGET_DEV_RE.match(target_dev or ""):
        raise DefinitionError(format_lazy(_("{target} is not a disk target name; use e.g. vda, sdb or hdc."),
                                          target=repr(target_dev)))
    _check_bus(device, bus, target_dev)
    if fmt is not None and fmt not in DISK_FORMATS:
        raise DefinitionError(format_lazy(_("Unknown disk format {format}; use one of {formats}."), format=repr(fmt),
                                          formats=", ".join(DISK_FORMATS)))
    if cache is not None and cache not in DISK_CACHES:
        raise _unknown_cache(cache)
    for disk in _listed(document, "disk"):
        if disk.find("target") is not None and disk.find("target").get("dev") == target_dev:
            raise DefinitionError(format_lazy(_("Another disk already uses target {target}; pick a free name."),
                                              target=repr(target_dev)),
                                  path=_path(disk))


def _unknown_cache(cache: str) -> DefinitionError:
    return DefinitionError(format_lazy(_("Unknown cache mode {mode}; use one of {modes}."), mode=repr(cache),
                                       modes=", ".join(DISK_CACHES)))


def _add_disk(document, kind: str, source: dict, target_dev: str, bus: str, device: str,
              fmt: str | None, cache: str | None, readonly: bool) -> etree._Element:
    _check_disk(document, target_dev, bus, device, fmt, cache)
    driver = build("driver", {"name": "qemu", "type": fmt, "cache": cache})
    disk = build("disk", {"type": kind, "device": device}, None,
                 driver, build("source", source), build("target", {"dev": target_dev, "bus": bus}))
    if readonly or device == "cdrom":
        disk.append(build("readonly"))
    return insert(_devices(document), disk)


def add_file_disk(document, path: str, target_dev: str, *, bus: str = "virtio", fmt: str = "qcow2",
                  device: str = "disk", cache: str | None = None, readonly: bool = False) -> etree._Element:
    """A disk backed by a file on the host."""
    if not re.match(r"/[^\n\r]+\Z", path or ""):
        raise DefinitionError(format_lazy(_("The disk path {path} must be an absolute file path (start with /, one "
                                            "line)."), path=repr(path)))
    return _add_disk(document, "file", {"file": path}, target_dev, bus, device, fmt, cache, readonly)


def add_volume_disk(document, pool: str, volume: str, target_dev: str, *, bus: str = "virtio",
                    fmt: str | None = "qcow2", device: str = "disk", cache: str | None = None,
                    readonly: bool = False) -> etree._Element:
    """A disk backed by a volume of a libvirt storage pool."""
    _name(pool, _OBJECT_NAME_RE, _("storage pool name"), _("a pool name has no '/' and no line break"))
    _name(volume, _VOLUME_NAME_RE, _("volume name"), _("a volume name has no '/' and is not '.' or '..'"))
    return _add_disk(document, "volume", {"pool": pool, "volume": volume}, target_dev, bus, device, fmt,
                     cache, readonly)


def set_disk_bus(document, target_dev: str, bus: str, new_target_dev: str | None = None) -> None:
    """Move a disk to another bus; its <address> goes too, as addresses are bus-specific (libvirt assigns one).

    Without new_target_dev, a name that does not fit the bus (vdb on sata) becomes the
    first free one that does (sda…).
    """
    disk = find_disk(document, target_dev)
    target = disk.find("target")
    prefix = _BUS_PREFIXES.get(bus)
    if not new_target_dev and prefix and not re.match(rf"{prefix}[a-z]+\Z", target_dev):
        # libvirt derives sata/scsi/ide drive addresses from the name: vdb on sata would be unit 1.
        new_target_dev = _free_target(document, prefix)
    rename = bool(new_target_dev) and new_target_dev != target_dev
    if rename:
        _check_disk(document, new_target_dev, bus, disk.get("device", "disk"), None, None)
    else:
        _check_bus(disk.get("device", "disk"), bus, target_dev)
    if target.get("bus") == bus and not rename:
        return
    driver = child(disk, "driver")
    virtio_only = [k for k in _VIRTIO_DRIVER_OPTIONS if driver is not None and driver.get(k) is not None]
    if bus != "virtio" and virtio_only:
        raise DefinitionError(format_lazy(_("This disk's driver sets {options}, which only virtio disks have; remove "
                                            "them in the raw editor before moving the disk to another bus."),
                                          options=", ".join(virtio_only)),
                              path=_path(driver))

    def change(element: etree._Element) -> None:
        element_target = element.find("target")
        if rename:
            element_target.set("dev", new_target_dev)
        if element_target.get("bus") != bus:
            element_target.set("bus", bus)
            address = child(element, "address")
            if address is not None:
                remove(address)

    _checked(disk, change, format_lazy(_("Moving the disk to the {bus} bus"), bus=bus))


def set_disk_cache(document, target_dev: str, cache: str | None) -> None:
    """The host cache mode (None: libvirt's default)."""
    if cache is not None and cache not in DISK_CACHES:
        raise _unknown_cache(cache)
    disk = find_disk(document, target_dev)
    driver = child(disk, "driver")
    if cache is None:
        if driver is not None:
            driver.attrib.pop("cache", None)
        return
    if driver is None:
        driver = insert(disk, build("driver", {"name": "qemu"}))
    if driver.get("cache") != cache:
        driver.set("cache", cache)


def remove_disk(document, target_dev: str) -> None:
    remove(find_disk(document, target_dev))


# Interfaces ----------------------------------------------------------------------------

def _normal_mac(mac: str) -> str:
    mac = mac.strip().lower()
    if not _MAC_RE.match(mac):
        raise DefinitionError(format_lazy(_("{mac} is not a MAC address; write six hex pairs like "
                                            "52:54:00:12:34:56."), mac=repr(mac)))
    if int(mac[:2], 16) & 1:
        raise DefinitionError(format_lazy(_("{mac} is a multicast address; a NIC needs a unicast MAC (even first "
                                            "byte)."), mac=mac))
    return mac


def _mac_of(interface: etree._Element) -> str | None:
    mac = interface.find("mac")
    return mac.get("address", "").lower() if mac is not None else None


def find_interface(document, ref: str | int) -> etree._Element:
    """An interface by MAC address or by its position among the interfaces (0-based)."""
    interfaces = _listed(document, "interface")
    if isinstance(ref, int):
        if 0 <= ref < len(interfaces):
            return interfaces[ref]
    else:
        for interface in interfaces:
            if _mac_of(interface) == ref.strip().lower():
                return interface
    raise DefinitionError(format_lazy(_("There is no network interface {interface}; pick one of the interfaces "
                                        "listed."), interface=repr(ref)),
                          path="/domain/devices")


def _source_for(kind: str, source: str | None) -> dict | None:
    xml_safe(source, _("interface source"))
    if kind == "network":
        return {"network": _name(source or "default", _OBJECT_NAME_RE, _("network name"),
                                 _("a network name has no '/' and no line break"))}
    if kind == "bridge":
        return {"bridge": _name(source, _HOST_DEVICE_RE, _("host bridge name"),
                                _("give the bridge's name as the host shows it, e.g. br0"))}
    if kind == "direct":
        return {"dev": _name(source, _HOST_DEVICE_RE, _("host network device"),
                             _("give the device's name as the host shows it, e.g. eth0")), "mode": "bridge"}
    if kind == "user":
        return None
    raise DefinitionError(format_lazy(_("Unknown interface type {kind}; use network, bridge, direct or user."),
                                      kind=repr(kind)))


def add_interface(document, kind: str = "network", source: str | None = None, *, model: str | None = "virtio",
                  mac: str | None = None) -> etree._Element:
    """A NIC on a libvirt network, a host bridge, a macvtap device or user-mode networking."""
    source_attrs = _source_for(kind, source)
    kids = []
    if mac:
        mac = _normal_mac(mac)
        if any(_mac_of(i) == mac for i in _listed(document, "interface")):
            raise DefinitionError(format_lazy(_("Another interface already uses MAC {mac}; pick another or leave it "
                                                "empty."), mac=mac))
        kids.append(build("mac", {"address": mac}))
    if source_attrs:
        kids.append(build("source", source_attrs))
    if model:
        if model not in NIC_MODELS:
            raise _unknown_model(model)
        kids.append(build("model", {"type": model}))
    return insert(_devices(document), build("interface", {"type": kind}, None, *kids))


def _unknown_model(model: str) -> DefinitionError:
    return DefinitionError(format_lazy(_("Unknown NIC model {model}; use one of {models}."), model=repr(model),
                                       models=", ".join(NIC_MODELS)))


def remove_interface(document, ref: str | int) -> None:
    remove(find_interface(document, ref))


def set_interface_model(document, ref: str | int, model: str) -> None:
    if model not in NIC_MODELS:
        raise _unknown_model(model)
    interface = find_interface(document, ref)
    if interface.get("type") == "vhostuser" and not model.startswith("virtio"):
        raise DefinitionError(_("A vhost-user interface needs a virtio model; pick virtio."), path=_path(interface))
    element = ensure(interface, "model")
    if element.get("type") != model:
        element.set("type", model)


def set_interface_source(document, ref: str | int, kind: str, source: str | None) -> None:
    """Connect the NIC to a network, bridge or device (its other settings stay)."""
    interface = find_interface(document, ref)
    attrs = _source_for(kind, source)
    if kind != "network" and interface.find("bandwidth/inbound[@floor]") is not None:
        raise DefinitionError(_("This interface reserves inbound bandwidth (floor), which only works on a libvirt "
                                "network; remove the floor in the raw editor first."), path=_path(interface))
    if kind != interface.get("type") and interface.find("target[@managed='no']") is not None:
        raise DefinitionError(format_lazy(_("This interface uses a tap device created outside libvirt (<target "
                                            "managed='no'>), which a {kind} interface cannot; change it in the raw "
                                            "editor."), kind=kind), path=_path(interface))

    def change(element: etree._Element) -> None:
        if element.get("type") != kind:
            element.set("type", kind)
        existing = child(element, "source")
        if attrs is None:
            if existing is not None:
                remove(existing)
        elif existing is None:
            insert(element, build("source", attrs))
        else:
            keep = {"portgroup", "portid"} if kind == "network" else set()
            for key in list(existing.attrib):
                if key not in attrs and key not in keep:
                    del existing.attrib[key]
            for key, value in attrs.items():
                if existing.get(key) != value:
                    existing.set(key, value)

    _checked(interface, change, format_lazy(_("Connecting the interface to {kind} {source}"), kind=kind, source=source)
             if source else format_lazy(_("Connecting the interface to {kind}"), kind=kind))


def set_interface_mac(document, ref: str | int, mac: str) -> None:
    interface = find_interface(document, ref)
    mac = _normal_mac(mac)
    for other in _listed(document, "interface"):
        if other is not interface and _mac_of(other) == mac:
            raise DefinitionError(format_lazy(_("Another interface already uses MAC {mac}; pick another."), mac=mac),
                                  path=_path(other))
    element = ensure(interface, "mac")
    if element.get("address", "").lower() != mac:
        element.set("address", mac)


# Graphics ------------------------------------------------------------------------------

def set_graphics(document, kind: str, listen: str | None = None) -> etree._Element:
    """Add a VNC or SPICE display (automatic port) or change its listen address."""
    if kind not in ("vnc", "spice"):
        raise DefinitionError(format_lazy(_("Unknown graphics type {kind}; use vnc or spice."), kind=repr(kind)))
    if listen is not None:
        listen = _listen_address(listen)
    devices = _devices(document)
    graphics = next((g for g in children(devices, "graphics") if g.get("type") == kind), None)
    if graphics is None:
        graphics = build("graphics", {"type": kind, "autoport": "yes", "listen": listen})
        if listen:
            graphics.append(build("listen", {"type": "address", "address": listen}))
        return insert(devices, graphics)
    if listen is None:
        return graphics
    if graphics.get("listen") not in (None, listen):
        graphics.set("listen", listen)
    address_listens = [e for e in children(graphics, "listen") if e.get("type") == "address"]
    for element in address_listens:
        if element.get("address") != listen:
            element.set("address", listen)
    if not address_listens and graphics.get("listen") is None:
        if children(graphics, "listen"):
            raise DefinitionError(_("This display listens on a network or socket (<listen type=…>); change that "
                                    "in the raw editor."), path=_path(graphics))
        graphics.set("listen", listen)
        insert(graphics, build("listen", {"type": "address", "address": listen}))
    return graphics


def remove_graphics(document, kind: str) -> None:
    for graphics in _listed(document, "graphics"):
        if graphics.get("type") == kind:
            remove(graphics)
            return
    raise DefinitionError(format_lazy(_("There is no {kind} display to remove."), kind=kind), path="/domain/devices")


# Serial ports and consoles ---------------------------------------------------------------

def _char_kind(kind: str) -> str:
    if kind not in _CHAR_TYPES:
        raise DefinitionError(format_lazy(_("Unknown character device type {kind}; use one of {kinds}."),
                                          kind=repr(kind), kinds=", ".join(_CHAR_TYPES)))
    return kind


def add_serial(document, kind: str = "pty", port: int | None = None) -> etree._Element:
    _char_kind(kind)
    used = {int(s.find("target").get("port")) for s in _listed(document, "serial")
            if s.find("target") is not None and (s.find("target").get("port") or "").isdigit()}
    port = port if port is not None else next(p for p in range(len(used) + 1) if p not in used)
    if port in used:
        raise DefinitionError(format_lazy(_("Serial port {port} is already defined; pick another port number."),
                                          port=port))
    if not isinstance(port, int) or port < 0:
        raise DefinitionError(format_lazy(_("A serial port number is 0 or more, not {port}."), port=repr(port)))
    return insert(_devices(document), build("serial", {"type": kind}, None, build("target", {"port": port})))


def remove_serial(document, port: int) -> None:
    for serial in _listed(document, "serial"):
        target = serial.find("target")
        if target is not None and target.get("port", "0") == str(port):
            remove(serial)
            return
    raise DefinitionError(format_lazy(_("There is no serial port {port} to remove."), port=port),
                          path="/domain/devices")


def add_console(document, kind: str = "pty", target_type: str = "serial", port: int = 0) -> etree._Element:
    _char_kind(kind)
    if target_type not in CONSOLE_TARGETS:
        raise DefinitionError(format_lazy(_("Unknown console target {target}; use one of {targets}."),
                                          target=repr(target_type), targets=", ".join(CONSOLE_TARGETS)))
    consoles = _listed(document, "console")
    for console in consoles:
        target = console.find("target")
        if target is not None and target.get("type", "serial") == target_type and target.get("port", "0") == str(port):
            raise DefinitionError(format_lazy(_("A {target} console on port {port} already exists."),
                                              target=target_type, port=port), path=_path(console))
    if target_type == "serial" and consoles:
        # libvirt: "Only the first console can be a serial port"; a new console goes last.
        raise DefinitionError(_("Only the first console can be a serial console and this domain has one already; "
                                "add a virtio console instead."), path=_path(consoles[0]))
    return insert(_devices(document), build("console", {"type": kind}, None,
                                 build("target", {"type": target_type, "port": port})))


def remove_console(document, target_type: str = "serial", port: int = 0) -> None:
    for console in _listed(document, "console"):
        target = console.find("target")
        if target is not None and target.get("type", "serial") == target_type and target.get("port", "0") == str(port):
            remove(console)
            return
    raise DefinitionError(format_lazy(_("There is no {target} console on port {port} to remove."),
                                      target=target_type, port=port), path="/domain/devices")
