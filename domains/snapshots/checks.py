"""What a domain's snapshots may be: the names allowed, the kinds its disks and libvirt allow, with the reasons."""

import os
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.errors import ConsoleError
from domains.libvirt import adapter
from domains.libvirt import snapshots as libvirt_snapshots
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.snapshots.tree import (
    EXTERNAL_DISK_ONLY,
    EXTERNAL_WITH_MEMORY,
    INTERNAL,
    parse_xml,
)

NAME_LENGTH = 100
DESCRIPTION_LENGTH = 2000
# The drivers whose domains have no disk files: their snapshots are metadata only, whatever the disks say.
METADATA_ONLY_DRIVERS = ("TEST",)


class SnapshotError(ConsoleError):
    """A snapshot request refused or failed: what and what to do."""

    code = "invalid_snapshot"


@dataclass
class Disk:
    target: str
    source: str | None  # the file (or device) the domain uses now: for a snapshotted disk, its newest overlay
    type: str  # file, block, network, volume
    format: str | None  # qcow2, raw, ... (None: not said, and the driver keeps no disk files)
    backing: str | None  # the file under source in its chain, or None


def disks_of(dom):
    """The domain's writable disks (no cdrom, floppy or read-only disk), from the running or else the saved
    definition: those a snapshot covers."""
    root = parse_xml(libvirt_snapshots.domain_xml(dom))
    metadata_only = libvirt_snapshots.domain_type(dom) in METADATA_ONLY_DRIVERS
    disks = []
    for disk in root.iterfind("devices/disk"):
        if disk.get("device", "disk") != "disk" or disk.find("readonly") is not None:
            continue
        source = disk.find("source")
        path = None
        if source is not None:
            path = source.get("file") or source.get("dev") or source.get("name")
        driver = disk.find("driver")
        fmt = driver.get("type") if driver is not None else None
        if fmt is None and not metadata_only:
            fmt = "raw"  # libvirt's QEMU driver reads a disk without a format as raw, never probing it
        backing = disk.find("backingStore/source")
        disks.append(Disk(disk.find("target").get("dev"), path, disk.get("type", "file"), fmt,
                          backing.get("file") if backing is not None else None))
    return disks


def check_name(name, taken):
    """Refuse a snapshot name that could step out of a directory (overlays are named after it), is not printable,
    or is taken by another snapshot of the domain."""
    if not isinstance(name, str) or not name.strip():
        raise SnapshotError(_("A snapshot needs a name: give one such as 'before-upgrade'."),
                            fields={"name": [_("Give a name.")]})
    if "/" in name or ".." in name or name.startswith((".", "-")) or not name.isprintable() or len(name) > NAME_LENGTH:
        raise SnapshotError(format_lazy(_("{name} is not a snapshot name: use letters, digits, '-', '_', '.' and "
                                          "spaces, without '/' or '..', not starting with '.' or '-', at most "
                                          "{length} characters."), name=repr(name), length=NAME_LENGTH),
                            fields={"name": [_("No '/', no '..', printable characters only.")]})
    if name in taken:
        raise SnapshotError(format_lazy(_("The domain already has a snapshot called '{name}': choose another name."),
                                        name=name),
                            code="snapshot_exists", status=409, fields={"name": [_("Taken.")]})


def check_description(description):
    if len(description) > DESCRIPTION_LENGTH or any(not (c.isprintable() or c in "\n\t") for c in description):
        raise SnapshotError(format_lazy(_("A description is at most {length} printable characters (lines allowed)."),
                                        length=DESCRIPTION_LENGTH),
                            fields={"description": [_("Printable text only.")]})


def overlay_name(domain_name, disk, snapshot_name):
    """The file name of the overlay an external snapshot makes for disk: in the disk's pool, after all three."""
    return f"{domain_name}-{disk.target}-{snapshot_name}.qcow2"


def memory_name(domain_name, snapshot_name):
    """The file name of an external snapshot's memory state: in the first disk's pool, beside its overlay."""
    return f"{domain_name}-{snapshot_name}.mem"


@dataclass
class Offer:
    kind: str
    allowed: bool
    reason: str  # why not (empty when allowed), or what it does: lazy, said in the reader's language


def _internal_refusal(domain, disks, kinds_present, metadata_only, running):
    if EXTERNAL_DISK_ONLY in kinds_present or EXTERNAL_WITH_MEMORY in kinds_present:
        return format_lazy(_("'{domain}' has external snapshots: an internal one would be stored inside an overlay, "
                             "and reverting to it later would change the layers the external ones stand on "
                             "(virt-manager lost a base image that way). Delete the external snapshots first, or take "
                             "an external one."), domain=domain.name)
    if metadata_only:
        return ""
    if not disks:
        if running:
            return format_lazy(_("'{domain}' has no writable disk: an internal snapshot is stored inside a qcow2 disk "
                                 "(with the memory state). Add a qcow2 disk first."), domain=domain.name)
        return format_lazy(_("'{domain}' has no writable disk: an internal snapshot is stored inside a qcow2 disk. "
                             "Add a qcow2 disk first."), domain=domain.name)
    for disk in disks:
        if disk.format != "qcow2":
            return format_lazy(_("Disk {disk} is {format}: internal snapshots live inside qcow2 images. Take an "
                                 "external disk-only snapshot, or copy the disk into a qcow2 volume (clone it with "
                                 "format qcow2) and use that."),
                               disk=disk.target, format=disk.format or _("of no known format"))
    return ""


def _external_refusal(domain, dom, disks, kinds_present, metadata_only):
    if INTERNAL in kinds_present:
        return format_lazy(_("'{domain}' has internal snapshots: an external one would make their image a read-only "
                             "backing file, and reverting to an internal one would then change what the overlay "
                             "stands on. Delete the internal snapshots first, or take another internal one."),
                           domain=domain.name)
    if metadata_only:
        return format_lazy(_("Host '{host}' runs libvirt's {driver} driver, which cannot take disk-only snapshots: "
                             "use a QEMU host."), host=domain.host, driver=libvirt_snapshots.domain_type(dom))
    if not disks:
        return format_lazy(_("'{domain}' has no writable disk: an external disk-only snapshot would hold nothing."),
                           domain=domain.name)
    for disk in disks:
        if disk.type not in ("file", "volume") or not disk.source:
            return format_lazy(_("Disk {disk} is a {type} disk: the console makes overlays as volumes of file pools "
                                 "only. Take an internal snapshot instead, if the disk is qcow2."),
                               disk=disk.target, type=disk.type)
        try:
            found = libvirt_storage.volume_by_path(domain.host, disk.source)
        except (VirtError, ConsoleError) as exc:
            return format_lazy(_("Cannot tell which pool holds disk {disk}: {error}"), disk=disk.target, error=exc)
        if found is None:
            return format_lazy(_("Disk {disk} ({source}) is in no storage pool of host '{host}': its overlay would be "
                                 "a file no pool shows or cleans. Define a dir pool on its directory first."),
                               disk=disk.target, source=disk.source, host=domain.host)
    return ""


def offers(domain, dom, kinds_present):
    """[Offer] for each kind the console takes: what this domain may take now, and why not."""
    disks = disks_of(dom)
    metadata_only = libvirt_snapshots.domain_type(dom) in METADATA_ONLY_DRIVERS
    running = adapter.is_running(dom)
    internal = _internal_refusal(domain, disks, kinds_present, metadata_only, running)
    external = _external_refusal(domain, dom, disks, kinds_present, metadata_only)
    with_memory = external or ("" if running else format_lazy(_("'{domain}' is not running: there is no memory state "
                                                                "to save. Take an external disk-only snapshot, or "
                                                                "start it first."), domain=domain.name))
    return [
        Offer(INTERNAL, not internal, internal or (_("Disks and memory state, inside the qcow2 images") if running
                                                   else _("Disks, inside the qcow2 images"))),
        Offer(EXTERNAL_DISK_ONLY, not external, external or _("Disks only: each disk continues in a new overlay "
                                                              "volume in its pool")),
        Offer(EXTERNAL_WITH_MEMORY, not with_memory, with_memory or _("Disks as overlay volumes, and the memory state "
                                                                      "in a file of the first disk's pool (the guest "
                                                                      "pauses while it is written)")),
    ]


def external_revert_refusal(dom, host):
    """Why this host's libvirt cannot revert an external snapshot ('' where it can)."""
    version = libvirt_snapshots.library_version(dom)
    if version >= libvirt_snapshots.EXTERNAL_REVERT_SINCE:
        return ""
    return format_lazy(_("Host '{host}' runs libvirt {version}, which cannot revert to an external snapshot "
                         "({since} can): nothing was changed. To get the disks as they were, clone the volume under "
                         "the snapshot's overlay into a new volume and attach it to a domain, or upgrade the host's "
                         "libvirt."), host=host,
                       version=libvirt_snapshots.version_words(version),
                       since=libvirt_snapshots.version_words(libvirt_snapshots.EXTERNAL_REVERT_SINCE))



def overlay_directory(disk):
    return os.path.dirname(disk.source)
