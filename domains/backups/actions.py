"""Backup actions: take a full or incremental backup (a job following libvirt's backup job), list and delete them.

Every refusal is made before anything is created. A backup that fails or is cancelled removes what it made (its
volumes, its checkpoint, its row): nothing is half-applied.
"""

import time

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import audit, permissions
from domains.access.lookups import libvirt_domain
from domains.backups import images
from domains.backups.checks import (
    BackupError,
    backed_disks,
    check_checkpoint_present,
    check_file_pool,
    refuse_taken,
    volume_name,
)
from domains.backups.models import COMPLETE, FULL, INCREMENTAL, KINDS, Backup
from domains.errors import ConsoleError
from domains.jobs.actions import (
    JobCancelled,
    do_start_job,
    report_progress,
    run_job_in_thread,
)
from domains.libvirt import adapter
from domains.libvirt import backups as libvirt_backups
from domains.libvirt import snapshots as libvirt_snapshots
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.snapshots.checks import disks_of
from domains.storage.lookups import pool_row, visible_pool

# libvirt's ACL for virDomainBackupBegin with a checkpoint: domain:checkpoint and domain:block_read.
PERMISSIONS = ("checkpoint", "block_read")
POLL_SECONDS = 0.2


def refused(user, action, domain, params, source_address, exc):
    """Audit a refusal made before any change, then raise it."""
    audit.record(user, action, domain, params, outcome=format_lazy("refused: {}", exc.message),
                 source_address=source_address)
    raise exc


def backups_of(domain):
    """The domain's complete backups, oldest first."""
    return list(Backup.objects.filter(domain=domain, state=COMPLETE).select_related("parent"))


def backup_of(domain, backup_id):
    found = Backup.objects.filter(domain=domain, pk=backup_id).select_related("parent").first()
    if found is None:
        raise BackupError(format_lazy(_("Domain '{domain}' has no backup {backup}: pick one of those GET .../backups "
                                        "lists."), domain=domain.name, backup=backup_id),
                          code="no_backup", status=404)
    return found


def target_pool(user, domain, pool_name, permission="storage_vol.create"):
    """(Pool row, handle) of the pool called pool_name on the domain's host, checked for permission and kind."""
    if not pool_name:
        raise BackupError(_("Pick the pool the backup goes into."), fields={"pool": [_("Required.")]})
    row, handle = visible_pool(user, domain.host_id, pool_name, permission)
    check_file_pool(handle, pool_name)
    return row, handle


def _xml(kind, disks, targets, parent_checkpoint, checkpoint):
    backup = etree.Element("domainbackup", mode="push")
    if parent_checkpoint:
        etree.SubElement(backup, "incremental").text = parent_checkpoint
    listed = etree.SubElement(backup, "disks")
    point = etree.Element("domaincheckpoint")
    etree.SubElement(point, "name").text = checkpoint
    point_disks = etree.SubElement(point, "disks")
    for disk, path in zip(disks, targets):
        entry = etree.SubElement(listed, "disk", name=disk.target, type="file", backupmode=kind)
        if parent_checkpoint:
            entry.set("incremental", parent_checkpoint)
        etree.SubElement(entry, "target", file=path)
        etree.SubElement(entry, "driver", type="qcow2")
        etree.SubElement(point_disks, "disk", name=disk.target, checkpoint="bitmap")
    return etree.tostring(backup, encoding="unicode"), etree.tostring(point, encoding="unicode")


def _volume_xml(name, capacity):
    return (f"<volume><name>{name}</name><capacity>{capacity}</capacity><target><format type='qcow2'/>"
            "<compat>1.1</compat></target></volume>")


def _remove_volumes(handle, names):
    for name in names:
        try:
            vol = libvirt_storage.find_volume(handle, name)
            if vol is not None:
                libvirt_storage.delete_volume(vol)
        except VirtError:
            continue  # the pool went meanwhile: nothing of ours is left in it


def _follow_backup(job, dom):
    """Report the backup job's progress until it ends; the completed job's stats (success, errmsg)."""
    while True:
        stats = libvirt_backups.job_stats(dom)
        if stats.get("type", libvirt_backups.JOB_NONE) == libvirt_backups.JOB_NONE:
            return libvirt_backups.completed_job_stats(dom)
        if stats.get("operation") == libvirt_backups.JOB_BACKUP and stats.get("disk_total"):
            report_progress(job, stats.get("disk_processed", 0), stats["disk_total"])
        else:
            report_progress(job, job.done)
        time.sleep(POLL_SECONDS)


def _abort(dom):
    try:
        libvirt_backups.abort_job(dom)
    except VirtError:
        pass  # it ended meanwhile: it is undone below all the same
    while libvirt_backups.job_stats(dom).get("type", libvirt_backups.JOB_NONE) != libvirt_backups.JOB_NONE:
        time.sleep(POLL_SECONDS)


def _undo(dom, handle, names, checkpoint):
    """Remove what a failed or cancelled backup made: its checkpoint (libvirt makes it at the start), its volumes."""
    found = libvirt_backups.find_checkpoint(dom, checkpoint)
    if found is not None:
        libvirt_backups.delete_checkpoint(found, metadata_only=not adapter.is_running(dom))
    _remove_volumes(handle, names)


def do_create_backup(user, domain, kind=FULL, pool_name="", source_address=None):
    """Start a job backing up domain's disks into volumes of pool pool_name; returns the job.

    full: every disk's data, and a checkpoint. incremental: what changed since the newest backup's checkpoint, and
    a new checkpoint. The domain must run (libvirt's push backup is QEMU's block job).
    """
    action = "domain.backup_create"
    params = {"kind": kind, "pool": pool_name}
    for permission in PERMISSIONS:
        audit.require(user, permission, domain, action, params, source_address)
    try:
        if kind not in KINDS:
            raise BackupError(format_lazy(_("'{kind}' is not a kind of backup: use {kinds}."), kind=kind,
                                          kinds=", ".join(KINDS)),
                              fields={"kind": [format_lazy(_("One of {choices}."), choices=", ".join(KINDS))]})
        try:
            pool, handle = target_pool(user, domain, pool_name)
        except permissions.PermissionDenied as refusal:
            audit.record_denied(user, action, domain, params, refusal, source_address)
            raise
        dom = libvirt_domain(domain)
        if not adapter.is_running(dom):
            raise BackupError(format_lazy(_("'{domain}' is shut off: libvirt's push backup is a job of the running "
                                            "QEMU. Start it (paused is enough) and back up again."),
                                          domain=domain.name),
                              code="domain_not_running", status=409)
        disks = backed_disks(domain, dom)
        parent = None
        if kind == INCREMENTAL:
            parent = Backup.objects.filter(domain=domain, state=COMPLETE).order_by("-created", "-pk").first()
            if parent is None:
                raise BackupError(format_lazy(_("'{domain}' has no backup yet: an incremental one needs a full one "
                                                "first."), domain=domain.name),
                                  code="no_full_backup", status=409, fields={"kind": [_("Take a full backup.")]})
            check_checkpoint_present(domain, dom, parent)
        if libvirt_backups.job_stats(dom).get("type", libvirt_backups.JOB_NONE) != libvirt_backups.JOB_NONE:
            raise BackupError(format_lazy(_("'{domain}' runs another job (a backup, a migration, ...): wait for it "
                                            "to end."), domain=domain.name),
                              code="domain_busy", status=409)
        with transaction.atomic():
            backup = Backup.objects.create(domain=domain, kind=kind, parent=parent, checkpoint="",
                                           created_by=user.get_username(),
                                           domain_xml=libvirt_snapshots.domain_xml(dom, inactive=True))
            backup.checkpoint = f"virtconsole-backup-{backup.pk}"
            backup.save(update_fields=["checkpoint"])
        names = [volume_name(domain.name, disk.target, backup.pk) for disk in disks]
        try:
            refuse_taken(domain.host, handle, pool.name, names)
        except ConsoleError:
            backup.delete()
            raise
    except ConsoleError as exc:
        refused(user, action, domain, params, source_address, exc)
    params["backup"] = backup.pk
    job = do_start_job(user, action, domain, unit="bytes", params=params, cancellable=True,
                       source_address=source_address)
    Backup.objects.filter(pk=backup.pk).update(job=job)

    def work(job):
        made = []
        try:
            targets = []
            for disk, name in zip(disks, names):
                vol = libvirt_storage.create_volume(handle, _volume_xml(name, disk.capacity))
                made.append(name)
                targets.append(libvirt_storage.volume_identity(vol)[2])
            backup_xml, checkpoint_xml = _xml(kind, disks, targets, parent.checkpoint if parent else None,
                                              backup.checkpoint)
            libvirt_backups.begin_backup(dom, backup_xml, checkpoint_xml)
            try:
                stats = _follow_backup(job, dom)
            except JobCancelled:
                _abort(dom)
                raise
            if not stats.get("success", False):
                raise BackupError(format_lazy(_("libvirt's backup job failed: {reason}. Nothing was kept; look at the "
                                                "host's libvirt log and try again."),
                                              reason=stats.get("errmsg") or _("no reason given")),
                                  code="backup_failed", status=502)
            report_progress(job, job.done)  # a cancel that came as it ended still undoes it: nothing half-kept
        except Exception:  # a cancel too: JobCancelled is one
            _undo(dom, handle, made, backup.checkpoint)
            backup.delete()
            raise
        libvirt_storage.refresh_pool(handle)
        size, stored = 0, []
        for disk, name, path in zip(disks, names, targets):
            allocation = libvirt_storage.volume_facts(libvirt_storage.find_volume(handle, name))[2]
            size += allocation
            stored.append({"disk": disk.target, "pool": pool.name, "volume": name, "path": path,
                           "capacity": disk.capacity, "allocation": allocation})
        Backup.objects.filter(pk=backup.pk).update(disks=stored, size=size, state=COMPLETE)
        return {"backup": backup.pk, "kind": kind, "checkpoint": backup.checkpoint, "size": size}

    run_job_in_thread(job, work)
    return job


# --- delete ---------------------------------------------------------------------------------------------

def _doomed(backup, chain):
    """The backups to delete, newest first: backup alone, or with chain its later incrementals too."""
    doomed, stack = [], [backup]
    while stack:
        current = stack.pop()
        doomed.append(current)
        stack.extend(current.children.all())
    if len(doomed) > 1 and not chain:
        later = ", ".join(str(child.pk) for child in doomed[1:])
        raise BackupError(format_lazy(_("Backup {backup} is the base of the later incremental backup(s) {later}: they "
                                        "cannot be restored without it. Delete those first, or delete the whole chain "
                                        "(chain=true)."), backup=backup.pk, later=later),
                          code="backup_has_dependents", status=409)
    return sorted(doomed, key=lambda one: (one.created, one.pk), reverse=True)


def _drop_checkpoint(domain, dom, backup):
    """Delete the backup's checkpoint: merged into its parent's while the domain runs; on a shut-off domain (libvirt
    9.0 refuses that) its record, and its bitmaps from the disks when the host is this machine."""
    checkpoint = libvirt_backups.find_checkpoint(dom, backup.checkpoint)
    if checkpoint is None:
        return
    running = adapter.is_running(dom)
    libvirt_backups.delete_checkpoint(checkpoint, metadata_only=not running)
    if not running and images.is_local(domain.host.uri):
        for disk in backed_disks_of_definition(dom):
            if backup.checkpoint in images.bitmaps_of(disk):
                images.remove_bitmap(disk, backup.checkpoint)


def backed_disks_of_definition(dom):
    """The files of the domain's writable qcow2 file disks."""
    return [disk.source for disk in disks_of(dom) if disk.type == "file" and disk.format == "qcow2" and disk.source]


def do_delete_backup(user, domain, backup_id, chain=False, source_address=None):
    """Delete a backup (its volumes and checkpoint); one that later incrementals stand on only with chain=True,
    which deletes them too. Returns the ids deleted, newest first."""
    action = "domain.backup_delete"
    params = {"backup": backup_id, "chain": chain}
    audit.require(user, "checkpoint", domain, action, params, source_address)
    try:
        backup = backup_of(domain, backup_id)
        doomed = _doomed(backup, chain)
        handles = {}
        for one in doomed:
            for disk in one.disks:
                if disk["pool"] not in handles:
                    try:
                        handles[disk["pool"]] = visible_pool(user, domain.host_id, disk["pool"], "storage_vol.delete")[1]
                    except permissions.PermissionDenied as refusal:
                        audit.record_denied(user, action, domain, params, refusal, source_address)
                        raise
        dom = libvirt_domain(domain)
    except ConsoleError as exc:
        refused(user, action, domain, params, source_address, exc)
    intent = audit.record_intent(user, action, domain, params, source_address)
    deleted = []
    try:
        for one in doomed:
            _drop_checkpoint(domain, dom, one)
            for disk in one.disks:
                _remove_volumes(handles[disk["pool"]], [disk["volume"]])
            deleted.append(one.pk)
            one.delete()
    except ConsoleError as exc:
        audit.record_outcome(intent, user, domain, format_lazy("failed: {}", exc.message), {"deleted": deleted},
                             source_address)

        raise
    audit.record_outcome(intent, user, domain, "ok", {"deleted": deleted}, source_address)
    return deleted


def pools_for_backups(user, domain):
    """The names of the running pools of domain's host that user may put a backup into, sorted."""
    names = []
    for handle in libvirt_storage.active_pools(domain.host):
        if permissions.has_perm(user, "storage_vol.create", pool_row(domain.host, handle)):
            names.append(libvirt_storage.pool_name_of(handle))
    return sorted(names)
