"""Migration pre-checks: what the destination must offer before anything moves, each refusal in the user's words."""

import os
from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.errors import ConsoleError
from domains.libvirt import adapter
from domains.libvirt import migration as libvirt_migration
from domains.libvirt.adapter import VirtError
from domains.networks.interface_sources import missing_code, missing_sources, missing_words

COPY_STORAGE = ("none", "all", "incremental")
# libvirt's VIR_CPU_COMPARE_INCOMPATIBLE
CPU_INCOMPATIBLE = 0


class MigrationError(ConsoleError):
    """A migration refused before it started, or failed: what and what to do."""

    code = "migration_refused"
    status = 409


@dataclass
class DiskCopy:
    """A disk whose data the migration copies: the destination volume to create first (in the chosen pool, else in
    the same-named one), at dest_path (path itself unless the chosen pool is elsewhere)."""

    target: str
    path: str
    pool: str
    volume: str
    capacity: int
    format: str
    dest_path: str = ""
    backing: tuple | None = None  # (path, format) the destination overlay is made on: an incremental copy

    @property
    def moves(self):
        """The disk lands at another path on the destination: its definition there must name the new one."""
        return bool(self.dest_path) and self.dest_path != self.path


@dataclass
class Findings:
    """What the checks learnt: the notes for the user (e.g. a check skipped, and why; said in the reader's language,
    kept in the console's in a job's result) and the disks to copy."""

    notes: list = field(default_factory=list)
    copies: list = field(default_factory=list)


def _refuse(message, code, fields=None):
    raise MigrationError(message, code=code, fields=fields)


# Where libvirt's QEMU driver looks for QEMU's TLS files (qemu.conf migrate_tls_x509_cert_dir, by default
# default_tls_x509_cert_dir), and which of them each end of a TLS migration needs.
QEMU_TLS_DIR = "/etc/pki/qemu"
QEMU_TLS_FILES = "ca-cert.pem, server-cert.pem, server-key.pem, client-cert.pem, client-key.pem"
# Words of libvirt's and QEMU's refusals of a TLS migration (missing credentials, a certificate not trusted or not
# naming the address): such a failure gets the console's advice on what to set up.
TLS_ERROR_WORDS = ("tls", "x509", "certificate", "credentials", "handshake")


def tls_advice(destination):
    return format_lazy(_("Both hosts need QEMU's TLS certificates from one CA in {directory} (or qemu.conf's "
                         "migrate_tls_x509_cert_dir): {files}, the destination's naming the address the data goes to "
                         "(host '{destination}'). scripts/make-tls-certs.sh makes them for this machine's pair. Or "
                         "migrate without tls."), directory=QEMU_TLS_DIR, files=QEMU_TLS_FILES, destination=destination)


def tls_failure(exc, destination):
    """A migration with tls that libvirt refused or that failed: MigrationError in libvirt's words, with what to set
    up when the words are about TLS; else exc itself."""
    if not any(word in exc.message.lower() for word in TLS_ERROR_WORDS):
        return exc
    did_not_start = format_lazy(_("The TLS migration to host '{destination}' did not start: {problem}."),
                                destination=destination, problem=exc.message)
    return MigrationError(format_lazy("{} {}", did_not_start, tls_advice(destination)), code="tls_failed")


def destination_connection(destination, source, tls=False):
    """The destination's open libvirt connection, refused if unreachable, of another kind or the source itself,
    or (tls) of a kind that cannot encrypt a migration."""
    if destination.pk == source.pk:
        _refuse(format_lazy(_("The domain is on host '{source}' already: pick another host as the destination."),
                            source=source), "same_host", {"destination": [_("The domain's own host.")]})
    try:
        dest_conn = adapter.connection_for(destination).get()
        source_conn = adapter.connection_for(source).get()
        kinds = libvirt_migration.driver_type(source_conn), libvirt_migration.driver_type(dest_conn)
        uuids = libvirt_migration.host_uuid(source_conn), libvirt_migration.host_uuid(dest_conn)
    except VirtError as exc:
        _refuse(format_lazy(_("Host '{destination}' cannot be reached ({problem}): check that its libvirtd runs and "
                              "answers, then try again."), destination=destination, problem=exc.message),
                "destination_unreachable")
    if kinds[0] != kinds[1]:
        _refuse(format_lazy(_("Host '{destination}' runs {destination_kind} domains and '{source}' runs "
                              "{source_kind}: a domain moves only between hosts of the same kind."),
                            destination=destination, destination_kind=kinds[1], source=source, source_kind=kinds[0]),
                "destination_other_kind")
    if tls and kinds[0] != "QEMU":
        _refuse(format_lazy(_("Hosts '{source}' and '{destination}' run {kind} domains, whose migration has no TLS "
                              "(only QEMU's has): migrate without tls."),
                            source=source, destination=destination, kind=kinds[0]),
                "tls_unavailable", {"tls": [_("Only between QEMU hosts.")]})
    if uuids[0] == uuids[1]:
        _refuse(format_lazy(_("Hosts '{source}' and '{destination}' are the same libvirtd (host UUID {uuid}): pick a "
                              "host that is another machine."), source=source, destination=destination, uuid=uuids[0]),
                "destination_same_libvirtd")
    return dest_conn


def check_cpu(dest_conn, root, destination, findings):
    """compareHypervisorCPU with the guest's CPU; a guest that names no CPU model (QEMU's default, e.g. under TCG)
    runs on any host of the same emulator, and the check says it was skipped."""
    cpu = root.find("cpu")
    mode = cpu.get("mode", "custom") if cpu is not None else None
    if cpu is None or (mode == "custom" and cpu.find("model") is None):
        findings.notes.append(_("CPU check skipped: the guest names no CPU model, so it runs QEMU's default CPU, "
                                "which any host with the same emulator offers."))
        return
    try:
        verdict = libvirt_migration.compare_cpu(dest_conn, etree.tostring(cpu, encoding="unicode"), *_caps_key(root))
    except VirtError as exc:
        _refuse(format_lazy(_("Host '{destination}' could not compare the guest's CPU with its own: {problem}. Give "
                              "the guest a CPU model both hosts offer."), destination=destination, problem=exc.message),
                "cpu_incompatible")
    if verdict == CPU_INCOMPATIBLE:
        _refuse(format_lazy(_("Host '{destination}' cannot run the guest's CPU ({mode} mode): give the guest a CPU "
                              "model both hosts offer (Definition, CPU), or pick another host."),
                            destination=destination, mode=mode), "cpu_incompatible")


def _caps_key(root):
    os_type = root.find("os/type")
    return (root.findtext("devices/emulator"), os_type.get("arch"), os_type.get("machine"), root.get("type"))


def check_emulator_and_machine(dest_conn, root, destination):
    emulator, arch, machine, virttype = _caps_key(root)
    try:
        caps = libvirt_migration.domain_capabilities(dest_conn, emulator, arch, machine, virttype)
    except VirtError as exc:
        _refuse(format_lazy(_("Host '{destination}' does not offer the guest's emulator {emulator} with machine type "
                              "{machine} ({arch}, {virttype}): {problem}. Install that QEMU there, or pick another "
                              "host."), destination=destination, emulator=emulator, machine=machine, arch=arch,
                            virttype=virttype, problem=exc.message),
                "emulator_missing")
    offered = caps.findtext("machine")
    if offered and machine and offered != machine and not machine.startswith(offered):
        _refuse(format_lazy(_("Host '{destination}' offers machine type {offered}, not the guest's {machine}: pick "
                              "another host."), destination=destination, offered=offered, machine=machine),
                "machine_missing")


def check_interface_sources(root, destination):
    missing = missing_sources(destination, root)
    if missing:
        _refuse(format_lazy(_("{missing}, which the guest's interfaces use: create them there (same names) first."),
                            missing=missing_words(destination, missing)), missing_code(missing), missing)


def check_memory(dest_conn, root, destination, running):
    if not running:
        return
    unit = {"KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "b": 1, "bytes": 1}
    current = root.find("currentMemory") if root.find("currentMemory") is not None else root.find("memory")
    needed = int(current.text) * unit.get(current.get("unit", "KiB"), 1024)
    free = libvirt_migration.free_memory(dest_conn)
    if free < needed:
        _refuse(format_lazy(_("Host '{destination}' has {free} MiB free and the guest needs {needed} MiB: free "
                              "memory there, or pick another host."),
                            destination=destination, free=free // 2**20, needed=needed // 2**20), "memory_short")


def check_not_there(dest_conn, domain, destination):
    by_uuid, by_name = libvirt_migration.lookup_domain_by(dest_conn, domain.uuid, domain.name)
    if by_uuid is not None:
        _refuse(format_lazy(_("Host '{destination}' has a domain with this domain's UUID already: remove it there "
                              "first."), destination=destination), "domain_exists")
    if by_name is not None:
        _refuse(format_lazy(_("Host '{destination}' has a domain called '{name}' already: rename one of them first."),
                            destination=destination, name=domain.name), "domain_exists")


def _disks(root):
    """(target, kind, source element) of the writable disks: those a copy of storage carries."""
    for disk in root.iterfind("devices/disk"):
        if disk.get("device", "disk") != "disk" or disk.find("readonly") is not None:
            continue
        source = disk.find("source")
        if source is not None:
            yield disk.find("target").get("dev"), disk.get("type"), source


def check_pools(source_conn, dest_conn, root, destination, copy_storage, findings, target_pools=None, pool=""):
    """Pools the disks name (type volume) must exist on the destination. A copied disk goes to the pool chosen for
    it (target_pools by disk, else pool), which must exist, run and have room; with none chosen, to the pool of
    its volume's name there (same directory). The empty destination volume is made just before the move."""
    target_pools = target_pools or {}
    dest_pools = libvirt_migration.pool_names(dest_conn)
    named = sorted({source.get("pool") for _t, kind, source in _disks(root) if kind == "volume"})
    missing = [name for name in named if name not in dest_pools]
    if missing:
        _refuse(format_lazy(_("Host '{destination}' has no storage pool {pools}, which the guest's disks name: "
                              "create it there (same name) first."), destination=destination, pools=", ".join(missing)),
                "pool_missing", {"pools": missing})
    if copy_storage == "none":
        if target_pools or pool:
            raise MigrationError(_("A pool for the copied disks was chosen, but copy_storage is none: choose all or "
                                   "incremental, or leave target_pools and pool out."), code="invalid", status=400,
                                 fields={"target_pools": [_("Only with copy_storage all or incremental.")]})
        return
    disks = list(_disks(root))
    unknown = sorted(set(target_pools) - {target for target, _k, _s in disks})
    if unknown:
        raise MigrationError(format_lazy(_("target_pools names disk {disks}, which the guest has not (or not "
                                           "writable): name its disks by target (vda, sdb, ...)."),
                                         disks=", ".join(unknown)), code="invalid", status=400,
                             fields={"target_pools": [format_lazy(_("No such disk: {disks}."),
                                                                  disks=", ".join(unknown))]})
    wanted = {}
    for target, kind, source in disks:
        path = source.get("file")
        if kind != "file" or not path:
            _refuse(format_lazy(_("Disk {target} is not a file, so the console cannot prepare its copy: migrate "
                                  "without copying storage, or copy that disk by hand first."), target=target),
                    "disk_not_copyable")
        found = libvirt_migration.find_pool_volume(source_conn, path)
        if found is None:
            _refuse(format_lazy(_("Disk {target} ({path}) is in no storage pool: put its directory in a pool so the "
                                  "destination volume can be created, or migrate without copying storage."),
                                target=target, path=path), "disk_not_in_pool")
        source_pool, vol = found
        capacity, fmt, backing = libvirt_migration.volume_facts(vol)
        chosen = target_pools.get(target) or pool
        copy = (_into_chosen_pool(dest_conn, destination, target, path, chosen, capacity, fmt, wanted) if chosen
                else _into_same_pool(dest_conn, destination, target, path, libvirt_migration.pool_name(source_pool),
                                     dest_pools, capacity, fmt))
        if copy_storage == "incremental" and backing is not None:
            copy.backing = _backing_on_destination(dest_conn, destination, target, backing)
        findings.copies.append(copy)


def _backing_on_destination(dest_conn, destination, target, backing):
    """An incremental copy carries only the top image: its backing image must be on the destination already, at
    the same path, in a pool there (so that the console can tell it is)."""
    if libvirt_migration.find_volume_seen_fresh(dest_conn, backing[0]) is None:
        _refuse(format_lazy(_("Disk {target}'s backing image {backing} is not on host '{destination}' (in none of "
                              "its pools): an incremental copy carries only the top image. Put the backing image "
                              "there at the same path, in a pool, or copy the whole disk (copy_storage all)."),
                            target=target, backing=backing[0], destination=destination),
                "backing_missing", {"backing": [backing[0]]})
    return backing


def _into_same_pool(dest_conn, destination, target, path, pool_name, dest_pools, capacity, fmt):
    dest_pool = libvirt_migration.pool_by_name(dest_conn, pool_name) if pool_name in dest_pools else None
    if dest_pool is None:
        _refuse(format_lazy(_("Host '{destination}' has no storage pool '{pool}' for disk {target}: create it there "
                              "(same name, same directory) first, or choose a pool for it (target_pools)."),
                            destination=destination, pool=pool_name, target=target),
                "pool_missing", {"pools": [pool_name]})
    if libvirt_migration.pool_target_path(dest_pool) != os.path.dirname(path):
        _refuse(format_lazy(_("Pool '{pool}' on host '{destination}' is not in {directory}, where disk {target} must "
                              "be copied to: give it the same directory, or choose it for the disk (target_pools)."),
                            pool=pool_name, destination=destination, directory=os.path.dirname(path), target=target),
                "pool_elsewhere")
    if libvirt_migration.find_pool_volume(dest_conn, path) is not None:
        _refuse(format_lazy(_("Host '{destination}' has a volume at {path} already (disk {target}): the copy would "
                              "overwrite it. Delete it there first."), destination=destination, path=path, target=target),
                "volume_exists")
    return DiskCopy(target, path, pool_name, os.path.basename(path), capacity, fmt, path)


def _into_chosen_pool(dest_conn, destination, target, path, pool_name, capacity, fmt, wanted):
    """The copy of disk target into the pool the user chose on the destination: it exists, runs, has room for the
    disk's whole capacity (what the copy may write) beside the other disks going there, and has no volume of
    that name yet."""
    dest_pool = libvirt_migration.pool_by_name(dest_conn, pool_name)
    if dest_pool is None:
        _refuse(format_lazy(_("Host '{destination}' has no storage pool '{pool}' (chosen for disk {target}): pick one "
                              "of its pools, or create it there first."),
                            destination=destination, pool=pool_name, target=target),
                "pool_missing", {"pools": [pool_name]})
    active, available = libvirt_migration.pool_state(dest_pool)
    if not active:
        _refuse(format_lazy(_("Pool '{pool}' on host '{destination}' is not running (chosen for disk {target}): start "
                              "it there first."), pool=pool_name, destination=destination, target=target),
                "pool_inactive", {"pools": [pool_name]})
    wanted[pool_name] = wanted.get(pool_name, 0) + capacity
    if available < wanted[pool_name]:
        _refuse(format_lazy(_("Pool '{pool}' on host '{destination}' has {free} MiB free and the disks copied into it "
                              "need {needed} MiB: free room there, or choose another pool."),
                            pool=pool_name, destination=destination, free=available // 2**20,
                            needed=wanted[pool_name] // 2**20),
                "pool_full", {"pools": [pool_name]})
    name = os.path.basename(path)
    dest_path = os.path.join(libvirt_migration.pool_target_path(dest_pool), name)
    if libvirt_migration.find_pool_volume(dest_conn, dest_path) is not None:
        _refuse(format_lazy(_("Pool '{pool}' on host '{destination}' has a volume {name} already (disk {target}): the "
                              "copy would overwrite it. Delete it there first."),
                            pool=pool_name, destination=destination, name=name, target=target), "volume_exists")
    return DiskCopy(target, path, pool_name, name, capacity, fmt, dest_path)


def run_checks(domain, dom, destination, running, copy_storage, target_pools=None, pool="", tls=False):
    """Every pre-check, in the order a user fixes things; MigrationError at the first that fails. Returns
    (destination connection, Findings)."""
    dest_conn = destination_connection(destination, domain.host, tls)
    source_conn = adapter.connection_for(domain.host).get()
    root = etree.fromstring(libvirt_migration.domain_xml(dom).encode())
    findings = Findings()
    check_not_there(dest_conn, domain, destination)
    check_emulator_and_machine(dest_conn, root, destination)
    check_cpu(dest_conn, root, destination, findings)
    check_interface_sources(root, destination)
    check_pools(source_conn, dest_conn, root, destination, copy_storage, findings, target_pools, pool)
    check_memory(dest_conn, root, destination, running)
    if tls and not running:
        findings.notes.append(_("tls left aside: the domain is shut off, so only its definition moves, over the "
                                "libvirt connection."))
    return dest_conn, findings
