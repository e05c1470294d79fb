"""Undefining a domain: the metadata flags it needs (snapshots, checkpoints, NVRAM, saved state), and, when asked, its
storage deleted with it: its disks' volumes and its external snapshots' overlay and memory files (virt-manager #810).

Never a volume something else needs: one another domain names, or one another volume stands on (a linked clone's
base) is kept and named with its reason. Everything is decided before anything changes: a refusal (running domain,
no delete permission on a pool) changes nothing. libvirt's undefine comes first and alone decides success; the
volumes follow, newest overlay first, so a failure midway never leaves an overlay without its base, and the answer
says which volumes went and which are left. Backups are not the domain's storage: they are kept.
"""

from dataclasses import dataclass, field

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from lxml import etree

from domains import words
from domains.access import audit, permissions
from domains.access.lookups import libvirt_domain
from domains.libvirt import backups as libvirt_backups
from domains.libvirt import snapshots as libvirt_snapshots
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError, is_running, translated_errors
from domains.lifecycle.errors import ActionError
from domains.lifecycle.guards import writable_disks
from domains.storage.lookups import pool_row
from domains.storage.volumes.actions import split_visible
from domains.storage.volumes.dependents import (
    dependents_words,
    fresh_usage,
    other_users,
    standing_on,
)

BACKUPS_KEPT = _("Its backups are kept: delete them from the backups list if you no longer need them.")


@dataclass
class Doomed:
    path: str
    pool: str
    volume: str
    pool_handle: object
    handle: object
    depth: int  # backing files below it: the deeper one goes first


@dataclass
class UndefineOutcome:
    message: str  # lazy: said in the reader's language
    storage: dict = field(default_factory=lambda: {"deleted": [], "kept": [], "left": []})


def _checkpoint_count(dom):
    try:
        return len(libvirt_backups.checkpoint_names(dom))
    except VirtError as exc:
        if exc.code in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_OPERATION_UNSUPPORTED):
            return 0  # a driver without checkpoints (the test driver) has none to forget
        raise


def undefine_flags(dom, options):
    """Only the flags this domain needs: drivers refuse flags they do not know, even when moot."""
    flags = 0
    with translated_errors():
        if dom.hasManagedSaveImage(0):
            flags |= libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
    if libvirt_snapshots.list_snapshots(dom):
        flags |= libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
    if _checkpoint_count(dom):
        flags |= libvirt.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA
    if "<nvram" in libvirt_snapshots.domain_xml(dom, inactive=True):
        flags |= libvirt.VIR_DOMAIN_UNDEFINE_KEEP_NVRAM if options.get("keep_nvram") else libvirt.VIR_DOMAIN_UNDEFINE_NVRAM
    return flags


def _snapshot_files(dom):
    """The files the domain's external snapshots made: each disk's overlay and the memory files."""
    overlays, memory = [], []
    for snap in libvirt_snapshots.list_snapshots(dom):
        root = etree.fromstring(libvirt_snapshots.snapshot_xml(snap).encode())
        for disk in root.iterfind("disks/disk"):
            source = disk.find("source")
            if disk.get("snapshot") == "external" and source is not None and source.get("file"):
                overlays.append(source.get("file"))
        saved = root.find("memory")
        if saved is not None and saved.get("snapshot") == "external" and saved.get("file"):
            memory.append(saved.get("file"))
    return overlays, memory


def plan_storage(user, domain, dom):
    """([Doomed] deepest first, [{"path", "pool", "volume", "reason"}] kept): the domain's storage and what of it stays."""
    usage = fresh_usage(domain.host)
    backing_of = {path: backing for _pool, _volume, path, backing in usage.links}
    candidates = []

    def add_chain(path):
        while path and path not in candidates:
            candidates.append(path)
            path = backing_of.get(path)

    xml = libvirt_snapshots.domain_xml(dom, inactive=True)
    overlays, memory = _snapshot_files(dom)
    for path in [path for _target, path in writable_disks(xml)] + overlays:
        add_chain(path)
    candidates += [path for path in memory if path not in candidates]

    found, kept = {}, {}
    for path in candidates:
        hit = libvirt_storage.volume_by_path(domain.host, path)
        if hit is None:
            kept[path] = _("not a volume of any pool: delete the file by hand if nothing needs it")
            continue
        found[path] = hit
        users = other_users(usage, path, domain.uuid)
        if users:
            shown, hidden = split_visible(user, domain.host, users)
            names = ", ".join(repr(u["name"]) for u in shown)
            if not hidden:
                kept[path] = format_lazy(_("used by domain {names}"), names=names)
            elif names:
                kept[path] = format_lazy(ngettext_lazy("used by domain {names} and {count} you may not see",
                                                       "used by domain {names} and {count} you may not see", hidden),
                                         names=names, count=hidden)
            else:
                kept[path] = format_lazy(ngettext_lazy("used by {count} domain you may not see",
                                                       "used by {count} domains you may not see", hidden),
                                         count=hidden)
    changed = True
    while changed:  # a kept volume keeps what it stands on: repeat until nothing more is kept
        changed = False
        for path in candidates:
            if path in kept:
                continue
            outside = [o for o in standing_on(usage, path) if o[2] not in candidates or o[2] in kept]
            if outside:
                dependents, _shown, _users = dependents_words(user, usage, outside, domain.uuid)
                kept[path] = format_lazy(_("the backing file of {dependents}"), dependents=dependents)
                changed = True

    def depth(path):
        hops, seen = 0, {path}
        while backing_of.get(path) and backing_of[path] not in seen:
            path = backing_of[path]
            seen.add(path)
            hops += 1
        return hops

    doomed = [Doomed(path, libvirt_storage.pool_name_of(found[path][0]), libvirt_storage.volume_identity(found[path][1])[0],
                     found[path][0], found[path][1], depth(path))
              for path in candidates if path not in kept]
    doomed.sort(key=lambda item: -item.depth)
    kept_rows = []
    for path, reason in kept.items():
        hit = found.get(path)
        kept_rows.append({"path": path, "pool": libvirt_storage.pool_name_of(hit[0]) if hit else None,
                          "volume": libvirt_storage.volume_identity(hit[1])[0] if hit else None, "reason": reason})
    return doomed, kept_rows


def _refuse(user, domain, params, source_address, message, code, status=409):
    audit.record(user, "domain.undefine", domain, params, outcome=format_lazy("refused: {}", message),
                 source_address=source_address)
    raise ActionError(message, code=code, status=status)


def _sentences(parts):
    """The sentences of parts (lazy or not) one after another, each said in the reader's language."""
    return format_lazy(" ".join(["{}"] * len(parts)), *parts)


def _words(storage):
    parts = []
    if storage["deleted"]:
        parts.append(format_lazy(_("Deleted {volumes}."),
                                 volumes=", ".join(f"{v['pool']}/{v['volume']}" for v in storage["deleted"])))
    for row in storage["kept"]:
        name = f"{row['pool']}/{row['volume']}" if row["pool"] else row["path"]
        parts.append(format_lazy(_("Kept {volume}: {reason}."), volume=name, reason=row["reason"]))
    return parts


def _kept_words(storage):
    """storage as the audit keeps it: its reasons in the console's own language."""
    return {**storage, "kept": [{**row, "reason": words.kept(row["reason"])} for row in storage["kept"]]}


def do_undefine_domain(user, domain, options, source_address=None):
    """Undefine domain (typed name in options["confirm_name"]), with its storage if options["remove_storage"];
    returns an UndefineOutcome, or raises ActionError with nothing changed."""
    remove_storage = bool(options.get("remove_storage"))
    params = {"keep_nvram": bool(options.get("keep_nvram")), "remove_storage": remove_storage}
    audit.require(user, "delete", domain, "domain.undefine", params, source_address)
    if options.get("confirm_name") != domain.name:
        raise ActionError(format_lazy(_("To undefine '{name}', type its name to confirm."), name=domain.name),
                          code="confirmation_required")
    try:
        dom = libvirt_domain(domain)
        doomed, kept = [], []
        if remove_storage:
            if is_running(dom):
                _refuse(user, domain, params, source_address,
                        format_lazy(_("'{name}' is running: its disks are in use, so its storage cannot be deleted. "
                                      "Shut it down (or force it off), then undefine it again; nothing was changed."),
                                    name=domain.name), "domain_running")
            doomed, kept = plan_storage(user, domain, dom)
            for pool in {item.pool: item for item in doomed}.values():
                row = pool_row(domain.host, pool.pool_handle)
                if not permissions.has_perm(user, "storage_vol.delete", row):
                    if permissions.has_perm(user, "storage_pool.getattr", row):
                        message = format_lazy(_("You may not delete volumes in pool '{pool}', which holds storage of "
                                                "'{name}' (storage_vol.delete): undefine it without deleting its "
                                                "storage, or ask for a grant on the pool; nothing was changed."),
                                              pool=row.name, name=domain.name)
                    else:
                        message = format_lazy(_("You may not delete volumes in a pool you may not see, which holds "
                                                "storage of '{name}' (storage_vol.delete): undefine it without "
                                                "deleting its storage, or ask for a grant on the pool; nothing was "
                                                "changed."), name=domain.name)
                    _refuse(user, domain, params, source_address, message, "permission_denied", status=403)
        flags = undefine_flags(dom, options)
        with translated_errors():
            dom.undefineFlags(flags)
    except VirtError as exc:
        audit.record(user, "domain.undefine", domain, params, outcome=format_lazy("failed: {}", exc.message),
                     source_address=source_address)
        raise ActionError(format_lazy(_("Could not undefine '{name}': {error}"), name=domain.name,
                                      error=exc.message)) from exc
    storage = {"deleted": [], "kept": kept, "left": []}
    failure = None
    for index, item in enumerate(doomed):
        try:
            libvirt_storage.delete_volume(item.handle)
        except VirtError as exc:
            failure = exc
            storage["left"] = [{"pool": d.pool, "volume": d.volume, "path": d.path} for d in doomed[index:]]
            break
        storage["deleted"].append({"pool": item.pool, "volume": item.volume, "path": item.path})
    parts = [format_lazy(_("'{name}' undefined."), name=domain.name)]
    if remove_storage:
        parts += _words(storage) or [_("It had no volume to delete.")]
        if failure is not None:
            parts.append(format_lazy(_("Deleting {volume} failed: {error}. Left in their pools (nothing stands on them "
                                       "now; delete them from the pool's page): {left}."),
                                     volume=f"{storage['left'][0]['pool']}/{storage['left'][0]['volume']}",
                                     error=failure.message,
                                     left=", ".join(f"{v['pool']}/{v['volume']}" for v in storage["left"])))
        parts.append(BACKUPS_KEPT)
    outcome = "ok" if failure is None else f"undefined; storage partly deleted: {failure.message}"
    audit.record(user, "domain.undefine", domain,
                 {**params, "storage": _kept_words(storage)} if remove_storage else params,
                 outcome=outcome, source_address=source_address)
    return UndefineOutcome(_sentences(parts), storage)

