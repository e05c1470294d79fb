"""Restoring a backup: its chain of images read as one (qemu-img) into new volumes, for a new domain or over its own.

An incremental backup holds only what changed since its parent: its image is read with the parent's beneath it,
down to the full backup, and copied into a standalone volume. Over the old domain, the restored volumes take the
old disks' places in its definition (the old volumes are kept, named in the job's result) and its checkpoints go:
its disks no longer hold their bitmaps, so the next backup must be full.
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import audit, permissions
from domains.access.lookups import libvirt_domain
from domains.backups import images
from domains.backups.actions import backup_of, refused, target_pool
from domains.backups.checks import BackupError, refuse_taken
from domains.backups.models import COMPLETE
from domains.definitions.actions import do_define
from domains.definitions.models import RevisionSource
from domains.errors import ConsoleError
from domains.jobs.actions import (
    do_start_job,
    on_cancel,
    report_progress,
    run_job_in_thread,
)
from domains.libvirt import adapter
from domains.libvirt import backups as libvirt_backups
from domains.libvirt import snapshots as libvirt_snapshots
from domains.libvirt import storage as libvirt_storage

NEW, OVER = "new", "over"
MODES = (NEW, OVER)


def _volume_xml(name, capacity):
    return (f"<volume><name>{name}</name><capacity>{capacity}</capacity><target><format type='qcow2'/>"
            "<compat>1.1</compat></target></volume>")


def restored_xml(xml, paths, name=None):
    """xml with each backed-up disk (target -> new path) on its restored volume; with name, a new domain: that name,
    no UUID and no MAC addresses (libvirt makes new ones)."""
    root = etree.fromstring(xml.encode())
    for disk in root.iterfind("devices/disk"):
        target = disk.find("target")
        if target is None or target.get("dev") not in paths:
            continue
        for old in disk.findall("backingStore"):
            disk.remove(old)
        source = disk.find("source")
        for attribute in list(source.attrib):
            del source.attrib[attribute]
        source.set("file", paths[target.get("dev")])
        driver = disk.find("driver")
        if driver is not None:
            driver.set("type", "qcow2")
    if name is not None:
        root.find("name").text = name
        for element in root.findall("uuid") + root.findall("devices/interface/mac"):
            element.getparent().remove(element)
        for graphics in root.iterfind("devices/graphics"):
            for attribute in ("port", "websocket"):
                graphics.attrib.pop(attribute, None)
            if graphics.get("autoport") == "no":
                graphics.set("autoport", "yes")
    return etree.tostring(root, encoding="unicode")


def _check_new_name(domain, name):
    if not isinstance(name, str) or not name.strip() or "/" in name or not name.isprintable() or len(name) > 100:
        raise BackupError(_("A restore into a new domain needs the new domain's name: printable, no '/', at most 100 "
                            "characters."), fields={"name": [_("Give a new name.")]})
    conn = adapter.connection_for(domain.host).get()
    if adapter.find_domain(conn, name=name) is not None:
        raise BackupError(format_lazy(_("Host '{host}' already has a domain called '{name}': pick another name."),
                                      host=domain.host, name=name),
                          code="domain_exists", status=409, fields={"name": [_("Taken.")]})


def do_restore_backup(user, domain, backup_id, mode=NEW, pool_name="", name="", source_address=None):
    """Start a job restoring backup backup_id of domain; returns the job.

    mode new: a new domain called name (new UUID and MACs) on volumes in pool pool_name. mode over: the domain
    itself, which must be shut off, moved onto restored volumes in pool pool_name.
    """
    action = "domain.backup_restore"
    params = {"backup": backup_id, "mode": mode, "pool": pool_name, "name": name}
    audit.require(user, "read", domain, action, params, source_address)
    if mode == OVER:
        audit.require(user, "write", domain, action, params, source_address)
    else:
        audit.require(user, "define_domains", domain.host, action, params, source_address)
    try:
        if mode not in MODES:
            raise BackupError(format_lazy(_("'{mode}' is not a way to restore: use new (a new domain) or over (this "
                                            "domain)."), mode=mode),
                              fields={"mode": [_("new or over.")]})
        backup = backup_of(domain, backup_id)
        if backup.state != COMPLETE:
            raise BackupError(format_lazy(_("Backup {backup} is still being taken: wait for its job to end."),
                                          backup=backup.pk),
                              code="backup_running", status=409)
        if not images.is_local(domain.host.uri):
            raise BackupError(format_lazy(_("Host '{host}' is not this machine: a restore reads the backup's images "
                                            "with qemu-img here. Restore from a console running on that host."),
                                          host=domain.host),
                              code="host_not_local", status=409)
        try:
            pool, handle = target_pool(user, domain, pool_name)
        except permissions.PermissionDenied as refusal:
            audit.record_denied(user, action, domain, params, refusal, source_address)
            raise
        dom = libvirt_domain(domain)
        if mode == OVER:
            if adapter.is_running(dom):
                raise BackupError(format_lazy(_("'{domain}' is running: a restore over it needs it shut off. Shut it "
                                                "down and restore again; nothing was changed."), domain=domain.name),
                                  code="domain_running", status=409)
            if libvirt_snapshots.list_snapshots(dom):
                raise BackupError(format_lazy(_("'{domain}' has snapshots, which stand on its current disks: delete "
                                                "them before restoring over it, or restore into a new domain."),
                                              domain=domain.name),
                                  code="has_snapshots", status=409)
            base_xml = libvirt_snapshots.domain_xml(dom, inactive=True)
            names = {disk["disk"]: f"{domain.name}-{disk['disk']}-restored-{backup.pk}.qcow2" for disk in backup.disks}
        else:
            _check_new_name(domain, name)
            base_xml = backup.domain_xml
            names = {disk["disk"]: f"{name}-{disk['disk']}.qcow2" for disk in backup.disks}
        refuse_taken(domain.host, handle, pool.name, names.values())
    except ConsoleError as exc:
        refused(user, action, domain, params, source_address, exc)
    chain = backup.chain()
    job = do_start_job(user, action, domain, unit="percent", total=100 * len(backup.disks), params=params,
                       cancellable=True, source_address=source_address)

    def work(job):
        made, paths, running = [], {}, []
        on_cancel(job, lambda: [process.terminate() for process in running])
        try:
            for index, disk in enumerate(backup.disks):
                vol = libvirt_storage.create_volume(handle, _volume_xml(names[disk["disk"]], disk["capacity"]))
                made.append(vol)
                paths[disk["disk"]] = libvirt_storage.volume_identity(vol)[2]
                layers = [_layer_path(one, disk["disk"]) for one in chain]
                images.convert_chain(layers, paths[disk["disk"]],
                                     lambda percent, index=index: report_progress(job, 100 * index + percent),
                                     running.append)
                running.clear()
                report_progress(job, 100 * (index + 1))
            xml = restored_xml(base_xml, paths, name if mode == NEW else None)
            change = do_define(user, domain if mode == OVER else domain.host, xml,
                               f"Restored from backup {backup.pk}", RevisionSource.API, source_address)
        except Exception:  # a cancel too (JobCancelled): nothing restored is left behind
            for vol in made:
                try:
                    libvirt_storage.delete_volume(vol)
                except ConsoleError:
                    continue  # the pool went meanwhile
            raise
        result = {"backup": backup.pk, "mode": mode, "domain": str(change.domain.uuid), "name": change.domain.name,
                  "volumes": [{"disk": disk, "pool": pool.name, "path": path} for disk, path in paths.items()]}
        if mode == OVER:
            # The restored files hold none of the checkpoints' bitmaps: libvirt's record of them goes too.
            for checkpoint_name in libvirt_backups.checkpoint_names(dom):
                found = libvirt_backups.find_checkpoint(dom, checkpoint_name)
                if found is not None:
                    libvirt_backups.delete_checkpoint(found, metadata_only=True)
            result["kept"] = _old_disks(base_xml, paths)
        return result

    run_job_in_thread(job, work)
    return job


def _layer_path(backup, target):
    for disk in backup.disks:
        if disk["disk"] == target:
            return disk["path"]
    raise BackupError(format_lazy(_("Backup {backup} has no image of disk {disk}: its chain is broken. Restore from a "
                                    "full backup."), backup=backup.pk, disk=target),
                      code="chain_broken", status=409)



def _old_disks(xml, paths):
    root = etree.fromstring(xml.encode())
    return [{"disk": disk.find("target").get("dev"), "path": disk.find("source").get("file")}
            for disk in root.iterfind("devices/disk")
            if disk.find("target") is not None and disk.find("target").get("dev") in paths
            and disk.find("source") is not None]

