"""Migrating a domain to another host as a job (progress from libvirt's job statistics, cancel, post-copy switch).

Every refusal (permissions, options, the pre-checks of checks.py) is made before the job starts, so a refused
request changes nothing. libvirt's migrate call blocks: it runs on a thread of its own while the job's thread polls
jobStats for the progress and watches for a cancel, which aborts libvirt's job and leaves the guest running on the
source. Once libvirt says the guest runs on the destination, the domain's row moves there (moves.py).
"""

import threading
import time
from dataclasses import dataclass, field

from django.db import connection
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import audit
from domains.access.lookups import libvirt_domain
from domains.errors import ConsoleError
from domains.jobs.actions import JobCancelled, do_start_job, report_progress, run_job_in_thread
from domains.jobs.models import Job
from domains.libvirt import adapter
from domains.libvirt import migration as libvirt_migration
from domains.libvirt.adapter import VirtError
from domains.migration.checks import COPY_STORAGE, MigrationError, run_checks, tls_failure
from domains.migration.moves import move_row, moving
from domains.words import kept

ACTION = "domain.migrate"
PERMISSION = "migrate"  # libvirt's domain:migrate, on the source domain
# On the destination host: the domain is defined (write) and, if it runs, started there (start).
DESTINATION_PERMISSIONS = ("write", "start")
POLL_SECONDS = 0.25
DETAIL_EVERY = 1.0


@dataclass
class MigrationOptions:
    """What the user asked, in the API's words (see serializers.MigrationSerializer)."""

    live: bool = True
    copy_storage: str = "none"
    postcopy: bool = False
    bandwidth: int | None = None  # MiB/s
    max_downtime: int | None = None  # ms
    auto_converge: bool = False
    compressed: bool = False
    persist: bool = True
    undefine_source: bool = False
    peer_to_peer: bool = False
    tunnelled: bool = False
    tls: bool = False  # QEMU encrypts the migration stream itself (native TLS), with each host's certificates
    unsafe: bool = False
    migration_address: str = ""
    target_pools: dict = field(default_factory=dict)  # disk target -> pool on the destination its copy goes to
    pool: str = ""  # the pool on the destination every copied disk goes to, unless target_pools names another

    def as_params(self):
        return {key: value for key, value in self.__dict__.items()}


def _refused(user, domain, params, source_address, exc):
    audit.record(user, ACTION, domain, params, outcome=format_lazy("refused: {}", exc.message),
                 source_address=source_address)
    raise exc


def _flags(options, running):
    m = libvirt_migration
    if not running:
        return m.OFFLINE | m.PERSIST_DEST | (m.UNDEFINE_SOURCE if options.undefine_source else 0)
    chosen = {m.LIVE: options.live, m.PERSIST_DEST: options.persist, m.UNDEFINE_SOURCE: options.undefine_source,
              m.NON_SHARED_DISK: options.copy_storage == "all", m.NON_SHARED_INC: options.copy_storage == "incremental",
              m.POSTCOPY: options.postcopy, m.AUTO_CONVERGE: options.auto_converge, m.COMPRESSED: options.compressed,
              m.PEER_TO_PEER: options.peer_to_peer, m.TUNNELLED: options.tunnelled, m.TLS: options.tls, m.UNSAFE: options.unsafe}
    flags = 0
    for flag, wanted in chosen.items():
        if wanted:
            flags |= flag
    return flags


def _check_options(options, running, destination):
    if options.copy_storage not in COPY_STORAGE:
        known = ", ".join(COPY_STORAGE)
        raise MigrationError(format_lazy(_("copy_storage '{chosen}' is not one the console knows: use {known}."),
                                         chosen=options.copy_storage, known=known), code="invalid", status=400,
                             fields={"copy_storage": [format_lazy(_("One of {known}."), known=known)]})
    if not running:
        if not options.persist:
            raise MigrationError(_("The domain is shut off, so only its definition can move: keep persist on (a "
                                   "stopped domain that is not kept on the destination would vanish)."),
                                 code="offline_needs_persist",
                                 fields={"persist": [_("Must be true when shut off.")]})
        if options.copy_storage != "none":
            raise MigrationError(_("The domain is shut off: libvirt copies no storage for a stopped domain. Start it "
                                   "first, or copy its disks by hand and migrate without copying storage."),
                                 code="offline_no_copy", fields={"copy_storage": [_("Only 'none' when shut off.")]})
    if options.tunnelled and not options.peer_to_peer:
        raise MigrationError(_("A tunnelled migration goes through the libvirtds, so it needs peer_to_peer too."),
                             code="invalid", status=400, fields={"tunnelled": [_("Needs peer_to_peer.")]})
    if options.tls and options.tunnelled:
        raise MigrationError(_("Choose tunnelled or tls, not both: a tunnelled migration travels inside the "
                               "libvirtds' own connection (encrypted when the destination is reached over "
                               "qemu+tls://), tls makes QEMU encrypt its own direct stream."),
                             code="invalid", status=400, fields={"tls": [_("Not with tunnelled.")]})
    if options.peer_to_peer and libvirt_migration.migration_address(destination.uri) is None:
        raise MigrationError(format_lazy(_("Host '{destination}' is reached through a local URI ({uri}), which the "
                                           "source's libvirtd cannot use to reach it: migrate directly (peer_to_peer "
                                           "off), or add the destination by a network URI (qemu+tcp://, "
                                           "qemu+tls://)."), destination=destination, uri=destination.uri),
                             code="p2p_needs_remote",
                             fields={"peer_to_peer": [_("The destination's URI is local.")]})


def _libvirt_params(options, destination):
    params = {}
    address = options.migration_address or libvirt_migration.migration_address(destination.uri)
    if address and not options.tunnelled:
        params[libvirt_migration.PARAM_URI] = f"tcp://{address}"
    if options.bandwidth:
        params[libvirt_migration.PARAM_BANDWIDTH] = int(options.bandwidth)
    return params


def destination_xml(dom, copies):
    """libvirt's DEST_XML and PERSIST_XML params naming the new paths of the disks copied into another directory
    on the destination; {} when every copy keeps its path (libvirt then uses the source's own XML)."""
    moved = {copy.target: copy.dest_path for copy in copies if copy.moves}
    if not moved:
        return {}
    m = libvirt_migration
    return {m.PARAM_DEST_XML: _with_disk_paths(m.domain_xml(dom, m.XML_MIGRATABLE), moved),
            m.PARAM_PERSIST_XML: _with_disk_paths(m.domain_xml(dom, m.XML_MIGRATABLE_INACTIVE), moved)}


def _with_disk_paths(xml, moved):
    root = etree.fromstring(xml.encode())
    for disk in root.iterfind("devices/disk"):
        target = disk.find("target")
        source = disk.find("source")
        if target is not None and source is not None and target.get("dev") in moved:
            source.set("file", moved[target.get("dev")])
    return etree.tostring(root, encoding="unicode")


def do_migrate(user, domain, destination, options, source_address=None):
    """Start a job moving domain to host destination; returns the job. Refuses (nothing moved) what the options,
    the user's permissions or the destination do not allow."""
    params = {"destination": destination.pk, **options.as_params()}
    audit.require(user, PERMISSION, domain, ACTION, params, source_address)
    for permission in DESTINATION_PERMISSIONS:
        audit.require(user, permission, destination, ACTION, params, source_address)
    try:
        dom = libvirt_domain(domain)
        running = adapter.is_running(dom)
        _check_options(options, running, destination)
        dest_conn, findings = run_checks(domain, dom, destination, running, options.copy_storage,
                                         options.target_pools, options.pool, tls=options.tls)
    except ConsoleError as exc:
        _refused(user, domain, params, source_address, exc)
    flags = _flags(options, running)
    libvirt_params = _libvirt_params(options, destination)
    libvirt_params.update(destination_xml(dom, findings.copies))
    job = do_start_job(user, ACTION, domain, unit="bytes", params=params, cancellable=running,
                       source_address=source_address)
    source = domain.host

    def work(job):
        with moving(domain, destination):
            made = _create_destination_volumes(dest_conn, findings.copies)
            try:
                _run(job, dom, dest_conn, destination, options, flags, libvirt_params, running)
            except VirtError as exc:
                _remove_volumes(made)
                raise tls_failure(exc, destination) if flags & libvirt_migration.TLS else exc
            except BaseException:
                _remove_volumes(made)
                raise
            move_row(domain, destination)
        dest_dom = libvirt_migration.lookup_domain_by(dest_conn, domain.uuid, domain.name)[0]
        stats = libvirt_migration.completed_stats(dest_dom) if dest_dom is not None and running else {}
        return {"source": source.pk, "destination": destination.pk, "live": running and options.live,
                "offline": not running, "copied_disks": [copy.target for copy in findings.copies],
                "copied_to": {copy.target: {"pool": copy.pool, "path": copy.dest_path} for copy in findings.copies},
                "notes": [kept(note) for note in findings.notes], "downtime_ms": stats.get("downtime"),
                "statistics": stats}

    run_job_in_thread(job, work)
    return job


def _create_destination_volumes(dest_conn, copies):
    made = []
    try:
        for copy in copies:
            pool = libvirt_migration.pool_by_name(dest_conn, copy.pool)
            made.append(libvirt_migration.create_volume(pool, copy.volume, copy.capacity, copy.format, copy.backing))
    except VirtError:
        _remove_volumes(made)
        raise
    return made


def _remove_volumes(made):
    """A failed or cancelled migration leaves no volume it made on the destination."""
    for vol in made:
        try:
            libvirt_migration.delete_volume(vol)
        except VirtError:
            continue


def _run(job, dom, dest_conn, destination, options, flags, params, running):
    """Run libvirt's migration on a thread and follow it from here until it ends; JobCancelled once a cancel
    aborted it (the guest then still runs on the source)."""
    outcome = {}

    def migrate():
        try:
            if options.peer_to_peer:
                libvirt_migration.migrate_peer_to_peer(dom, destination.uri, params, flags)
            else:
                libvirt_migration.migrate_direct(dom, dest_conn, params, flags)
        except BaseException as exc:  # carried over to the job's thread, which raises it
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=migrate, name=f"job-{job.pk}-migrate", daemon=True)
    thread.start()
    try:
        _follow(job, dom, thread, options, running)
    except JobCancelled:
        _abort(dom, thread)
        if "error" in outcome:
            raise
        # The abort came too late: libvirt had finished, the guest runs on the destination.
        return
    if "error" in outcome:
        raise outcome["error"]


def _follow(job, dom, thread, options, running):
    downtime_set = not options.max_downtime
    last_detail = float("-inf")
    while thread.is_alive():
        stats = libvirt_migration.job_stats(dom) if running else {}
        if stats and not downtime_set:
            try:
                libvirt_migration.set_max_downtime(dom, int(options.max_downtime))
                downtime_set = True
            except VirtError:
                pass  # the job is not far enough yet to take it: the next poll tries again
        now = time.monotonic()
        if stats and now - last_detail >= DETAIL_EVERY:
            job.detail = {key: value for key, value in stats.items() if key != "type"}
            Job.objects.filter(pk=job.pk).update(detail=job.detail)
            last_detail = now
        report_progress(job, stats.get("data_processed", 0), stats.get("data_total") or None)
        thread.join(POLL_SECONDS)


def _abort(dom, thread):
    """Abort libvirt's job until the migrate call ends (a cancel may come before libvirt's job began)."""
    while thread.is_alive():
        try:
            libvirt_migration.abort_job(dom)
        except VirtError:
            pass  # no job yet, or over already: the loop sees which
        thread.join(POLL_SECONDS)


def do_switch_to_postcopy(user, job, source_address=None):
    """Switch a running migration started with postcopy to post-copy: the guest runs on the destination from now,
    its remaining memory pulled from the source. Refused unless the job is such a migration and still runs."""
    from domains.lifecycle.models import Domain

    domain = Domain.objects.filter(pk=job.target_id).select_related("host").first() if job.kind == ACTION else None
    if domain is None:
        raise MigrationError(format_lazy(_("Job {job} is no migration: only a running migration switches to "
                                           "post-copy."), job=job.pk), code="not_a_migration")
    params = {"job": job.pk}
    audit.require(user, PERMISSION, domain, "domain.migrate_postcopy", params, source_address)
    if not job.active:
        raise MigrationError(format_lazy(_("Migration job {job} is over already ({state}): nothing to switch."),
                                         job=job.pk, state=job.state), code="job_ended")
    if not job.params.get("postcopy"):
        raise MigrationError(format_lazy(_("Migration job {job} was started without postcopy: libvirt switches only "
                                           "a migration started with it. Cancel it and start again with postcopy."),
                                         job=job.pk), code="postcopy_not_enabled")
    libvirt_migration.start_postcopy(libvirt_domain(domain))
    audit.record(user, "domain.migrate_postcopy", domain, params, source_address=source_address)
    return Job.objects.get(pk=job.pk)
