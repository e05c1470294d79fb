"""Snapshot actions: create, revert to and delete a domain's snapshots, each checked, audited and run as a job.

Every refusal is made before the job starts, so a refused request changes nothing in libvirt or the database
(beyond its audit entry). The job itself holds the domain's lock while libvirt works, so the definition revision
it records and the DEFINED event libvirt sends meanwhile do not race.
"""

import os

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import audit
from domains.access.lookups import libvirt_domain
from domains.definitions.actions import (
    domain_lock,
    ensure_first_revision,
    record_device_change,
)
from domains.definitions.models import RevisionSource
from domains.errors import ConsoleError
from domains.jobs.actions import do_start_job, run_job_in_thread
from domains.libvirt import adapter
from domains.libvirt import snapshots as libvirt_snapshots
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.lifecycle.guards import own_paths
from domains.snapshots import commit
from domains.snapshots.checks import (
    SnapshotError,
    check_description,
    check_name,
    disks_of,
    external_revert_refusal,
    memory_name,
    offers,
    overlay_name,
)
from domains.snapshots.tree import (
    EXTERNAL_DISK_ONLY,
    EXTERNAL_WITH_MEMORY,
    INTERNAL,
    descendants,
    parse_xml,
    snapshot_disks,
    snapshot_list,
    snapshot_tree,
)
from domains.storage.volumes.actions import split_visible
from domains.storage.volumes.dependents import (
    dependents_words,
    fresh_usage,
    other_users,
    standing_on,
)

PERMISSION = "snapshot"  # libvirt's domain:snapshot, for create, revert and delete alike
CREATE_KINDS = (INTERNAL, EXTERNAL_DISK_ONLY, EXTERNAL_WITH_MEMORY)
REVERT_STATES = {"snapshot": 0, "running": libvirt_snapshots.REVERT_RUNNING,
                 "paused": libvirt_snapshots.REVERT_PAUSED}


def _refused(user, action, domain, params, source_address, exc):
    """Audit a refusal made before any libvirt change, then raise it."""
    audit.record(user, action, domain, params, outcome=format_lazy("refused: {}", exc.message),
                 source_address=source_address)
    raise exc


def _snapshot(dom, domain, name):
    snap = libvirt_snapshots.find_snapshot(dom, name) if isinstance(name, str) and "/" not in name else None
    if snap is None:
        raise SnapshotError(format_lazy(_("Domain '{domain}' has no snapshot called '{name}': pick one of those GET "
                                          ".../snapshots lists."), domain=domain.name, name=name),
                            code="no_snapshot", status=404)
    return snap


def snapshots_of(domain, dom=None):
    """{"current", "snapshots", "tree", "offers", "external_revert"}: what the API and the card show."""
    dom = dom or libvirt_domain(domain)
    facts = snapshot_list(domain.host, dom)
    kinds_present = {fact["kind"] for fact in facts}
    refusal = external_revert_refusal(dom, domain.host)
    return {
        "current": next((fact["name"] for fact in facts if fact["current"]), None),
        "snapshots": facts,
        "tree": snapshot_tree(facts),
        "offers": [{"kind": offer.kind, "allowed": offer.allowed, "reason": offer.reason}
                   for offer in offers(domain, dom, kinds_present)],
        "external_revert": {"allowed": not refusal, "reason": refusal},
    }


def snapshot_of(domain, name):
    """One snapshot's facts (with its children), or SnapshotError 404."""
    dom = libvirt_domain(domain)
    _snapshot(dom, domain, name)
    return next(fact for fact in snapshot_list(domain.host, dom) if fact["name"] == name)


def _record_definition(user, domain, dom, reason, source):
    """Store the definition libvirt changed itself (new overlays, a pivot, a revert) as the user's revision."""
    record_device_change(user, domain, dom, reason, source)


# --- create ---------------------------------------------------------------------------------------------

def _snapshot_xml(name, description, disks=None, memory=None):
    root = etree.Element("domainsnapshot")
    etree.SubElement(root, "name").text = name
    if description:
        etree.SubElement(root, "description").text = description
    if memory is not None:
        etree.SubElement(root, "memory", snapshot="external", file=memory)
    if disks is not None:
        listed = etree.SubElement(root, "disks")
        for target, path in disks:
            disk = etree.SubElement(listed, "disk", name=target, snapshot="external")
            etree.SubElement(disk, "driver", type="qcow2")
            etree.SubElement(disk, "source", file=path)
    return etree.tostring(root, encoding="unicode")


def _refuse_taken(domain, pool, path, what):
    if libvirt_storage.volume_by_path(domain.host, path) is not None:
        raise SnapshotError(format_lazy(_("Pool '{pool}' already has a volume '{volume}', {what}: choose another "
                                          "snapshot name, or delete that volume."),
                                        pool=libvirt_storage.pool_name_of(pool), volume=os.path.basename(path),
                                        what=what),
                            code="overlay_exists", status=409, fields={"name": [_("Its file exists.")]})


def _files_planned(domain, dom, name, with_memory):
    """([(disk target, file path, pool handle)] of an external snapshot's overlays, then its memory file if
    with_memory); SnapshotError if a name is taken in its pool (refreshed first: files made outside libvirt count)."""
    planned = []
    for disk in disks_of(dom):
        pool, _vol = libvirt_storage.volume_by_path(domain.host, disk.source)
        libvirt_storage.refresh_pool(pool)
        path = os.path.join(os.path.dirname(disk.source), overlay_name(domain.name, disk, name))
        _refuse_taken(domain, pool, path, format_lazy(_("the overlay this snapshot would make for disk {disk}"),
                                                      disk=disk.target))
        planned.append((disk.target, path, pool))
    if with_memory:
        _target, first, pool = planned[0]
        path = os.path.join(os.path.dirname(first), memory_name(domain.name, name))
        _refuse_taken(domain, pool, path, _("the file this snapshot would save the memory state in"))
        planned.append((None, path, pool))
    return planned


def _remove_made_overlays(host, planned):
    """A failed external snapshot leaves no overlay behind (nothing half-made)."""
    for _target, path, pool in planned:
        try:
            libvirt_storage.refresh_pool(pool)
            found = libvirt_storage.volume_by_path(host, path)
            if found is not None:
                libvirt_storage.delete_volume(found[1])
        except VirtError:
            continue  # the pool went meanwhile: nothing of ours is left in it


def do_create_snapshot(user, domain, name, kind=INTERNAL, description="", source=RevisionSource.API,
                       source_address=None):
    """Start a job taking a snapshot of domain; returns the job. Refuses (nothing made) what the domain's disks,
    its other snapshots or the host's libvirt do not allow."""
    action = "domain.snapshot_create"
    params = {"snapshot": name, "kind": kind, "description": description}
    audit.require(user, PERMISSION, domain, action, params, source_address)
    try:
        if kind not in CREATE_KINDS:
            raise SnapshotError(format_lazy(_("'{kind}' is not a kind of snapshot the console takes: use one of "
                                              "{kinds}."), kind=kind, kinds=", ".join(CREATE_KINDS)),
                                fields={"kind": [format_lazy(_("One of {choices}."), choices=", ".join(CREATE_KINDS))]})
        check_description(description or "")
        dom = libvirt_domain(domain)
        with domain_lock(domain.host_id, domain.uuid):
            facts = snapshot_list(domain.host, dom)
            check_name(name, {fact["name"] for fact in facts})
            offer = next(o for o in offers(domain, dom, {fact["kind"] for fact in facts}) if o.kind == kind)
            if not offer.allowed:
                raise SnapshotError(offer.reason, code="snapshot_kind_refused", status=409,
                                    fields={"kind": [offer.reason]})
            planned = _files_planned(domain, dom, name, kind == EXTERNAL_WITH_MEMORY) if kind != INTERNAL else None
    except ConsoleError as exc:
        _refused(user, action, domain, params, source_address, exc)
    job = do_start_job(user, action, domain, unit="items", total=1, params=params, source_address=source_address)

    def work(job):
        with domain_lock(domain.host_id, domain.uuid):
            ensure_first_revision(domain, dom)
            if planned is None:
                libvirt_snapshots.create_snapshot(dom, _snapshot_xml(name, description))
            else:
                disks = [(target, path) for target, path, _pool in planned if target is not None]
                memory = next((path for target, path, _pool in planned if target is None), None)
                flags = libvirt_snapshots.CREATE_ATOMIC | (libvirt_snapshots.CREATE_DISK_ONLY if memory is None else 0)
                try:
                    libvirt_snapshots.create_snapshot(dom, _snapshot_xml(name, description, disks, memory), flags)
                except VirtError:
                    _remove_made_overlays(domain.host, planned)
                    raise
                for _target, _path, pool in planned:
                    libvirt_storage.refresh_pool(pool)  # the overlays show as volumes of their pools
                _record_definition(user, domain, dom, f"Snapshot '{name}': disks continue in overlays", source)
        return {"snapshot": name, "kind": kind}

    run_job_in_thread(job, work)
    return job


# --- revert ---------------------------------------------------------------------------------------------

def do_revert_snapshot(user, domain, name, state="snapshot", source=RevisionSource.API, source_address=None):
    """Start a job reverting domain to snapshot name; returns the job. state: snapshot (as it was taken),
    running or paused. An external snapshot on a libvirt that cannot revert it is refused, never half-done."""
    action = "domain.snapshot_revert"
    params = {"snapshot": name, "state": state}
    audit.require(user, PERMISSION, domain, action, params, source_address)
    try:
        if state not in REVERT_STATES:
            raise SnapshotError(format_lazy(_("'{state}' is not a state to revert into: use {states}."), state=state,
                                            states=", ".join(REVERT_STATES)),
                                fields={"state": [format_lazy(_("One of {choices}."),
                                                              choices=", ".join(REVERT_STATES))]})
        dom = libvirt_domain(domain)
        snap = _snapshot(dom, domain, name)
        facts = snapshot_list(domain.host, dom)
        kind = next(fact["kind"] for fact in facts if fact["name"] == name)
        if kind != INTERNAL:
            refusal = external_revert_refusal(dom, domain.host)
            if refusal:
                raise SnapshotError(refusal, code="external_revert_unsupported", status=409)
        elif any(fact["kind"] != INTERNAL for fact in facts):
            raise SnapshotError(format_lazy(_("'{domain}' also has external snapshots: reverting to the internal "
                                              "snapshot '{name}' would change the image their overlays stand on and "
                                              "lose their data (virt-manager bug #811). Delete the external snapshots "
                                              "first."), domain=domain.name, name=name),
                                code="mixed_chain", status=409)
    except ConsoleError as exc:
        _refused(user, action, domain, params, source_address, exc)
    job = do_start_job(user, action, domain, unit="items", total=1, params=params, source_address=source_address)

    def work(job):
        with domain_lock(domain.host_id, domain.uuid):
            ensure_first_revision(domain, dom)
            libvirt_snapshots.revert_to_snapshot(dom, snap, REVERT_STATES[state])
            _record_definition(user, domain, dom, f"Reverted to snapshot '{name}'", source)
        return {"snapshot": name, "state": state}

    run_job_in_thread(job, work)
    return job


# --- delete ---------------------------------------------------------------------------------------------

def _external_deletion(user, domain, dom, doomed, source):
    """work(job) deleting the external snapshots doomed (deepest first) by block commits."""
    def work(job):
        deleted, kept = [], []
        with domain_lock(domain.host_id, domain.uuid):
            ensure_first_revision(domain, dom)
            try:
                _delete_each(job, domain, dom, doomed, deleted, kept)
            finally:
                if deleted:  # also when a cancel or failure stopped it after some were deleted
                    _record_definition(user, domain, dom, f"Deleted snapshot(s) {', '.join(deleted)}: overlays "
                                                          "committed", source)
        return {"deleted": deleted, "kept": kept} if kept else {"deleted": deleted}

    return work


def _delete_each(job, domain, dom, doomed, deleted, kept):
    """Delete each external snapshot of doomed in turn, appending its name to deleted once it is gone (and to kept
    the reason of each file something else still needed)."""
    for name in doomed:
        snap = _snapshot(dom, domain, name)
        snap_xml = libvirt_snapshots.snapshot_xml(snap)
        plans = commit.planned_commits(domain, dom, snap_xml)
        memory = commit.memory_file(snap_xml)
        commit.commit_overlays(job, domain, dom, plans)
        others = [other for other in libvirt_snapshots.list_snapshots(dom)
                  if libvirt_snapshots.snapshot_name(other) != name]
        for _target, overlay, backing, _active in plans:
            commit.rewrite_children(dom, others, overlay, backing)
        libvirt_snapshots.delete_snapshot(snap, libvirt_snapshots.DELETE_METADATA_ONLY)
        reasons = [commit.delete_overlay(domain, overlay) for _target, overlay, _backing, _active in plans]
        if memory:
            reasons.append(commit.delete_overlay(domain, memory))
        kept.extend(reason for reason in reasons if reason)
        deleted.append(name)


def _refuse_overlays_in_use(user, domain, dom, doomed):
    """SnapshotError when another volume stands on one of the doomed snapshots' overlays (a linked clone made of it)
    or another domain names one: committing and deleting it would take their data."""
    usage = fresh_usage(domain.host)
    mine = own_paths(dom, libvirt_snapshots.domain_xml(dom))
    backing_of = {path: backing for _pool, _volume, path, backing in usage.links}
    for doomed_name in doomed:
        snap_xml = libvirt_snapshots.snapshot_xml(_snapshot(dom, domain, doomed_name))
        for disk in snapshot_disks(parse_xml(snap_xml)):
            if disk["snapshot"] != "external" or not disk["source"]:
                continue
            overlays = standing_on(usage, disk["source"], mine)
            users = other_users(usage, disk["source"], domain.uuid)
            base = backing_of.get(disk["source"])
            under = standing_on(usage, base, mine | {disk["source"]}) if base else []
            if under and not (overlays or users):
                words = dependents_words(user, usage, under, domain.uuid)[0]
                raise SnapshotError(format_lazy(_("Deleting snapshot '{snapshot}' commits the overlay of disk {disk} "
                                                  "down into {base}, which is the backing file of {dependents}: "
                                                  "writing into it would corrupt them. Delete those volumes or "
                                                  "domains first (or clone them with copied disks); nothing was "
                                                  "changed."), snapshot=doomed_name, disk=disk["name"], base=base,
                                                dependents=words),
                                    code="base_in_use", status=409)
            if overlays or users:
                words = dependents_words(user, usage, overlays, domain.uuid)[0] if overlays else ""
                names = ", ".join(repr(u["name"]) for u in split_visible(user, domain.host, users)[0])
                if overlays:
                    what = format_lazy(_("the backing file of {dependents}"), dependents=words)
                elif names:
                    what = format_lazy(_("used by domain {names}"), names=names)
                else:
                    what = _("used by a domain you may not see")
                raise SnapshotError(format_lazy(_("The overlay {overlay} of snapshot '{snapshot}' (disk {disk}) is "
                                                  "{what}: deleting the snapshot commits and deletes that file, which "
                                                  "would take their data. Delete those volumes or domains first (or "
                                                  "clone them with copied disks); nothing was changed."),
                                                overlay=disk["source"], snapshot=doomed_name, disk=disk["name"],
                                                what=what),
                                    code="overlay_in_use", status=409)


def do_delete_snapshot(user, domain, name, children=False, source=RevisionSource.API, source_address=None):
    """Start a job deleting snapshot name (and with children=True everything under it); returns the job.

    Internal snapshots go by libvirt's own delete; external ones by committing their overlays, which needs the
    domain running (libvirt 9.0 cannot commit a shut-off domain's disks). A snapshot in the middle of a chain
    leaves its children's data whole.
    """
    action = "domain.snapshot_delete"
    params = {"snapshot": name, "children": children}
    audit.require(user, PERMISSION, domain, action, params, source_address)
    try:
        dom = libvirt_domain(domain)
        snap = _snapshot(dom, domain, name)
        facts = snapshot_list(domain.host, dom)
        doomed = (descendants(facts, name) if children else []) + [name]
        kinds = {fact["kind"] for fact in facts if fact["name"] in doomed}
        external = kinds - {INTERNAL}
        if external and INTERNAL in kinds:
            raise SnapshotError(format_lazy(_("Snapshot '{name}' and the ones under it mix internal and external "
                                              "snapshots: deleting them together could lose data (virt-manager bug "
                                              "#862). Delete the snapshots one at a time, the newest first."),
                                            name=name),
                                code="mixed_chain", status=409)
        if external:  # before the running check: a file others need is the reason that outlasts a start
            _refuse_overlays_in_use(user, domain, dom, doomed)
        if external and not adapter.is_running(dom):
            raise SnapshotError(format_lazy(_("'{domain}' is shut off, and libvirt cannot commit a shut-off domain's "
                                              "overlays: deleting the external snapshot '{name}' needs the domain "
                                              "running. Start it (paused is enough) and delete again; nothing was "
                                              "changed."), domain=domain.name, name=name),
                                code="domain_not_running", status=409)

        if external:
            for doomed_name in doomed[:1]:  # the first one commits first: its overlays must be in the chain now
                doomed_snap = _snapshot(dom, domain, doomed_name)
                commit.planned_commits(domain, dom, libvirt_snapshots.snapshot_xml(doomed_snap))
    except ConsoleError as exc:
        _refused(user, action, domain, params, source_address, exc)
    # A commit can stop midway with every layer whole (commit.py), so an external deletion can be cancelled.
    job = do_start_job(user, action, domain, unit="bytes" if external else "items",
                       total=None if external else len(doomed), params=params, cancellable=bool(external),
                       source_address=source_address)
    if external:
        work = _external_deletion(user, domain, dom, doomed, source)
    else:
        def work(job):
            with domain_lock(domain.host_id, domain.uuid):
                libvirt_snapshots.delete_snapshot(snap, libvirt_snapshots.DELETE_CHILDREN if children else 0)
            return {"deleted": doomed}

    run_job_in_thread(job, work)
    return job
