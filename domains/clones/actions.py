"""Cloning a domain as a job: the disks copied or overlaid, the NVRAM copied, the clone defined and owned by its
cloner; a failure or a cancel leaves no volume and no domain behind.

Every refusal is made before the job starts (plan.py), so a refused request changes nothing in libvirt or the
database beyond its audit entry. libvirt cannot stop a volume copy midway (createXMLFrom has no abort): a cancel
takes effect when the copy running then ends, and everything made so far is deleted. Onto another host of the same
kind (destination.py plans it, transfer.py moves the data by storage streams) a cancel aborts the streams at once.
"""

import threading

from django.utils.text import format_lazy

from domains.access import audit, permissions
from domains.access.grants import do_give_ownership
from domains.access.lookups import libvirt_domain
from domains.clones.definition import clone_definition
from domains.clones.destination import find_destination, make_remote_plan
from domains.clones.plan import CloneError, make_plan
from domains.clones.transfer import make_volumes_there
from domains.definitions.actions import do_define
from domains.definitions.models import RevisionSource
from domains.definitions.policy import check_change
from domains.definitions.xml import DefinitionError, parse
from domains.errors import ConsoleError
from domains.jobs.actions import (
    JobCancelled,
    do_start_job,
    report_progress,
    run_job_in_thread,
)
from domains.libvirt import clones as libvirt_clones
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.quotas.limits import check_quota, definition_use
from domains.storage.volumes.actions import volume_xml

ACTION = "domain.clone"
PERMISSION = "read"  # on the source: its definition is what a clone copies
HOST_PERMISSION = "define_domains"  # on the host: a clone is a new domain there
POLL_SECONDS = 0.2

__all__ = ["CloneError", "do_clone_domain"]


def _check_policy(user, host, plan):
    """Judge the clone's definition (on host, where it goes) by the definition policy before anything is made: every
    part of it but the disks the clone gets volumes of its own for (their pools' grants were checked in the plan)."""
    nvram = plan.nvram_source[2] if plan.nvram_source is not None else None
    shared_there = {disk.target: (disk.dest_path, disk.format, disk.block) for disk in plan.disks if disk.dest_path}
    xml, _uuid, _renamed = clone_definition(plan.source_xml, plan.name, shared_there,
                                            libvirt_storage.volume_identity(nvram)[2] if nvram is not None else None)
    document = parse(xml)
    made = {disk.target for disk in plan.disks if disk.makes_volume}
    for disk in list(document.root.iterfind("devices/disk")):
        if disk.find("target") is not None and disk.find("target").get("dev") in made:
            disk.getparent().remove(disk)
    check_change(user, host, None, document)


def _copy(job, pool, xml, source_vol, name, done_before, total, made):
    """Copy source_vol into a new volume of pool (xml names it name), reporting its allocation as progress.

    Returns the new volume, listed in made once libvirt made it (a failed copy is removed by libvirt itself). A
    cancel waits for libvirt's copy to end, then raises JobCancelled (the caller deletes what made lists)."""
    outcome = {}

    def copy():
        try:
            outcome["volume"] = libvirt_storage.clone_volume(pool, xml, source_vol)
        except VirtError as exc:
            outcome["error"] = exc

    copier = threading.Thread(target=copy, name=f"job-{job.pk}-copy-{name}", daemon=True)
    copier.start()
    cancelled = False
    while copier.is_alive():
        copier.join(POLL_SECONDS)
        if cancelled or not copier.is_alive():
            continue
        copying = libvirt_storage.find_volume(pool, name)
        if copying is None:
            continue
        try:
            report_progress(job, done_before + libvirt_storage.volume_facts(copying)[2], total)
        except JobCancelled:
            cancelled = True  # libvirt's copy cannot be stopped: let it end, then undo it
        except VirtError:
            pass  # the volume is being built; the next poll reads again
    if "error" in outcome:
        raise outcome["error"]
    made.append((pool, name))
    if cancelled:
        raise JobCancelled()
    return outcome["volume"]


def _linked(pool, disk):
    xml = volume_xml(disk.volume_name, disk.capacity, "qcow2",
                     backing=(libvirt_storage.volume_identity(disk.source_vol)[2], disk.source_format))
    return libvirt_storage.create_volume(pool, xml)


def _remove_made(made):
    """Delete the volumes a failed or cancelled clone made (nothing half-made), each found again in its pool.

    made lists only what this job made: a volume of the same name another request made meanwhile is not ours."""
    for pool, name in reversed(made):
        try:
            libvirt_storage.refresh_pool(pool)
            left = libvirt_storage.find_volume(pool, name)
            if left is not None:
                libvirt_storage.delete_volume(left)
        except VirtError:
            continue  # the pool went meanwhile: nothing of ours is left in it


def _make_volumes(job, plan, made):
    """{target: (path, format, block)} of the clone's own disks, and its NVRAM's path (or None)."""
    total = plan.total_bytes or None
    done = 0
    new_disks = {}
    for disk in plan.disks:
        if not disk.makes_volume:
            continue
        if disk.mode == "linked":
            vol = _linked(disk.pool, disk)
            made.append((disk.pool, disk.volume_name))
        else:
            xml = volume_xml(disk.volume_name, disk.capacity, disk.format)
            vol = _copy(job, disk.pool, xml, disk.source_vol, disk.volume_name, done, total, made)
            done += disk.allocation
        report_progress(job, done, total)
        new_disks[disk.target] = (libvirt_storage.volume_identity(vol)[2], disk.format,
                                  libvirt_clones.volume_is_block(vol))
    nvram_path = None
    if plan.nvram_source is not None:
        pool, _row, source = plan.nvram_source
        size = libvirt_storage.volume_facts(source)[1]
        vol = _copy(job, pool, volume_xml(plan.nvram_volume, size, libvirt_clones.volume_format(source)), source,
                    plan.nvram_volume, done, total, made)
        nvram_path = libvirt_storage.volume_identity(vol)[2]
    return new_disks, nvram_path


def _work(user, domain, plan, source, source_address):
    host = plan.destination or domain.host
    reason = f"Cloned from '{domain.name}'" + (f" of host '{domain.host}'" if plan.destination else "")

    def work(job):
        made = []
        try:
            if plan.destination is not None:
                new_disks, nvram_path = make_volumes_there(job, plan, domain.host, made)
            else:
                new_disks, nvram_path = _make_volumes(job, plan, made)
            xml, _uuid, renamed = clone_definition(plan.source_xml, plan.name, new_disks, nvram_path)
            change = do_define(user, host, xml, reason, source, source_address)
        except Exception:  # a failure or a cancel alike: nothing half-made stays
            _remove_made(made)
            raise
        clone = change.revision.domain
        do_give_ownership(user, clone, source_address)
        return {"domain": {"uuid": str(clone.uuid), "name": clone.name, "host": clone.host_id},
                "disks": [{"target": disk.target, "mode": disk.mode, "pool": disk.pool_name,
                           "volume": disk.volume_name, "format": disk.format,
                           "path": new_disks.get(disk.target, (disk.source_path,))[0]} for disk in plan.disks],
                "nvram": nvram_path, "renamed_files": [{"from": old, "to": new} for old, new in renamed],
                "notes": plan.notes}

    return work


def quota_use(plan):
    """What the clone adds to its cloner's usage: one domain, the source's vCPUs and memory, and the capacities of
    the disks it gets volumes of its own for (a shared disk stays the source owner's)."""
    return definition_use(None, plan.source_xml, disk_bytes=sum(
        disk.capacity for disk in plan.disks if disk.makes_volume and disk.device == "disk"))


def do_clone_domain(user, domain, name, disks=None, source=RevisionSource.API, source_address=None, host=None):
    """Start a job cloning domain as name on its host, or on the host whose id is host; returns the job.

    disks: [{"target", "mode": copy|linked|share, "pool", "format"}]; a disk left out is copied into its own
    pool in its own format (shared if it is read-only, shareable or a CD-ROM). Onto another host (of the same
    kind) disks are copied by storage streams into the pool of the name asked for there (by default the source's),
    read-only ones shared where that host has the same pool/volume, none linked. Refuses, with nothing made, what
    the host, the disks, the names, the pools or the user's grants do not allow.
    """
    params = {"name": name, "disks": disks or [], **({"host": host} if host is not None else {})}
    audit.require(user, PERMISSION, domain, ACTION, params, source_address)
    try:
        dest = find_destination(user, domain.host, host)
    except CloneError as exc:
        audit.record(user, ACTION, domain, params, outcome=format_lazy("refused: {}", exc.message),
                     source_address=source_address)
        raise
    audit.require(user, HOST_PERMISSION, dest, ACTION, params, source_address)
    try:
        dom = libvirt_domain(domain)
        if dest.pk != domain.host_id:
            plan = make_remote_plan(user, domain, dom, dest, name, disks)
        else:
            plan = make_plan(user, domain, dom, name, disks)
        _check_policy(user, dest, plan)
        check_quota(user, quota_use(plan))
    except permissions.PermissionDenied as refusal:
        audit.record_denied(user, ACTION, domain, params, refusal, source_address)
        raise
    except (ConsoleError, DefinitionError) as exc:
        audit.record(user, ACTION, domain, params, outcome=format_lazy("refused: {}", exc.message),
                     source_address=source_address)

        raise
    job = do_start_job(user, ACTION, domain, total=plan.total_bytes or None, unit="bytes", cancellable=True,
                       params={**params, "disks": [{"target": d.target, "mode": d.mode, "pool": d.pool_name,
                                                    "format": d.format} for d in plan.disks],
                               **({"host": dest.pk} if plan.destination is not None else {})},
                       source_address=source_address)
    run_job_in_thread(job, _work(user, domain, plan, source, source_address))
    return job


def chosen_disks(form_data, targets):
    """[{"target", "mode", "pool", "format"}] from a page form's fields mode-<target>, pool-<target>,
    format-<target> (empty fields left out)."""
    chosen = []
    for target in targets:
        choice = {"target": target}
        for key in ("mode", "pool", "format"):
            value = (form_data.get(f"{key}-{target}") or "").strip()
            if value:
                choice[key] = value
        chosen.append(choice)
    return chosen

