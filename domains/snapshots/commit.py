"""Deleting an external snapshot: its overlays committed into what they stand on, the pivot verified, the files gone.

An external snapshot's overlay holds what changed after it. Deleting the snapshot keeps that: the overlay is
committed down into its backing file (libvirt's block commit, SHALLOW: into the next layer only, never the whole
chain), which then takes its place in the chain. The newest overlay is the one the domain writes to: an active
commit, then a pivot onto the backing file, checked in the domain's definition afterwards. An overlay in the
middle is committed plainly, and the layers above it then stand on its backing file: the children keep their data.
"""

import time

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.jobs.actions import JobCancelled, report_progress
from domains.libvirt import snapshots as libvirt_snapshots
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.snapshots.checks import SnapshotError
from domains.snapshots.tree import parse_xml, snapshot_disks
from domains.storage.volumes.dependents import fresh_usage, other_users

POLL_SECONDS = 0.2
# libvirt's answers while an active commit is not ready to pivot yet: wait and try again.
NOT_READY = (libvirt.VIR_ERR_BLOCK_COPY_ACTIVE, libvirt.VIR_ERR_OPERATION_INVALID)


def chain_of(dom, target):
    """[top, its backing, ...]: the files of disk target in the running domain, newest first."""
    root = parse_xml(libvirt_snapshots.domain_xml(dom))
    for disk in root.iterfind("devices/disk"):
        if disk.find("target").get("dev") != target:
            continue
        chain, layer = [], disk
        while layer is not None:
            source = layer.find("source")
            if source is None or source.get("file") is None:
                break
            chain.append(source.get("file"))
            layer = layer.find("backingStore")
        return chain
    return []


def planned_commits(domain, dom, snap_xml):
    """[(disk target, overlay, backing, active)] of the snapshot's external disks; SnapshotError if any overlay
    is no longer in its disk's chain (changed outside the console), before anything is done."""
    plans = []
    for disk in snapshot_disks(parse_xml(snap_xml)):
        if disk["snapshot"] != "external" or not disk["source"]:
            continue
        chain = chain_of(dom, disk["name"])
        if disk["source"] not in chain or chain.index(disk["source"]) + 1 >= len(chain):
            raise SnapshotError(format_lazy(_("The overlay {overlay} of disk {disk} is no longer in the disk's backing "
                                              "chain of '{domain}' (it was changed outside the console): nothing was "
                                              "changed. Look at the disk's chain (virsh domblklist, qemu-img info "
                                              "--backing-chain) and fix it by hand."),
                                            overlay=disk["source"], disk=disk["name"], domain=domain.name),
                                code="chain_changed", status=409)
        index = chain.index(disk["source"])
        plans.append((disk["name"], disk["source"], chain[index + 1], index == 0))
    return plans


def _follow(job, dom, target, overlay, active, done_before, may_cancel):
    """Report the block job's progress until it ends (plain) or is ready and pivoted (active).

    A cancel stops the commit without a pivot: the overlay stays in the chain above whatever reached its backing
    file, so every layer reads as before. A cancel that comes once the commit is over is too late, and so is one
    after the snapshot's first disk is committed (may_cancel False): the deletion goes on, nothing is half-done.
    """
    try:
        _wait(job, dom, target, active, done_before, may_cancel)
    except JobCancelled:
        try:
            libvirt_snapshots.block_job_abort(dom, target, 0)
        except VirtError:
            pass  # it ended meanwhile: the chain says whether it got there
        while libvirt_snapshots.block_job(dom, target) is not None:
            time.sleep(POLL_SECONDS)
        if overlay in chain_of(dom, target):
            raise


def _wait(job, dom, target, active, done_before, may_cancel):
    while True:
        info = libvirt_snapshots.block_job(dom, target)
        if info is None:
            if active:
                raise SnapshotError(format_lazy(_("The active commit of disk {disk} ended before it could pivot: the "
                                                  "domain still runs on the overlay, nothing was lost. Look at the "
                                                  "host's libvirt log and delete again."), disk=target),
                                    code="commit_failed", status=502)
            return
        end, cur = info.get("end", 0), info.get("cur", 0)
        try:
            report_progress(job, done_before + cur, done_before + end)
        except JobCancelled:
            if may_cancel:
                raise
        if active and cur == end:
            try:
                libvirt_snapshots.block_job_abort(dom, target, libvirt_snapshots.ABORT_PIVOT)
                return
            except VirtError as exc:
                if exc.code not in NOT_READY:
                    raise
        time.sleep(POLL_SECONDS)


def commit_overlays(job, domain, dom, plans):
    """Commit each planned overlay into its backing file and check the chain afterwards; returns the overlays
    committed (their files still exist: delete_overlay removes them)."""
    done = 0
    for index, (target, overlay, backing, active) in enumerate(plans):
        flags = libvirt_snapshots.COMMIT_SHALLOW | (libvirt_snapshots.COMMIT_ACTIVE if active else 0)
        libvirt_snapshots.block_commit(dom, target, None, None if active else overlay, flags)
        _follow(job, dom, target, overlay, active, done, may_cancel=index == 0)
        chain = chain_of(dom, target)
        if overlay in chain or backing not in chain:
            raise SnapshotError(format_lazy(_("After the commit, disk {disk} of '{domain}' still names {overlay} (or "
                                              "lost {backing}): the pivot did not happen. The overlay is kept; look at "
                                              "the disk (virsh domblklist) before trying again."),
                                            disk=target, domain=domain.name, overlay=overlay, backing=backing),
                                code="pivot_unverified", status=502)
        if active and chain[0] != backing:
            raise SnapshotError(format_lazy(_("After the pivot, disk {disk} of '{domain}' runs on {top}, not on "
                                              "{backing}. The overlay is kept; look at the disk before trying again."),
                                            disk=target, domain=domain.name, top=chain[0], backing=backing),
                                code="pivot_unverified", status=502)

        done = job.done
    return [overlay for _target, overlay, _backing, _active in plans]


def delete_overlay(domain, path):
    """Delete the overlay (or memory) file's volume, unless something else still needs it; returns None once deleted
    (or when no pool holds it), else the reason it was kept. libvirt made the file outside its pool's knowledge:
    volume_by_path refreshes that pool when it misses it.

    Its data is committed by now, but another volume may stand on it (a linked clone made of the overlay) or another
    domain name it: deleting it would take their data, so it stays and the job's result says why.
    """
    host = domain.host
    found = libvirt_storage.volume_by_path(host, path)  # refreshes the pool of its directory if it missed the file
    if found is None:
        return None
    # Refreshed pools: the commit just moved the overlays above this one onto its backing file, and a pool's
    # listing keeps the backing it read before until it refreshes.
    usage = fresh_usage(host)
    overlays = usage.overlays_of(path)
    users = other_users(usage, path, domain.uuid)
    if overlays or users:
        words = ", ".join(f"{pool}/{volume}" for pool, volume, _path in overlays) or ""
        named = ", ".join(repr(name) for _uuid, name in users)
        return (f"{path} was kept: " + (f"it is the backing file of {words}" if words else f"domain {named} uses it")
                + ". Its data is committed; delete it once nothing needs it.")
    libvirt_storage.delete_volume(found[1])
    return None


def memory_file(snap_xml):
    """The file an external snapshot saved the memory state in, or None."""
    memory = parse_xml(snap_xml).find("memory")
    return memory.get("file") if memory is not None and memory.get("snapshot") == "external" else None


def rewrite_children(dom, child_snaps, overlay, backing):
    """The saved definitions of the snapshots taken after this one name the overlay as a disk's file or backing:
    make them name the backing file that now holds its data (libvirt 9.9 would do the same on its own delete)."""
    for snap in child_snaps:
        root = parse_xml(libvirt_snapshots.snapshot_xml(snap))
        changed = False
        for source in root.iterfind("domain/devices/disk//source"):
            if source.get("file") == overlay:
                source.set("file", backing)
                changed = True
        if changed:
            libvirt_snapshots.redefine_snapshot(dom, etree.tostring(root, encoding="unicode"),
                                                current=libvirt_snapshots.is_current(snap))
