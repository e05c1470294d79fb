"""A clone's definition made from its source's, as virt-clone makes it: new identity, new MACs, automatic ports.

Pure XML work on the definitions library's lossless document: what the disks and the NVRAM become is decided by
the plan (plan.py) and handed in as paths; nothing here calls libvirt.
"""

import os
import uuid as uuidlib

from lxml import etree

from domains.definitions.xml import parse

_CHARDEVS = ("serial", "console", "parallel", "channel")
# Graphics attributes that fix a port on the host: two domains cannot listen on one, so a clone's are automatic.
_FIXED_PORTS = ("port", "tlsPort", "websocket")


def renamed_path(path, old_name, new_name):
    """The path of a clone's file beside the source's: the source's name swapped for the clone's in the file name,
    or the clone's name put in front when the file name does not hold it."""
    directory, base = os.path.split(path)
    if old_name and old_name in base:
        return os.path.join(directory, base.replace(old_name, new_name))
    return os.path.join(directory, f"{new_name}-{base}")


def _set_identity(root, name, new_uuid):
    root.find("name").text = name
    element = root.find("uuid")
    if element is None:
        element = etree.Element("uuid")
        element.tail = root.find("name").tail
        root.find("name").addnext(element)
    element.text = str(new_uuid)
    # The SMBIOS system UUID the guest reads must be the domain's: libvirt refuses a definition where they differ.
    for entry in root.iterfind("sysinfo/system/entry[@name='uuid']"):
        entry.text = str(new_uuid)
    genid = root.find("genid")
    if genid is not None:
        genid.text = None  # libvirt makes a new VM generation ID: the guest sees it is a copy


def _new_macs(root):
    """Drop each interface's MAC: libvirt gives the clone new ones (52:54:00:..., unique on the host)."""
    for interface in root.iterfind("devices/interface"):
        for mac in interface.findall("mac"):
            interface.remove(mac)


def _automatic_ports(root):
    for graphics in root.iterfind("devices/graphics"):
        fixed = [attribute for attribute in _FIXED_PORTS if attribute in graphics.attrib]
        for attribute in fixed:
            del graphics.attrib[attribute]
        if fixed or graphics.get("autoport") == "no":
            graphics.set("autoport", "yes")


def _rename_chardev_files(root, old_name, new_name):
    """[(old, new)] of the character devices' files (type='file' sources and logs) renamed for the clone."""
    renamed = []
    for kind in _CHARDEVS:
        for device in root.iterfind(f"devices/{kind}"):
            places = [(device.find("log"), "file")]
            if device.get("type") == "file":
                places += [(source, "path") for source in device.findall("source")]
            for element, attribute in places:
                if element is None or not element.get(attribute):
                    continue
                old = element.get(attribute)
                new = renamed_path(old, old_name, new_name)
                element.set(attribute, new)
                renamed.append((old, new))
    # <console> and <serial> port 0 name one device: the same file, renamed once, must stay the same file.
    return list(dict.fromkeys(renamed))


def _disk_of(root, target):
    for disk in root.iterfind("devices/disk"):
        if disk.find("target") is not None and disk.find("target").get("dev") == target:
            return disk
    raise KeyError(target)


def _point_disk(disk, path, fmt, block):
    """Make disk read its new volume at path (a file or block device) in format fmt."""
    for child in disk.findall("source") + disk.findall("backingStore"):
        disk.remove(child)
    disk.set("type", "block" if block else "file")
    driver = disk.find("driver")
    if driver is None:
        driver = etree.Element("driver", name="qemu")
        disk.insert(0, driver)
    if fmt:
        driver.set("type", fmt)
    source = etree.Element("source", **({"dev": path} if block else {"file": path}))
    driver.addnext(source)


def clone_definition(source_xml, name, new_disks, nvram_path=None, new_uuid=None):
    """(clone XML, new UUID, renamed chardev files) from source_xml.

    new_disks: {disk target: (path, format, block)} of the disks that get a volume of their own; the others stay as
    they are (shared). nvram_path: the clone's NVRAM file, or None to let libvirt make it from its template.
    """
    document = parse(source_xml)
    root = document.root
    old_name = root.findtext("name")
    new_uuid = new_uuid or uuidlib.uuid4()
    _set_identity(root, name, new_uuid)
    _new_macs(root)
    _automatic_ports(root)
    renamed = _rename_chardev_files(root, old_name, name)
    for target, (path, fmt, block) in new_disks.items():
        _point_disk(_disk_of(root, target), path, fmt, block)
    nvram = root.find("os/nvram")
    if nvram is not None:
        if nvram_path:
            nvram.text = nvram_path
        elif nvram.attrib:
            nvram.text = None
        else:
            nvram.getparent().remove(nvram)
    return document.to_xml(), new_uuid, renamed
