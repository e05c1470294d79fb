"""What a backup or restore needs, checked before anything is made: the disks, the pool, the chain, the host."""

from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.errors import ConsoleError
from domains.libvirt import backups as libvirt_backups
from domains.libvirt import storage as libvirt_storage
from domains.snapshots.checks import disks_of

# Pool types whose volumes are files qemu-img and QEMU write as qcow2.
FILE_POOLS = ("dir", "fs", "netfs")


class BackupError(ConsoleError):
    """A backup, restore or delete refused or failed: what and what to do."""

    code = "invalid_backup"


@dataclass
class BackedDisk:
    target: str
    path: str
    capacity: int


def _compat(vol):
    """The qcow2 compat level libvirt reports for a volume ('1.1'; None for the old v2 format, which it leaves out)."""
    found = etree.fromstring(libvirt_storage.volume_definition(vol).encode()).find("target/compat")
    return found.text.strip() if found is not None and found.text else None


def backed_disks(domain, dom):
    """The domain's writable disks as a backup takes them; BackupError naming the first disk a checkpoint cannot
    cover (libvirt keeps a checkpoint as a persistent bitmap inside a qcow2 v3 file)."""
    disks = []
    for disk in disks_of(dom):
        if disk.type != "file" or not disk.source:
            raise BackupError(format_lazy(_("Disk {disk} of '{domain}' is a {type} disk: backups with checkpoints "
                                            "need qcow2 files. Move it to a file volume, or detach it."),
                                          disk=disk.target, domain=domain.name, type=disk.type),
                              code="disk_unsupported", status=409)
        if disk.format != "qcow2":
            raise BackupError(format_lazy(_("Disk {disk} of '{domain}' is {format}: a checkpoint is a bitmap inside a "
                                            "qcow2 file, so backups need qcow2 disks. Convert it (qemu-img convert -O "
                                            "qcow2 -o compat=1.1) while the domain is shut off."),
                                          disk=disk.target, domain=domain.name, format=disk.format or "raw"),
                              code="disk_unsupported", status=409)
        found = libvirt_storage.volume_by_path(domain.host, disk.source)
        if found is None:
            raise BackupError(format_lazy(_("Disk {disk} of '{domain}' ({source}) is in no storage pool: define a "
                                            "pool on its directory so the console can see its format and size."),
                                          disk=disk.target, domain=domain.name, source=disk.source),
                              code="disk_unsupported", status=409)
        vol = found[1]
        if _compat(vol) in (None, "0.10"):
            raise BackupError(format_lazy(_("Disk {disk} of '{domain}' is a qcow2 v2 file (compat 0.10), which cannot "
                                            "hold the bitmaps of a checkpoint. Shut the domain off and run 'qemu-img "
                                            "amend -o compat=1.1 {source}', then back up again."),
                                          disk=disk.target, domain=domain.name, source=disk.source),
                              code="disk_unsupported", status=409)
        disks.append(BackedDisk(disk.target, disk.source, libvirt_storage.volume_facts(vol)[1]))
    if not disks:
        raise BackupError(format_lazy(_("'{domain}' has no writable disk to back up."), domain=domain.name),
                          code="disk_unsupported", status=409)
    return disks


def check_file_pool(handle, name):
    """Refuse a pool whose volumes are not files (backups are qcow2 files) or that is not running."""
    root = etree.fromstring(libvirt_storage.pool_xml(handle, inactive=False).encode())
    if root.get("type") not in FILE_POOLS:
        raise BackupError(format_lazy(_("Pool '{name}' is a {type} pool: backups are qcow2 files, so pick a pool of "
                                        "type {types}."), name=name, type=root.get("type"),
                                      types=", ".join(FILE_POOLS)),
                          code="pool_unsupported", status=409, fields={"pool": [_("Not a directory pool.")]})
    if not libvirt_storage.pool_live(handle).get("active", True):
        raise BackupError(format_lazy(_("Pool '{name}' is not running: start it first."), name=name),
                          code="pool_inactive", status=409, fields={"pool": [_("Not running.")]})


def refuse_taken(host, handle, pool_name, names):
    """Refuse volume names already in the pool (refreshed first: files made outside libvirt count)."""
    libvirt_storage.refresh_pool(handle)
    for name in names:
        if libvirt_storage.find_volume(handle, name) is not None:
            raise BackupError(format_lazy(_("Pool '{pool}' already has a volume '{name}': delete it or pick another "
                                            "pool."), pool=pool_name, name=name),
                              code="volume_exists", status=409)


def check_checkpoint_present(domain, dom, parent):
    """An incremental backup starts at its parent's checkpoint: refuse if libvirt no longer has it."""
    if parent.checkpoint not in libvirt_backups.checkpoint_names(dom):
        raise BackupError(format_lazy(_("The checkpoint '{checkpoint}' of backup {backup} is gone from '{domain}' (a "
                                        "restore over the domain, or a change outside the console, removed it): take "
                                        "a full backup."), checkpoint=parent.checkpoint, backup=parent.pk,
                                      domain=domain.name),
                          code="checkpoint_missing", status=409, fields={"kind": [_("Take a full backup.")]})



def volume_name(domain_name, target, backup_id, suffix="backup"):
    return f"{domain_name}-{target}-{suffix}-{backup_id}.qcow2"
