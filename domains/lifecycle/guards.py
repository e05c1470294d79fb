"""Refusing to start a domain whose writable disk other volumes stand on (a linked clone's base): QEMU would write
into it, and every clone built on it would read changed blocks under its own: silent corruption, not an error.

Refused rather than warned: the damage is done by the first write of the boot, before anyone reads a warning, and
cannot be undone. The way out is named: delete the clones, or give them disks of their own (clone them with copy).
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.libvirt import snapshots as libvirt_snapshots
from domains.libvirt.storage import NoStorageDriver
from domains.storage.volumes.actions import HostUsage
from domains.storage.volumes.dependents import (
    dependents_words,
    paths_named,
    standing_on,
)


def writable_disks(xml):
    """[(target, path)] of the disks a domain writes to: not CD-ROMs, not read-only, not shareable."""
    found = []
    for disk in etree.fromstring(xml.encode()).iterfind("devices/disk"):
        source = disk.find("source")
        path = None if source is None else source.get("file") or source.get("dev")
        if (disk.get("device", "disk") == "disk" and path and disk.find("readonly") is None
                and disk.find("shareable") is None):
            found.append((disk.find("target").get("dev"), path))
    return found


def own_paths(dom, xml):
    """The files of the domain's own chains: its definition's and its snapshots' (its overlays stand on its base)."""
    paths = paths_named(xml)
    for snap in libvirt_snapshots.list_snapshots(dom):
        paths |= paths_named(libvirt_snapshots.snapshot_xml(snap))
    return paths


def start_refusal(user, domain, dom):
    """The words refusing to start domain when a writable disk is the backing file of other volumes, else None."""
    if domain.host.embedded:
        return None  # no storage driver: no pool volume can stand on its files
    xml = libvirt_snapshots.domain_xml(dom, inactive=True)
    disks = writable_disks(xml)
    if not disks:
        return None
    try:
        usage = HostUsage(domain.host)
        mine = own_paths(dom, xml)
        for target, path in disks:
            overlays = standing_on(usage, path, mine)
            if overlays:
                words, _shown, _users = dependents_words(user, usage, overlays, domain.uuid)
                return format_lazy(_("'{name}' was not started: its disk {disk} ({path}) is the backing file of "
                                     "{dependents}, a linked clone or overlay built on it. Starting would write into "
                                     "it and corrupt what stands on it. Delete those volumes (or their domains), or "
                                     "clone them with their disks copied into volumes of their own, then start "
                                     "'{name}'."), name=domain.name, disk=target, path=path, dependents=words)

    except NoStorageDriver:
        return None
    return None
