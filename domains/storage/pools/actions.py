"""Pool actions: define (from fields or XML), build, start, stop, refresh, autostart, change XML, delete, undefine.

Each checks permission, checks the definition against the host's pool paths, calls libvirt through
domains.libvirt.storage, records a revision of the definition and writes the audit log (intent first
for the calls that format, delete or define host storage, outcome after).
"""

import logging

from django.db import transaction
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit, permissions
from domains.definitions.xml.safe_xml import parse
from domains.errors import ConsoleError
from domains.jobs.models import ACTIVE, Job
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.revisions.actions import FIRST_SEEN, do_record_revision
from domains.storage.lookups import pool_row
from domains.storage.models import Pool, PoolRevision
from domains.storage.pools import capabilities
from domains.storage.pools.definition import read_definition, xml_from_fields
from domains.storage.pools.policy import PoolError, check_pool_path

log = logging.getLogger(__name__)

# What each action on one pool needs; build formats host storage, so it is host-level (storage_pool.format).
ACTION_PERMISSIONS = {
    "start": "storage_pool.start",
    "stop": "storage_pool.stop",
    "refresh": "storage_pool.refresh",
    "build": "storage_pool.format",
    "autostart": "storage_pool.autostart",
    "noautostart": "storage_pool.autostart",
}


def checked_definition(host, xml_text):
    """The PoolDefinition of xml_text if host may have it: schema, name, a type the host supports, allowed paths."""
    definition = read_definition(xml_text)
    capabilities.check_type(host, definition.type)
    for what, path in definition.host_paths():
        check_pool_path(host, path, what)
    return definition


def _require_all(user, names, target):
    for name in names:
        permissions.require(user, name, target)


def _refuse(user, action, target, params, exc, source_address):
    audit.record(user, action, target, params, outcome=format_lazy("refused: {}", exc), source_address=source_address)


def ensure_first_revision(row, handle):
    """Record libvirt's current definition as the pool's first revision when it has none (found, not made here)."""
    if PoolRevision.objects.of(row).exists():
        return
    xml = libvirt_storage.pool_xml(handle)
    with transaction.atomic():
        if not PoolRevision.objects.of(row).exists():
            do_record_revision(PoolRevision, row, xml=xml, reason=FIRST_SEEN)


def _record(row, handle, user, reason):
    xml = libvirt_storage.pool_xml(handle)
    with transaction.atomic():
        return do_record_revision(PoolRevision, row, user=user, xml=xml, reason=reason[:500])


# Why a new pool's definition was taken back (or kept): the step of it that libvirt refused, one sentence each.
_POOL_STEP_FAILED = {
    "build": _("Pool '{name}' could not be built: {error}."),
    "start": _("Pool '{name}' could not be started: {error}."),
    "autostart": _("Pool '{name}' could not be set to start with the host: {error}."),
}


def do_define_pool(user, host, xml_text=None, *, fields=None, build=False, start=False, autostart=False,
                   keep_on_failure=False, reason="", source_address=None):
    """Define a new persistent pool on host from xml_text or fields (name, type, target, source); (row, handle).

    build/start/autostart follow in that order. If one of them fails, the pool is stopped and undefined again
    (its storage is left as it is: a built directory or formatted device is never deleted on the way back),
    unless keep_on_failure, when the defined pool stays for the user to fix. Needs storage_pool.write on the
    host, plus storage_pool.format to build, storage_pool.start to start, storage_pool.autostart to autostart.
    """
    needed = ["storage_pool.write"] + ["storage_pool.format"] * bool(build) + ["storage_pool.start"] * bool(start) \
        + ["storage_pool.autostart"] * bool(autostart)
    params = {"build": bool(build), "start": bool(start), "autostart": bool(autostart)}
    try:
        _require_all(user, needed, host)
    except permissions.PermissionDenied as refusal:
        audit.record_denied(user, "pool.define", host, params, refusal, source_address)
        raise
    try:
        if xml_text is None:
            fields = fields or {}
            xml_text = xml_from_fields(fields.get("name"), fields.get("type"), fields.get("target"),
                                       fields.get("source"))
        definition = checked_definition(host, xml_text)
        params["name"] = definition.name
        if libvirt_storage.find_pool(host, name=definition.name) is not None:
            raise PoolError(format_lazy(_("Host '{host}' already has a pool named '{name}': pick another name, "
                                          "or change that pool instead."), host=host, name=definition.name),
                            status=409, code="pool_exists", fields={"name": [_("Taken.")]})
    except ConsoleError as exc:  # a bad definition, a name taken, libvirt unreachable
        _refuse(user, "pool.define", host, params, exc, source_address)
        raise
    # Intent first: a define with build formats host storage as root.
    audit.record(user, "pool.define", host, params, outcome="started", source_address=source_address)
    known_before = set(Pool.objects.filter(host=host).values_list("uuid", flat=True))
    handle = libvirt_storage.define_pool(host, xml_text)
    step = "define"
    try:
        for step, wanted, call in (("build", build, libvirt_storage.build_pool),
                                   ("start", start, libvirt_storage.start_pool),
                                   ("autostart", autostart, lambda h: libvirt_storage.set_pool_autostart(h, True))):
            if wanted:
                call(handle)
    except VirtError as exc:
        if not keep_on_failure:
            _take_back(host, handle, known_before)
        kept = "kept as asked" if keep_on_failure else "undefined again"
        audit.record(user, "pool.define", host, params,
                     outcome=format_lazy("failed at {}: {}; pool {}", step, exc.message, kept),
                     source_address=source_address)
        failed = format_lazy(_POOL_STEP_FAILED[step], name=definition.name, error=exc.message)
        raise VirtError(format_lazy("{} {}", failed, _("The pool was kept as asked.") if keep_on_failure else _(
            "The pool was undefined again; its storage was left as it is.")), exc.code) from exc
    row = pool_row(host, handle)
    _record(row, handle, user, reason or "Defined in the console.")
    audit.record(user, "pool.define", row, params, source_address=source_address)
    return row, handle


def _take_back(host, handle, known_before):
    """Undo a define whose follow-up failed: stop, undefine, drop the row made for it (not an older one)."""
    try:
        if libvirt_storage.pool_live(handle)["active"]:
            libvirt_storage.stop_pool(handle)
        uuid = libvirt_storage.pool_uuid(handle)
        libvirt_storage.undefine_pool(handle)
    except VirtError as exc:
        log.warning("could not take back pool on host %s: %s", host, exc)
        return
    Pool.objects.filter(host=host, uuid=uuid).exclude(uuid__in=known_before).delete()


# Whole sentences per action, so that each language can order its own words.
_BUSY = {
    "stop": _("Pool '{name}' cannot be stopped while a job works on its volumes: {running}. Wait for the job to "
              "end, or cancel it from Jobs, then try again."),
    "delete": _("Pool '{name}' cannot be deleted while a job works on its volumes: {running}. Wait for the job to "
                "end, or cancel it from Jobs, then try again."),
}


def _refuse_with_running_jobs(row, action):
    """Refuse to stop or delete a pool while a job moves a volume of it: libvirt lets the pool go under an upload,
    download, wipe or clone, which then ends against storage the console no longer shows (409 pool_busy)."""
    jobs = list(Job.objects.filter(state__in=ACTIVE).filter(
        Q(target_type="storage_volume", target_id__startswith=f"{row.pk}/")  # transfers: (pool row, volume)
        | Q(target_type="volume", host=row.host_id, target_label__startswith=f"{row.name}/"))  # wipes, clones
        .order_by("pk")[:5])
    if jobs:
        running = ", ".join(f"{job.kind} {job.target_label} (job {job.pk})" for job in jobs)
        raise PoolError(format_lazy(_BUSY[action], name=row.name, running=running), code="pool_busy", status=409,
                        fields={"jobs": [job.pk for job in jobs]})


def do_pool_action(user, row, handle, action, source_address=None):
    """Run action (start, stop, refresh, build, autostart, noautostart) on a pool; PoolError for an unknown one."""
    permission = ACTION_PERMISSIONS.get(action)
    if permission is None:
        raise PoolError(format_lazy(_("Unknown pool action '{action}': use one of {actions}."), action=action,
                                    actions=", ".join(ACTION_PERMISSIONS)), fields={"action": [_("Unknown.")]})
    verb = f"pool.{action}"
    audit.require(user, permission, row, verb, {}, source_address)
    if action == "stop":
        _refuse_with_running_jobs(row, "stop")
    if action == "build":
        # Building formats devices as root: the intent is on record before the call.
        audit.record(user, verb, row, {}, outcome="started", source_address=source_address)
    try:
        if action == "start":
            libvirt_storage.start_pool(handle)
        elif action == "stop":
            libvirt_storage.stop_pool(handle)
        elif action == "refresh":
            libvirt_storage.refresh_pool(handle)
        elif action == "build":
            libvirt_storage.build_pool(handle)
        else:
            libvirt_storage.set_pool_autostart(handle, action == "autostart")
    except VirtError as exc:
        audit.record(user, verb, row, {}, outcome=format_lazy("failed: {}", exc.message), source_address=source_address)
        raise
    audit.record(user, verb, row, {}, source_address=source_address)


def do_update_pool_xml(user, row, handle, xml_text, reason="", source_address=None):
    """Redefine the pool from edited XML (same name; the UUID is kept); the new PoolRevision.

    The running pool keeps its old definition until it is stopped and started again (libvirt's rule).
    """
    audit.require(user, "storage_pool.write", row, "pool.edit", {}, source_address)
    document = parse(xml_text)
    definition = checked_definition(row.host, xml_text)
    if definition.name != row.name:
        raise PoolError(format_lazy(_("The XML names the pool '{named}', but this is '{name}': a pool cannot be "
                                      "renamed; define a new one instead."), named=definition.name, name=row.name),
                        fields={"xml": [_("Name changed.")]})
    if definition.uuid is None:
        uuid_element = document.root.makeelement("uuid")
        uuid_element.text = str(row.uuid)
        document.root.find("name").addnext(uuid_element)
        xml_text = document.to_xml()
    elif definition.uuid.replace("-", "").lower() != row.uuid.hex:
        raise PoolError(format_lazy(_("The XML gives the pool another UUID ({given}): keep {uuid}."),
                                    given=definition.uuid, uuid=row.uuid), fields={"xml": [_("UUID changed.")]})
    ensure_first_revision(row, handle)
    audit.record(user, "pool.edit", row, {}, outcome="started", source_address=source_address)
    try:
        handle = libvirt_storage.define_pool(row.host, xml_text)
    except VirtError as exc:
        audit.record(user, "pool.edit", row, {}, outcome=format_lazy("failed: {}", exc.message), source_address=source_address)
        raise
    revision = _record(row, handle, user, reason or "XML edited in the console.")
    audit.record(user, "pool.edit", row, {"revision": revision.number}, source_address=source_address)
    return revision


def _pool_type(handle):
    return parse(libvirt_storage.pool_xml(handle)).root.get("type")


def do_delete_pool(user, row, handle, purge=False, source_address=None):
    """Stop the pool if it runs, delete its storage if purge (the directory, volume group, ...), undefine it.

    The row stays, marked gone, with its grants and history. Needs storage_pool.delete (host-level).
    """
    params = {"purge": bool(purge)}
    audit.require(user, "storage_pool.delete", row, "pool.delete", params, source_address)
    _refuse_with_running_jobs(row, "delete")
    audit.record(user, "pool.delete", row, params, outcome="started", source_address=source_address)
    try:
        live = libvirt_storage.pool_live(handle)
        if purge and live["persistent"] and live["volumes"] and _pool_type(handle) == "dir":
            # libvirt deletes a directory pool's storage only when it is empty: refused now, before the pool stops.
            audit.record(user, "pool.delete", row, params, outcome="refused: volumes left",
                         source_address=source_address)
            raise PoolError(format_lazy(_("Pool '{name}' still holds {count} volume(s), and its directory is removed "
                                          "only when empty: delete its volumes first, or delete the pool without "
                                          "purge to keep its directory and files on the host."),
                                        name=row.name, count=live["volumes"]),
                            code="pool_not_empty", status=409, fields={"volumes": [live["volumes"]]})
        if live["active"]:
            libvirt_storage.stop_pool(handle)  # a transient pool is gone after this
        if purge and live["persistent"]:
            try:
                libvirt_storage.delete_pool_storage(handle)
            except VirtError:
                if live["active"]:
                    libvirt_storage.start_pool(handle)  # as it was: a failed purge leaves the pool running
                raise
        if live["persistent"]:
            libvirt_storage.undefine_pool(handle)
    except VirtError as exc:
        audit.record(user, "pool.delete", row, params, outcome=format_lazy("failed: {}", exc.message),
                     source_address=source_address)
        raise
    Pool.objects.filter(pk=row.pk).update(gone=True)
    row.gone = True
    audit.record(user, "pool.delete", row, params, source_address=source_address)
