"""Create a domain from what a host offers (getDomainCapabilities): arch, machine, firmware, disk, network."""

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import audit
from domains.access.grants import do_give_ownership
from domains.definitions.actions import do_define
from domains.definitions.models import RevisionSource
from domains.definitions.xml import (
    DefinitionError,
    add_console,
    add_file_disk,
    add_interface,
    add_serial,
    add_volume_disk,
    parse,
    set_graphics,
)
from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError, translated_errors
from domains.quotas.limits import check_quota, definition_use

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")
# TCG unless KVM is proven to work: nested KVM can hang a guest (docs/DESIGN.md).
DEFAULT_DOMAIN_TYPE = "qemu"


@dataclass
class HostOffer:
    """What the create form may offer on one host."""

    domain_types: list = field(default_factory=list)
    arches: list = field(default_factory=list)
    machines: dict = field(default_factory=dict)  # arch -> machine names (canonical first)
    firmwares: list = field(default_factory=lambda: ["bios"])
    emulator: str | None = None
    pools: list = field(default_factory=list)  # "pool/volume" names (libvirtd hosts only)
    networks: list = field(default_factory=list)
    embedded: bool = False


def _xml(text):
    return etree.fromstring(text.encode(), etree.XMLParser(resolve_entities=False, no_network=True))


def _listed(call):
    """A list libvirt may not support on this driver (the embedded one has no storage or networks): [] then."""
    try:
        with translated_errors():
            return call()
    except VirtError:
        return []


def host_offer(host):
    conn = adapter.connection_for(host).get()
    offer = HostOffer(embedded=host.embedded)
    with translated_errors():
        capabilities = _xml(conn.getCapabilities())
    for guest in capabilities.iterfind("guest"):
        if guest.findtext("os_type") != "hvm":
            continue
        arch = guest.find("arch")
        offer.arches.append(arch.get("name"))
        offer.machines[arch.get("name")] = [m.get("canonical") or m.text for m in arch.iterfind("machine")]
        offer.machines[arch.get("name")] = list(dict.fromkeys(offer.machines[arch.get("name")]))
        for domain in arch.iterfind("domain"):
            if domain.get("type") not in offer.domain_types:
                offer.domain_types.append(domain.get("type"))
    offer.domain_types.sort(key=lambda kind: kind != DEFAULT_DOMAIN_TYPE)
    try:
        with translated_errors():
            domain_caps = _xml(conn.getDomainCapabilities())
    except VirtError:
        domain_caps = None  # the test driver has none: the capabilities above are enough
    if domain_caps is not None:
        offer.emulator = domain_caps.findtext("path")
        offer.firmwares += [v.text for v in domain_caps.iterfind("os/enum[@name='firmware']/value") if v.text != "bios"]
        arch = domain_caps.findtext("arch")
        machine = domain_caps.findtext("machine")
        if arch in offer.machines and machine in offer.machines[arch]:
            offer.machines[arch].remove(machine)
            offer.machines[arch].insert(0, machine)
            offer.arches.sort(key=lambda name: name != arch)
    if not host.embedded:
        for pool in _listed(lambda: conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE)):
            offer.pools += [f"{pool.name()}/{volume.name()}" for volume in _listed(pool.listAllVolumes)]
        offer.networks = [network.name() for network in _listed(conn.listAllNetworks)]
    return offer


@dataclass
class NewDomain:
    name: str
    arch: str
    machine: str
    domain_type: str = DEFAULT_DOMAIN_TYPE
    firmware: str = "bios"
    vcpus: int = 1
    memory_mib: int = 512
    disk: str = "new"  # "new", "volume" or "none"
    disk_dir: str = ""
    disk_gib: int = 8
    volume: str = ""
    network: str = "user"  # "user", "network:<name>", "bridge:<name>" or "none"


def _check(spec, offer):
    if not _NAME_RE.match(spec.name or ""):
        raise DefinitionError(format_lazy(_("{name} is not a usable domain name: use letters, digits, '.', '_' or "
                                            "'-' (up to 63), starting with a letter or digit."), name=repr(spec.name)),
                              path="/domain/name")
    if spec.arch not in offer.arches:
        raise DefinitionError(format_lazy(_("This host cannot run {arch} guests; pick one of {arches}."),
                                          arch=repr(spec.arch), arches=", ".join(offer.arches)))
    if offer.machines.get(spec.arch) and spec.machine not in offer.machines[spec.arch]:
        raise DefinitionError(format_lazy(_("Machine type {machine} is not offered for {arch}; pick one from the "
                                            "list."), machine=repr(spec.machine), arch=spec.arch))
    if spec.domain_type not in offer.domain_types:
        raise DefinitionError(format_lazy(_("Virtualization type {type} is not offered; use one of {types}."),
                                          type=repr(spec.domain_type), types=", ".join(offer.domain_types)))
    if spec.firmware not in offer.firmwares:
        raise DefinitionError(format_lazy(_("Firmware {firmware} is not offered; use one of {firmwares}."),
                                          firmware=repr(spec.firmware), firmwares=", ".join(offer.firmwares)))
    if not (1 <= spec.vcpus <= 4096 and 1 <= spec.memory_mib <= 16 * 1024 * 1024):
        raise DefinitionError(_("Give at least 1 vCPU and at least 1 MiB of memory."))
    if spec.disk == "volume" and spec.volume not in offer.pools:
        raise DefinitionError(format_lazy(_("There is no storage volume {volume} on this host; pick one from the "
                                            "list."), volume=repr(spec.volume)))
    if spec.disk == "new":
        directory = Path(spec.disk_dir or "")
        if not directory.is_absolute() or not directory.is_dir():
            raise DefinitionError(format_lazy(_("The disk directory {directory} is not an existing absolute directory "
                                                "on the console's host; create it first or pick another."),
                                              directory=repr(spec.disk_dir)))
        if (directory / f"{spec.name}.qcow2").exists():
            raise DefinitionError(format_lazy(_("{path} already exists; pick another name or directory, or attach the "
                                                "file as a disk after creating the domain."),
                                              path=directory / (spec.name + ".qcow2")))
        if not 1 <= spec.disk_gib <= 65536:
            raise DefinitionError(_("The new disk's size must be 1 to 65536 GiB."))


def new_domain_xml(spec, offer, disk_path=None):
    """The definition, assembled with the same lossless edits the forms use.

    No <emulator>: libvirt fills in the host's default one, and naming a program is host-level.
    """
    firmware = " firmware='efi'" if spec.firmware == "efi" else ""
    machine = f" machine='{spec.machine}'" if spec.machine and offer.machines.get(spec.arch) else ""
    features = "\n  <features>\n    <acpi/>\n    <apic/>\n  </features>" if spec.arch in ("x86_64", "i686") else ""
    document = parse(f"""<domain type='{spec.domain_type}'>
  <name>{spec.name}</name>
  <memory unit='MiB'>{spec.memory_mib}</memory>
  <vcpu placement='static'>{spec.vcpus}</vcpu>
  <os{firmware}>
    <type arch='{spec.arch}'{machine}>hvm</type>
    <boot dev='hd'/>
  </os>{features}
  <clock offset='utc'/>
  <devices>
  </devices>
</domain>
""")
    if disk_path:
        add_file_disk(document, disk_path, "vda")
    elif spec.disk == "volume":
        pool, _slash, volume = spec.volume.partition("/")
        add_volume_disk(document, pool, volume, "vda", fmt=None)
    kind, _, source = spec.network.partition(":")
    if kind in ("network", "bridge", "user"):
        add_interface(document, kind, source or None)
    if spec.domain_type != "test":
        add_console_devices(document, offer.embedded)
    return document.to_xml()


def add_console_devices(document, embedded):
    """A serial port, its console and a VNC screen, which the console's own sessions open."""
    add_serial(document)
    add_console(document)
    if embedded:
        # The console reaches an embedded guest's screen through libvirt (openGraphics), so it
        # listens nowhere: a TCP port would be a VNC server without auth for every local user.
        graphics = set_graphics(document, "vnc")
        graphics.attrib.pop("autoport", None)
        graphics.append(etree.Element("listen", type="none"))
    else:
        set_graphics(document, "vnc", "127.0.0.1")


def _create_image(path, size_gib):
    try:
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), f"{size_gib}G"], check=True,
                       capture_output=True, text=True, timeout=60)
    except FileNotFoundError as exc:
        raise DefinitionError(
            _("qemu-img is not installed on the console's host (Debian package qemu-utils).")) from exc
    except subprocess.CalledProcessError as exc:
        raise DefinitionError(format_lazy(_("qemu-img could not create {path}: {error}"), path=path,
                                          error=exc.stderr.strip())) from exc


def do_create_domain(user, host, spec, source_address=None):
    """Create the disk image (if asked), then define; the image goes again if the define fails."""
    audit.require(user, "define_domains", host, "domain.create", {"name": spec.name}, source_address)
    offer = host_offer(host)
    _check(spec, offer)
    disk_path = Path(spec.disk_dir) / f"{spec.name}.qcow2" if spec.disk == "new" else None
    xml = new_domain_xml(spec, offer, str(disk_path) if disk_path else None)
    check_quota(user, definition_use(host, xml, disk_bytes=spec.disk_gib * 1024 ** 3 if disk_path else None))
    if disk_path:
        _create_image(disk_path, spec.disk_gib)
    try:
        change = do_define(user, host, xml, f"Created from the host's capabilities ({spec.arch}, {spec.machine})",
                           RevisionSource.CREATE, source_address)
    except Exception:  # whatever refused the domain, the fresh image would be left unused
        if disk_path:
            disk_path.unlink(missing_ok=True)
        raise
    do_give_ownership(user, change.domain, source_address)
    return change
