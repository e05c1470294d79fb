"""What a clone will make, decided and checked before anything is made: per disk copy, linked or share, the pools,
formats and volume names, the NVRAM, and every refusal with its reason.

A refused plan changes nothing: the job starts only from a plan that passed every check here.
"""

import os
import re
from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import permissions
from domains.errors import ConsoleError
from domains.libvirt import adapter
from domains.libvirt import clones as libvirt_clones
from domains.libvirt import snapshots as libvirt_snapshots
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.storage.lookups import pool_row
from domains.storage.volumes.actions import volume_formats

MODES = ("copy", "linked", "share")
# The rule of a new domain's name (domains/definitions/create.py): it names files and volumes too.
NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")
EXTENSIONS = {"qcow2": "qcow2", "raw": "img"}


class CloneError(ConsoleError):
    """A clone request refused or failed: what and what to do."""

    code = "invalid_clone"


@dataclass
class DiskPlan:
    """One disk of the clone: what it is in the source and what the clone gets."""

    target: str
    device: str
    mode: str
    source_path: str | None = None
    readonly: bool = False
    shareable: bool = False
    source_vol: object = None
    source_format: str | None = None
    pool_name: str | None = None
    pool: object = None  # the target pool's handle (copy, linked)
    pool_row: object = None
    format: str | None = None
    volume_name: str | None = None
    capacity: int = 0
    allocation: int = 0
    block: bool = False
    moved: int = 0  # onto another host: the bytes its streams move (the source image's size)
    staged_name: str | None = None  # onto another host: the moved image's volume, when converted there
    dest_path: str | None = None  # onto another host: the shared volume's path there

    @property
    def makes_volume(self):
        return self.mode in ("copy", "linked")


@dataclass
class ClonePlan:
    name: str
    source_xml: str
    disks: list = field(default_factory=list)
    # (the pool its copy goes in: the source's own, or the destination's of that name; that pool's row; the source's
    # NVRAM volume) when a pool holds the source's NVRAM
    nvram_source: object = None
    nvram_volume: str | None = None
    notes: list = field(default_factory=list)
    destination: object = None  # the Host the clone goes to when it is another host than the source's

    @property
    def total_bytes(self):
        if self.destination is not None:  # streams move each image whole (holes count as moved)
            copied = sum(disk.moved for disk in self.disks if disk.mode == "copy")
            if self.nvram_source is not None:
                facts = libvirt_storage.volume_facts(self.nvram_source[2])
                copied += facts[3] if facts[3] is not None else facts[1]
            return copied
        copied = sum(disk.allocation for disk in self.disks if disk.mode == "copy")
        if self.nvram_source is not None:
            copied += libvirt_storage.volume_facts(self.nvram_source[2])[2]
        return copied


def check_name(host, name):
    """Refuse a clone name that is no domain name, or is taken on the host."""
    if not isinstance(name, str) or not NAME_RULE.match(name):
        raise CloneError(format_lazy(_("{name} is not a usable domain name: use letters, digits, '.', '_' or '-' (up "
                                       "to 63), starting with a letter or digit."), name=repr(name)),
                         fields={"name": [_("Letters, digits, '.', '_', '-'.")]})
    if adapter.find_domain(adapter.connection_for(host).get(), name=name) is not None:
        raise CloneError(format_lazy(_("Host '{host}' already has a domain called '{name}': choose another name for the "
                                       "clone."), host=host, name=name),
                         code="name_taken", status=409, fields={"name": [_("Taken on this host.")]})


def disks_of(source_xml):
    root = etree.fromstring(source_xml.encode())
    for disk in root.iterfind("devices/disk"):
        source = disk.find("source")
        path = None
        if source is not None:
            # A network disk names its image (rbd pool/image, iSCSI target): never taken for an empty drive.
            path = source.get("file") or source.get("dev") or source.get("volume") or source.get("name")
        yield disk, path


def source_volume(host, disk, path):
    """(pool handle, volume) of the disk's source, or None when no pool of the host holds it."""
    if host.embedded or path is None:
        return None
    if (disk.get("type") or "file") == "volume":
        handle = libvirt_storage.find_pool(host, name=disk.find("source").get("pool"))
        vol = libvirt_storage.find_volume(handle, path) if handle is not None else None
        return (handle, vol) if vol is not None else None
    return libvirt_storage.volume_by_path(host, path)


def target_pool(user, host, name, target):
    """(handle, row) of the pool name on host that user may make and write volumes in; CloneError otherwise."""
    handle = libvirt_storage.find_pool(host, name=name) if isinstance(name, str) and name else None
    row = pool_row(host, handle) if handle is not None else None
    if row is None or not permissions.has_perm(user, "storage_pool.getattr", row):
        raise CloneError(format_lazy(_("There is no pool '{name}' on host '{host}' that you may see (disk {disk}): "
                                       "choose one of the host's pools."), name=name, host=host, disk=target),
                         code="no_pool", status=400,
                         fields={"disks": [format_lazy(_("{disk}: no pool."), disk=target)]})
    for needed in ("storage_vol.create", "storage_vol.data_write"):
        if not permissions.has_perm(user, needed, row):
            raise permissions.PermissionDenied(needed, row)
    if not libvirt_storage.pool_space(handle)[0]:
        raise CloneError(format_lazy(_("Pool '{name}' is not active (disk {disk}): start it, or choose another pool."),
                                     name=name, disk=target),
                         code="pool_inactive", status=409,
                         fields={"disks": [format_lazy(_("{disk}: pool inactive."), disk=target)]})
    return handle, row


def choices(disks):
    """{target: choice} from the request's disk list; CloneError for a malformed one."""
    chosen = {}
    for choice in disks or []:
        if not isinstance(choice, dict) or not choice.get("target"):
            raise CloneError(_('Each disk choice is {"target": "vda", "mode": "copy"|"linked"|"share", "pool": ..., '
                               '"format": ...}.'), fields={"disks": [_("Give each disk's target.")]})
        if choice.get("mode", "copy") not in MODES:
            raise CloneError(format_lazy(_("'{mode}' is not a way to clone a disk: use {modes}."),
                                         mode=choice.get("mode"), modes=", ".join(MODES)),
                             fields={"disks": [format_lazy(_("{disk}: one of {choices}."), disk=choice["target"],
                                                           choices=", ".join(MODES))]})
        chosen[choice["target"]] = choice
    return chosen


def _plan_disk(user, domain, running, disk, path, choice):
    host = domain.host
    target = disk.find("target").get("dev")
    device = disk.get("device", "disk")
    plan = DiskPlan(target, device, "share", path, disk.find("readonly") is not None,
                    disk.find("shareable") is not None)
    may_share = plan.readonly or plan.shareable or device == "cdrom"
    plan.mode = choice.get("mode") or ("share" if may_share or path is None else "copy")
    if path is None:
        if plan.mode != "share":
            raise CloneError(format_lazy(_("Disk {disk} of '{domain}' has no medium: there is nothing to {mode}. Leave "
                                           "it out, or choose share."), disk=target, domain=domain.name,
                                         mode=plan.mode),
                             fields={"disks": [format_lazy(_("{disk}: empty."), disk=target)]})
        return plan
    if plan.mode == "share":
        if not may_share:
            raise CloneError(format_lazy(_("Disk {disk} of '{domain}' is writable and not shareable: two domains "
                                           "writing one image corrupt it. Copy it, or make a linked clone of it."),
                                         disk=target, domain=domain.name),
                             code="share_refused", status=409,
                             fields={"disks": [format_lazy(_("{disk}: writable, cannot be shared."), disk=target)]})
        return plan
    if running and not plan.readonly:
        raise CloneError(format_lazy(_("'{domain}' is running: its disk {disk} changes while it is copied. Shut down "
                                       "{domain} first, then clone it."), domain=domain.name, disk=target),
                         code="source_running", status=409)
    if host.embedded:
        raise CloneError(format_lazy(_("Host '{host}' is the embedded QEMU driver, which has no storage pools: copying "
                                       "or linking disk {disk} needs a libvirtd host (its pools). Only read-only "
                                       "disks and CD-ROMs of this host's domains can be cloned, shared."),
                                     host=host, disk=target),
                         code="not_in_pool", status=409,
                         fields={"disks": [format_lazy(_("{disk}: no pools on this host."), disk=target)]})
    found = source_volume(host, disk, path)
    if found is None:
        raise CloneError(format_lazy(_("Disk {disk} of '{domain}' ({path}) is in no storage pool of host '{host}': the "
                                       "console copies disks through libvirt's pools. Define a pool on its "
                                       "directory, or share the disk if it is read-only."),
                                     disk=target, domain=domain.name, path=path, host=host),
                         code="not_in_pool", status=409,
                         fields={"disks": [format_lazy(_("{disk}: in no pool."), disk=target)]})
    source_handle, plan.source_vol = found
    source_row = pool_row(host, source_handle)
    if not permissions.has_perm(user, "storage_vol.data_read", source_row):
        raise permissions.PermissionDenied("storage_vol.data_read", source_row)
    plan.source_format = libvirt_clones.volume_format(plan.source_vol) or "raw"
    plan.pool_name = choice.get("pool") or libvirt_storage.pool_name_of(source_handle)
    plan.pool, plan.pool_row = target_pool(user, host, plan.pool_name, target)
    allowed, default = volume_formats(plan.pool_row, plan.pool)
    wanted = choice.get("format")
    if plan.mode == "linked":
        if "qcow2" not in allowed or wanted not in (None, "qcow2"):
            raise CloneError(format_lazy(_("A linked clone of disk {disk} is a qcow2 overlay, which pool '{pool}' "
                                           "cannot hold: choose a directory pool, or copy the disk."),
                                         disk=target, pool=plan.pool_name),
                             code="format_refused",
                             fields={"disks": [format_lazy(_("{disk}: qcow2 only."), disk=target)]})
        plan.format = "qcow2"
    else:
        if wanted is None:
            wanted = plan.source_format if plan.source_format in allowed else default
        if allowed and wanted not in allowed:
            raise format_refused(wanted, plan.pool_name, target, allowed)
        plan.format = wanted
    _kind, plan.capacity, plan.allocation, _physical = libvirt_storage.volume_facts(plan.source_vol)
    return plan


def name_volumes(plan, dest=None):
    """Name each new volume <clone>-<disk>.<ext> and refuse names taken in their pools (refreshed first). Onto another
    host (dest), a copy converted there is first moved in as <clone>-<disk>.part, whose name must be free too."""
    for pool in {id(disk.pool): disk.pool for disk in plan.disks if disk.makes_volume}.values():
        libvirt_storage.refresh_pool(pool)
    for disk in plan.disks:
        if not disk.makes_volume:
            continue
        disk.volume_name = f"{plan.name}-{disk.target}.{EXTENSIONS.get(disk.format, disk.format or 'img')}"
        if dest is not None and disk.format != disk.source_format and disk.format is not None:
            disk.staged_name = f"{plan.name}-{disk.target}.part"
        for name in filter(None, (disk.volume_name, disk.staged_name)):
            if libvirt_storage.find_volume(disk.pool, name) is None:
                continue
            if dest is None:
                message = format_lazy(_("Pool '{pool}' already has a volume '{name}', which the clone's disk {disk} "
                                        "would be: choose another name for the clone, or delete that volume."),
                                      pool=disk.pool_name, name=name, disk=disk.target)
            else:
                message = format_lazy(_("Pool '{pool}' of host '{host}' already has a volume '{name}', which the "
                                        "clone's disk {disk} would be: choose another name for the clone, or delete "
                                        "that volume."), pool=disk.pool_name, host=dest, name=name, disk=disk.target)
            raise CloneError(message, code="volume_exists", status=409,
                             fields={"name": [_("Its disk's volume exists.")]})


def _space(plan):
    needed = {}
    for disk in plan.disks:
        if disk.mode == "copy":
            needed.setdefault(disk.pool_name, [disk.pool, 0])[1] += disk.allocation
    for name, (pool, size) in needed.items():
        available = libvirt_storage.pool_space(pool, refresh=False)[3]
        if size > available:
            raise CloneError(format_lazy(_("The copies need {size} bytes in pool '{name}', which has {available} "
                                           "available: free space there, or copy into another pool."),
                                         size=size, name=name, available=available),
                             code="insufficient_space", status=409)


def _nvram(user, domain, plan, root):
    """Plan the NVRAM: a copy beside the source's when a pool holds it, else libvirt makes one from its template."""
    path = root.findtext("os/nvram")
    if not path:
        return
    found = None if domain.host.embedded else libvirt_storage.volume_by_path(domain.host, path)
    if found is None:
        plan.notes.append(f"The source's NVRAM ({path}) is in no storage pool: the clone starts with fresh UEFI "
                          "variables from the firmware's template (its boot entries are not copied).")
        return
    handle, vol = found
    row = pool_row(domain.host, handle)
    for needed in ("storage_vol.data_read", "storage_vol.create"):
        if not permissions.has_perm(user, needed, row):
            raise permissions.PermissionDenied(needed, row)
    plan.nvram_source = (handle, row, vol)
    plan.nvram_volume = os.path.basename(path).replace(domain.name, plan.name) if domain.name in path \
        else f"{plan.name}_VARS.fd"
    if libvirt_storage.find_volume(handle, plan.nvram_volume) is not None:
        raise CloneError(format_lazy(_("Pool '{pool}' already has a volume '{name}', which the clone's NVRAM would be: "
                                       "choose another name for the clone."), pool=row.name, name=plan.nvram_volume),
                         code="volume_exists", status=409, fields={"name": [_("Its NVRAM's volume exists.")]})


def unknown_disks(domain, unknown, known):
    """The refusal of disk choices naming disks the domain does not have."""
    if not known:
        return format_lazy(_("'{domain}' has no disk {unknown}: it has no disks."), domain=domain.name,
                           unknown=", ".join(unknown))
    return format_lazy(_("'{domain}' has no disk {unknown}: its disks are {known}."), domain=domain.name,
                       unknown=", ".join(unknown), known=", ".join(sorted(known)))


def make_plan(user, domain, dom, name, disks):

    """The checked ClonePlan of cloning domain (its virDomain dom) as name with the disk choices disks."""
    check_name(domain.host, name)
    chosen = choices(disks)
    secure = permissions.has_perm(user, "read_secure", domain)
    source_xml = libvirt_clones.source_definition(dom, secure=secure)
    running = adapter.is_running(dom)
    plan = ClonePlan(name, source_xml)
    known = set()
    for disk, path in disks_of(source_xml):
        target = disk.find("target").get("dev")
        known.add(target)
        plan.disks.append(_plan_disk(user, domain, running, disk, path, chosen.get(target, {})))
    if any(disk.mode == "linked" for disk in plan.disks) and libvirt_snapshots.list_snapshots(dom):
        raise CloneError(format_lazy(_("'{domain}' has snapshots: reverting to or deleting one changes the image a "
                                       "linked clone would stand on, and the clone would lose its data (virt-manager "
                                       "bug #811). Copy the disks instead, or delete the snapshots first."),
                                     domain=domain.name),
                         code="linked_refused", status=409,
                         fields={"disks": [_("No linked clone of a domain with snapshots.")]})
    unknown = sorted(set(chosen) - known)
    if unknown:
        raise CloneError(unknown_disks(domain, unknown, known),
                         fields={"disks": [format_lazy(_("No disk {disk}."), disk=unknown[0])]})
    name_volumes(plan)
    _space(plan)
    _nvram(user, domain, plan, etree.fromstring(source_xml.encode()))
    if not secure:
        plan.notes.append("Secrets of the source's definition (graphics passwords) are not copied: you may not read "
                          "them (read_secure).")
    return plan


def describe_disks(domain, dom):
    """[{target, device, source, readonly, shareable, pool, format, modes, default}]: the clone form's rows."""
    rows = []
    running = adapter.is_running(dom)
    for disk, path in disks_of(libvirt_clones.source_definition(dom)):
        readonly = disk.find("readonly") is not None
        may_share = readonly or disk.find("shareable") is not None or disk.get("device", "disk") == "cdrom"
        try:
            found = source_volume(domain.host, disk, path)
        except VirtError:
            found = None
        modes = (["copy", "linked"] if found is not None and (readonly or not running) else []) + \
            (["share"] if may_share or path is None else [])
        rows.append({"target": disk.find("target").get("dev"), "device": disk.get("device", "disk"),
                     "source": path, "readonly": readonly, "pool": libvirt_storage.pool_name_of(found[0])
                     if found else None, "modes": modes, "default": modes[0] if modes else None})
    return rows


def format_refused(wanted, pool_name, disk, allowed):
    """The refusal of a volume format the destination pool does not hold, pointing at the disk's choice."""
    formats = ", ".join(allowed)
    return CloneError(format_lazy(_("'{format}' is not a format for volumes of pool '{pool}' (disk {disk}): use one "
                                    "of {formats}."), format=wanted, pool=pool_name, disk=disk, formats=formats),
                      code="format_refused",
                      fields={"disks": [format_lazy(_("{disk}: one of {choices}."), disk=disk, choices=formats)]})
