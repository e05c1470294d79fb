"""Create a domain with its install source in one action: checked first, then volumes, seed, define, start;
whatever was made goes again when a later step fails."""

import threading
from dataclasses import dataclass, field

from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import audit, permissions
from domains.access.grants import do_give_ownership
from domains.definitions.actions import do_define
from domains.definitions.create import DEFAULT_DOMAIN_TYPE, add_console_devices, host_offer
from domains.definitions.models import RevisionSource
from domains.definitions.policy import check_change
from domains.definitions.xml import (
    add_interface,
    add_volume_disk,
    parse,
)
from domains.definitions.xml.edits import set_boot_order
from domains.install import cloud_init as seeds
from domains.install.plan import GIB, InstallError, read_plan
from domains.jobs.actions import (
    Target,
    do_start_job,
    report_progress,
    run_job_in_thread,
)
from domains.libvirt import adapter
from domains.libvirt import install as libvirt_install
from domains.libvirt import networks as libvirt_networks
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.libvirt.streams import VolumeUpload
from domains.lifecycle.actions import do_domain_action
from domains.quotas.limits import QuotaExceeded, Usage, check_quota
from domains.storage.lookups import visible_pool
from domains.storage.volumes.actions import (
    CLONE_POLL_SECONDS,
    do_create_volume,
    visible_volume,
    volume_xml,
)


@dataclass
class FreshVolume:
    """A volume the create makes: where, its name, and how (new, clone, overlay or seed)."""

    row: object
    handle: object
    name: str
    how: str
    capacity: int
    format: str
    source: object = None  # the image's virStorageVol (clone) or its {"pool", "volume"} (overlay)


@dataclass
class Prepared:
    plan: object
    arch: str
    machine: str
    domain_type: str
    fresh: list = field(default_factory=list)
    boot_volume: tuple | None = None  # (pool, volume, format) of an existing volume booted as a disk (import)
    iso: tuple | None = None  # (pool, volume) of the install medium
    seed: bytes | None = None

    @property
    def cdrom_bus(self):
        # i440fx ('pc') machines have IDE, which the demo guest's kernel reads (ata_piix); q35 has SATA only.
        return "sata" if "q35" in self.machine else "ide"


def _visible_volume(user, host, ref, permission, what):
    """The volume ref names, which what (words for the refusal) needs permission on; InstallError if it is hidden."""
    try:
        return visible_volume(user, host.pk, ref.pool, ref.volume, permission)
    except Http404 as exc:
        raise InstallError(format_lazy(_("There is no volume '{volume}' you may see on host '{host}' for the {use}: "
                                         "pick one from the host's pools (GET /api/v1/hosts/{{id}}/pools)."),
                                       volume=ref, host=host, use=what), path="install.volume") from exc


def _writable_pool(user, host, name, what):
    """The pool name, where what (words for the refusal) is made; InstallError if it is hidden."""
    try:
        row, handle = visible_pool(user, host.pk, name, "storage_vol.create")
    except Http404 as exc:
        raise InstallError(format_lazy(_("There is no active pool '{pool}' you may see on host '{host}' for the "
                                         "{use}: pick one of the host's pools."), pool=name, host=host,
                                       use=what)) from exc
    permissions.require(user, "storage_vol.data_write", row)
    return row, handle


def _format_of(vol):
    """The volume's format as QEMU reads it: a pool calls an ISO 9660 image 'iso', which QEMU reads as raw."""
    root = etree.fromstring(libvirt_storage.volume_definition(vol).encode())
    fmt = root.xpath("string(target/format/@type)") or "raw"
    return "raw" if fmt == "iso" else fmt


def _check_space(fresh):
    needed = {}
    for volume in fresh:
        # A copy fills its size now; a sparse new disk or an overlay grows later, so only copies and seeds count.
        if volume.how in ("clone", "seed"):
            needed.setdefault(volume.row.name, [volume.handle, 0])[1] += volume.capacity
    for pool, (handle, size) in needed.items():
        available = libvirt_storage.pool_space(handle, refresh=True)[3]
        if size > available:
            raise InstallError(format_lazy(_("Pool '{pool}' has {free} MiB free, and this create needs {needed} MiB "
                                             "there: free space or pick another pool."), pool=pool,
                                           free=available // (1024 * 1024), needed=size // (1024 * 1024)))


def prepare(user, host, plan):
    """Check everything against the host and the user's grants; nothing is made here."""
    offer = host_offer(host)
    arch = "x86_64" if "x86_64" in offer.arches else offer.arches[0]
    machine = (offer.machines.get(arch) or [""])[0]
    domain_type = DEFAULT_DOMAIN_TYPE if DEFAULT_DOMAIN_TYPE in offer.domain_types else offer.domain_types[0]
    prepared = Prepared(plan, arch, machine, domain_type)
    if adapter.find_domain(adapter.connection_for(host).get(), name=plan.name) is not None:
        raise InstallError(format_lazy(_("Host '{host}' has a domain called '{name}' already: pick another name."),
                                       host=host, name=plan.name), path="name")
    firmwares = libvirt_install.firmware_offer(host, domain_type if domain_type != "test" else None)
    if plan.firmware not in firmwares:
        raise InstallError(format_lazy(_("Host '{host}' does not offer {firmware} firmware (its domain capabilities "
                                         "list {firmwares}): pick one of those."), host=host, firmware=plan.firmware,
                                       firmwares=", ".join(firmwares)), path="firmware")
    needs_pools = plan.install_kind != "network" or plan.disks or plan.cloud_init
    if needs_pools and host.embedded:
        raise InstallError(format_lazy(_("Host '{host}' runs libvirt embedded, without storage pools: install from "
                                         "pools on a libvirtd host."), host=host))
    kind = plan.install_kind
    if kind == "iso":
        _row, _handle, vol = _visible_volume(user, host, plan.install_volume, "storage_vol.data_read",
                                             _("install medium"))
        prepared.iso = (plan.install_volume.pool, plan.install_volume.volume)
    elif kind == "import":
        _row, _handle, vol = _visible_volume(user, host, plan.install_volume, "storage_vol.data_write", _("boot disk"))
        prepared.boot_volume = (plan.install_volume.pool, plan.install_volume.volume, _format_of(vol))
    elif kind == "cloud-image":
        _row, _handle, image = _visible_volume(user, host, plan.install_volume, "storage_vol.data_read",
                                               _("cloud image"))
        row, handle = _writable_pool(user, host, plan.image_pool, _("cloud image's copy"))
        capacity = libvirt_storage.volume_facts(image)[1]
        image_format = _format_of(image)
        if plan.image_mode == "clone":
            prepared.fresh.append(FreshVolume(row, handle, f"{plan.name}-root.{_suffix(image_format)}", "clone",
                                              libvirt_storage.volume_facts(image)[2] or capacity, image_format, image))
        else:
            prepared.fresh.append(FreshVolume(row, handle, f"{plan.name}-root.qcow2", "overlay", capacity, "qcow2",
                                              {"pool": plan.install_volume.pool, "volume": plan.install_volume.volume}))
    for index, disk in enumerate(plan.disks):
        row, handle = _writable_pool(user, host, disk.pool, _("new disk"))
        prepared.fresh.append(FreshVolume(row, handle, f"{plan.name}-disk{index}.{_suffix(disk.format)}", "new",
                                          disk.size_gib * GIB, disk.format))
    if plan.cloud_init is not None:
        pool = plan.cloud_init.pool or (plan.image_pool if kind == "cloud-image" else "") or \
            (plan.disks[0].pool if plan.disks else "") or (plan.install_volume.pool if plan.install_volume else "")
        if not pool:
            raise InstallError(_("Say in which pool the cloud-init seed goes: cloud_init.pool."),
                               path="cloud_init.pool")
        row, handle = _writable_pool(user, host, pool, _("cloud-init seed"))
        prepared.seed = seeds.seed_image(plan.cloud_init, plan.name)
        prepared.fresh.append(FreshVolume(row, handle, f"{plan.name}-cidata.iso", "seed", len(prepared.seed), "raw"))
    for volume in prepared.fresh:
        if libvirt_storage.find_volume(volume.handle, volume.name) is not None:
            raise InstallError(format_lazy(_("Pool '{pool}' has a volume '{name}' already (left from another domain "
                                             "of this name?): delete it or pick another domain name."),
                                           pool=volume.row.name, name=volume.name), path="name")
    for network in plan.networks:
        try:
            found = libvirt_networks.find_network(host, name=network)
        except VirtError:
            found = None
        if found is None:
            raise InstallError(format_lazy(_("There is no network '{network}' on host '{host}': pick one of its "
                                             "networks."), network=network, host=host), path="interfaces")
    _check_space(prepared.fresh)
    # The definition policy judges the existing references (install medium, boot volume, networks) now; the
    # volumes made below are covered by the storage_vol.create and data_write already required on their pools.
    check_change(user, host, None, parse(definition(prepared, host, with_fresh=False)))
    return prepared


def _suffix(fmt):
    return "qcow2" if fmt == "qcow2" else "img"


def definition(prepared, host, with_fresh=True):
    """The new domain's XML: disks on volumes (vda...), CD-ROMs (install medium, seed), boot order, NICs."""
    plan = prepared.plan
    firmware = " firmware='efi'" if plan.firmware.startswith("uefi") else ""
    secure = ("\n    <firmware>\n      <feature enabled='yes' name='secure-boot'/>\n"
              "      <feature enabled='yes' name='enrolled-keys'/>\n    </firmware>") if plan.firmware == "uefi-secure" else ""
    machine = f" machine='{prepared.machine}'" if prepared.machine else ""
    smm = "\n    <smm state='on'/>" if plan.firmware == "uefi-secure" else ""
    document = parse(f"""<domain type='{prepared.domain_type}'>
  <name>{plan.name}</name>
  <memory unit='MiB'>{plan.memory_mib}</memory>
  <vcpu placement='static'>{plan.vcpus}</vcpu>
  <os{firmware}>{secure}
    <type arch='{prepared.arch}'{machine}>hvm</type>
  </os>
  <features>
    <acpi/>
    <apic/>{smm}
  </features>
  <clock offset='utc'/>
  <devices>
  </devices>
</domain>
""")
    letters = "abcdefghijklmnop"
    used = 0
    if prepared.boot_volume:
        pool, volume, fmt = prepared.boot_volume
        add_volume_disk(document, pool, volume, "vda", fmt=fmt)
        used = 1
    for volume in prepared.fresh:
        if volume.how != "seed" and with_fresh:
            add_volume_disk(document, volume.row.name, volume.name, f"vd{letters[used]}", fmt=volume.format)
        used += volume.how != "seed"
    cdroms = iter(("hdc", "hdd") if prepared.cdrom_bus == "ide" else ("sda", "sdb"))
    if prepared.iso:
        add_volume_disk(document, *prepared.iso, next(cdroms), bus=prepared.cdrom_bus, fmt="raw", device="cdrom")
    seed = next((volume for volume in prepared.fresh if volume.how == "seed"), None)
    if seed is not None and with_fresh:
        add_volume_disk(document, seed.row.name, seed.name, next(cdroms), bus=prepared.cdrom_bus, fmt="raw",
                        device="cdrom")
    order = {"iso": ["cdrom", "hd"], "network": ["network", "hd"]}.get(plan.install_kind, ["hd"])
    set_boot_order(document, order)
    for network in plan.networks:
        add_interface(document, "network", network)
    if prepared.domain_type != "test":
        add_console_devices(document, host.embedded)
    return document.to_xml()


def _copy(volume, job):
    """Copy the cloud image into the fresh volume; the job's progress is the copy's allocation, read meanwhile."""
    xml = volume_xml(volume.name, libvirt_storage.volume_facts(volume.source)[1], volume.format)
    outcome = {}

    def copy():
        try:
            outcome["made"] = libvirt_storage.clone_volume(volume.handle, xml, volume.source)
        except VirtError as exc:
            outcome["error"] = exc

    copier = threading.Thread(target=copy, name=f"install-copy-{volume.name}", daemon=True)
    copier.start()
    while copier.is_alive():
        copier.join(CLONE_POLL_SECONDS)
        so_far = libvirt_storage.find_volume(volume.handle, volume.name) if copier.is_alive() else None
        if so_far is not None and job is not None:
            try:
                report_progress(job, min(libvirt_storage.volume_facts(so_far)[2], volume.capacity))
            except VirtError:
                pass  # the volume is being built; the next poll reads again
    if "error" in outcome:
        left = libvirt_storage.find_volume(volume.handle, volume.name)
        if left is not None:
            libvirt_storage.delete_volume(left)
        raise outcome["error"]
    if job is not None:
        report_progress(job, volume.capacity)
    return outcome["made"]


def _make(user, host, volume, seed, source_address, job=None):
    """Make one fresh volume; returns its handle."""
    if volume.how == "new":
        return do_create_volume(user, volume.row, volume.handle, volume.name, volume.capacity, fmt=volume.format,
                                source_address=source_address)
    if volume.how == "overlay":
        return do_create_volume(user, volume.row, volume.handle, volume.name, volume.capacity, fmt="qcow2",
                                backing=volume.source, source_address=source_address)
    if volume.how == "clone":
        params = {"volume": libvirt_storage.volume_identity(volume.source)[0], "name": volume.name,
                  "pool": volume.row.name}
        made = _copy(volume, job)
        audit.record(user, "volume.clone", volume.row, params, source_address=source_address)
        return made
    made = do_create_volume(user, volume.row, volume.handle, volume.name, len(seed), fmt="raw",
                            source_address=source_address)
    upload = VolumeUpload(host, made, 0, len(seed))
    try:
        upload.write(seed)
        upload.finish()
    except VirtError:
        upload.abort()
        raise
    return made


def _remove(made):
    for handle in reversed(made):
        try:
            libvirt_storage.delete_volume(handle)
        except VirtError:
            pass  # gone already; the rest still goes


def carry_out(user, host, prepared, source_address=None, job=None):
    """Make the volumes, define, start if asked; on any failure remove what was made. Returns the result dict."""
    plan = prepared.plan
    made, change = [], None
    try:
        for volume in prepared.fresh:
            made.append(_make(user, host, volume, prepared.seed, source_address, job))
        change = do_define(user, host, definition(prepared, host), plan.reason or
                           f"Created to install {plan.os.name if plan.os else 'an OS'} from {plan.install_kind}",
                           RevisionSource.CREATE, source_address)
        if plan.start:
            do_domain_action(user, change.domain, "start", source_address=source_address)
    except BaseException as exc:
        audit.record(user, "domain.install", host, _params(plan), outcome=format_lazy("failed: {}", exc),
                     source_address=source_address)
        if change is not None:
            try:
                libvirt_install.undefine_fresh(host, change.domain.uuid)
            except VirtError:
                pass  # the volumes still go; the refusal below says what failed
        _remove(made)
        raise
    audit.record(user, "domain.install", change.domain, _params(plan), source_address=source_address)
    do_give_ownership(user, change.domain, source_address)
    return {"uuid": str(change.domain.uuid), "name": plan.name, "revision": change.revision.number,
            "volumes": [f"{volume.row.name}/{volume.name}" for volume in prepared.fresh], "started": plan.start,
            "os": plan.os.short_id if plan.os else None}


def _params(plan):
    return {"name": plan.name, "install": plan.install_kind, "os": plan.os.short_id if plan.os else None,
            "volume": str(plan.install_volume) if plan.install_volume else None, "firmware": plan.firmware,
            "start": plan.start}


def quota_use(host, prepared):
    """What the create adds to its creator's usage: one domain, its vCPUs and memory, and the capacities of its
    disks (the volumes it makes but the seed, and an imported boot volume)."""
    disk = sum(volume.capacity for volume in prepared.fresh if volume.how != "seed")
    if prepared.boot_volume is not None:
        pool, name, _format = prepared.boot_volume
        handle = libvirt_storage.find_pool(host, name=pool)
        volume = libvirt_storage.find_volume(handle, name) if handle is not None else None
        disk += libvirt_storage.volume_facts(volume)[1] if volume is not None else 0
    return Usage(domains=1, vcpus=prepared.plan.vcpus, memory_mib=prepared.plan.memory_mib, disk_bytes=disk)


def do_install_domain(user, host, body, source_address=None):
    """Create a domain from a structured request: (result dict, None), or (None, job) when it copies an image."""
    params = {"name": body.get("name"), "install": (body.get("install") or {}).get("kind"), "os": body.get("os")}
    audit.require(user, "define_domains", host, "domain.install", params, source_address)
    try:
        plan = read_plan(body)
        prepared = prepare(user, host, plan)
        check_quota(user, quota_use(host, prepared))
    except (InstallError, QuotaExceeded) as exc:
        audit.record(user, "domain.install", host, params, outcome=format_lazy("refused: {}", exc.message),
                     source_address=source_address)
        raise
    if not plan.copies_an_image:
        return carry_out(user, host, prepared, source_address), None
    image = prepared.fresh[0]
    job = do_start_job(user, "domain.install", Target("domain", plan.name, plan.name, host), host=host,
                       total=image.capacity, params=params, source_address=source_address)
    run_job_in_thread(job, lambda job: carry_out(user, host, prepared, source_address, job))
    return None, job
