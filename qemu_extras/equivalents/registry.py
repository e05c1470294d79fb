"""Registry of QEMU extras that have a generic libvirt equivalent, and lossless rewrites to use it.

Devices passed through with -device map to <devices> elements here; monitor
commands map to libvirt API calls in api_calls.py (re-exported here).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.definitions.xml import placement
from domains.definitions.xml.safe_xml import parse
from qemu_extras.equivalents.api_calls import (
    MONITOR_EQUIVALENTS,
    ApiEquivalent,
    monitor_equivalent,
)
from qemu_extras.namespace.commandline_checks import QEMU_NS, split_qemu_opts

_ARG = f"{{{QEMU_NS}}}arg"
_COMMANDLINE = f"{{{QEMU_NS}}}commandline"


def version_number(text):
    """libvirt's integer form of "major.minor.micro" (what virGetLibVersion returns)."""
    major, minor, micro = (int(part) for part in text.split("."))
    return major * 1_000_000 + minor * 1_000 + micro


def version_text(number):
    return f"{number // 1_000_000}.{number // 1_000 % 1_000}.{number % 1_000}"


class NotLossless(Exception):
    """This particular use of an extra cannot be rewritten without changing what QEMU gets (the reason lazy: said in
    the reader's language)."""

    def __str__(self):
        return str(self.args[0])


@dataclass
class Built:
    """The generic element replacing one -device, where it goes, and the libvirt it needs."""

    container: str  # "devices" or "features"
    element: etree._Element
    since: str
    notes: list = field(default_factory=list)


class _Props:
    """The -device properties still to be mapped; anything left over means "not lossless"."""

    def __init__(self, driver, props):
        self.driver = driver
        self.left = dict(props)
        self.notes = []
        qemu_id = self.left.pop("id", None)
        if qemu_id:
            self.notes.append(f"QEMU id '{qemu_id}' is replaced by libvirt's own device alias")

    def take(self, key):
        return self.left.pop(key, None)

    def switch(self, key):
        value = self.take(key)
        if value is None:
            return None
        if value in ("on", "yes", "true"):
            return "on"
        if value in ("off", "no", "false"):
            return "off"
        raise NotLossless(format_lazy(_("{driver}: {key}={value} is not on/off"), driver=self.driver, key=key,
                                     value=value))

    def pci_address(self):
        """<address type='pci'> for bus=pci.0|pcie.0 and addr=slot[.function], or None."""
        bus, addr = self.take("bus"), self.take("addr")
        if bus not in (None, "pci.0", "pcie.0"):
            raise NotLossless(format_lazy(_("{driver}: bus={bus} is not the root bus; place the device by hand"),
                                         driver=self.driver, bus=bus))
        if addr is None:
            return None
        slot, _dot, function = addr.partition(".")
        try:
            slot_number, function_number = int(slot, 16), int(function or "0", 16)
        except ValueError as exc:
            raise NotLossless(format_lazy(_("{driver}: addr={addr} is not slot[.function]"), driver=self.driver,
                                         addr=addr)) from exc
        return placement.build("address", {
            "type": "pci", "domain": "0x0000", "bus": "0x00",
            "slot": f"0x{slot_number:02x}", "function": f"0x{function_number:x}",
        })

    def done(self, container, element, since):
        if self.left:
            extra = ", ".join(f"{key}={value}" for key, value in self.left.items())
            raise NotLossless(format_lazy(_("{driver}: {extra} has no generic mapping in this registry"),
                                         driver=self.driver, extra=extra))
        return Built(container, element, since, self.notes)


def _later(*versions):
    return max(versions, key=version_number)


def _rng(model, model_since):
    def build(p):
        # Without rng=, QEMU (4.2 and later) feeds the device from its builtin
        # getrandom() backend: exactly <backend model='builtin'/>.
        if p.take("rng") is not None:
            raise NotLossless(format_lazy(_("{driver}: rng= points at an -object backend; rewrite both by hand"),
                                         driver=p.driver))
        rng = placement.build("rng", {"model": model})
        since = _later("6.1.0", model_since)
        max_bytes, period = p.take("max-bytes"), p.take("period")
        if max_bytes is not None:
            rng.append(placement.build("rate", {"bytes": max_bytes, "period": period}))
            since = _later(since, "1.0.4")
        elif period is not None:
            raise NotLossless(format_lazy(_("{driver}: period= without max-bytes= has no <rate> equivalent"),
                                         driver=p.driver))
        rng.append(placement.build("backend", {"model": "builtin"}))
        address = p.pci_address()
        if address is not None:
            rng.append(address)
        return p.done("devices", rng, since)
    return build


def _simple(tag, attributes, since, pci=True, container="devices"):
    def build(p):
        element = placement.build(tag, attributes)
        address = p.pci_address() if pci else None
        if address is not None:
            element.append(address)
        return p.done(container, element, since)
    return build


def _isa_panic(p):
    panic = placement.build("panic", {"model": "isa"})
    ioport = p.take("ioport")
    if ioport is not None:
        try:
            iobase = int(ioport, 0)
        except ValueError as exc:
            raise NotLossless(format_lazy(_("{driver}: ioport={ioport} is not a number"), driver=p.driver,
                                         ioport=ioport)) from exc
        panic.append(placement.build("address", {"type": "isa", "iobase": f"0x{iobase:x}"}))
    return p.done("devices", panic, "1.3.5")


def _balloon(p):
    since = "0.8.3"
    attributes = {"model": "virtio"}
    autodeflate, reporting = p.switch("deflate-on-oom"), p.switch("free-page-reporting")
    if autodeflate:
        attributes["autodeflate"], since = autodeflate, _later(since, "1.3.1")
    if reporting:
        attributes["freePageReporting"], since = reporting, _later(since, "6.9.0")
    balloon = placement.build("memballoon", attributes)
    address = p.pci_address()
    if address is not None:
        balloon.append(address)
    return p.done("devices", balloon, since)


def _vsock(p):
    cid = p.take("guest-cid")
    if cid is None:
        raise NotLossless(format_lazy(_("{driver}: no guest-cid=; QEMU needs one"), driver=p.driver))
    vsock = placement.build("vsock", {"model": "virtio"})
    vsock.append(placement.build("cid", {"auto": "no", "address": cid}))
    address = p.pci_address()
    if address is not None:
        vsock.append(address)
    return p.done("devices", vsock, "4.4.0")


# intel-iommu property -> (<driver> attribute, libvirt version adding it)
_INTEL_IOMMU_DRIVER = {
    "intremap": ("intremap", "3.4.0"), "caching-mode": ("caching_mode", "3.4.0"),
    "eim": ("eim", "3.4.0"), "device-iotlb": ("iotlb", "3.5.0"),
}


def _intel_iommu(p):
    iommu = placement.build("iommu", {"model": "intel"})
    since, driver = "2.1.0", {}
    for prop, (attribute, attribute_since) in _INTEL_IOMMU_DRIVER.items():
        value = p.switch(prop)
        if value:
            driver[attribute], since = value, _later(since, attribute_since)
    aw_bits = p.take("aw-bits")
    if aw_bits:
        driver["aw_bits"], since = aw_bits, _later(since, "6.5.0")
    if driver:
        iommu.append(placement.build("driver", driver))
    return p.done("devices", iommu, since)


@dataclass(frozen=True)
class DeviceEquivalent:
    """A QEMU -device driver libvirt models natively, and since which libvirt."""

    driver: str
    generic: str
    since: str
    build: Callable | None = None
    unique: bool = False  # libvirt/QEMU allow only one: refuse when the definition has one
    why_manual: str = ""  # when build is None
    # (path, markup) that must exist in the definition for libvirt to accept the element
    requires: tuple = ()

    @property
    def tag(self):
        return self.generic.split()[0].strip("<>/")


_NEEDS_OBJECT = _("it refers to an -object/-chardev backend, which must be rewritten with it by hand")

# Versions from libvirt's formatdomain documentation ("Since x.y.z").
DEVICE_EQUIVALENTS = {entry.driver: entry for entry in (
    DeviceEquivalent("virtio-rng-pci", "<rng model='virtio'> with <backend model='builtin'/>",
                     "6.1.0", _rng("virtio", "1.0.3")),
    DeviceEquivalent("virtio-rng-pci-transitional", "<rng model='virtio-transitional'>", "6.1.0",
                     _rng("virtio-transitional", "5.2.0")),
    DeviceEquivalent("virtio-rng-pci-non-transitional", "<rng model='virtio-non-transitional'>",
                     "6.1.0", _rng("virtio-non-transitional", "5.2.0")),
    # 1.3.5 is a safe lower bound: <panic> dates from 1.2.1, its model values
    # are documented between 1.3.0 and 1.3.5.
    DeviceEquivalent("pvpanic", "<panic model='isa'/>", "1.3.5", _isa_panic, unique=True),
    DeviceEquivalent("pvpanic-pci", "<panic model='pvpanic'/>", "9.1.0",
                     _simple("panic", {"model": "pvpanic"}, "9.1.0"), unique=True),
    DeviceEquivalent("vmcoreinfo", "<vmcoreinfo state='on'/> in <features>", "4.4.0",
                     _simple("vmcoreinfo", {"state": "on"}, "4.4.0", pci=False,
                             container="features"), unique=True),
    DeviceEquivalent("i6300esb", "<watchdog model='i6300esb'/>", "0.7.3",
                     _simple("watchdog", {"model": "i6300esb"}, "0.7.3"), unique=True),
    DeviceEquivalent("ib700", "<watchdog model='ib700'/>", "0.7.3",
                     _simple("watchdog", {"model": "ib700"}, "0.7.3", pci=False), unique=True),
    DeviceEquivalent("virtio-balloon-pci", "<memballoon model='virtio'/>", "0.8.3", _balloon,
                     unique=True),
    # <input type='tablet'/'mouse'> are documented without a version; every
    # libvirt since 1.0.0 has them.
    DeviceEquivalent("usb-tablet", "<input type='tablet' bus='usb'/>", "1.0.0",
                     _simple("input", {"type": "tablet", "bus": "usb"}, "1.0.0", pci=False)),
    DeviceEquivalent("usb-mouse", "<input type='mouse' bus='usb'/>", "1.0.0",
                     _simple("input", {"type": "mouse", "bus": "usb"}, "1.0.0", pci=False)),
    DeviceEquivalent("usb-kbd", "<input type='keyboard' bus='usb'/>", "1.2.2",
                     _simple("input", {"type": "keyboard", "bus": "usb"}, "1.2.2", pci=False)),
    DeviceEquivalent("virtio-tablet-pci", "<input type='tablet' bus='virtio'/>", "1.3.0",
                     _simple("input", {"type": "tablet", "bus": "virtio"}, "1.3.0")),
    DeviceEquivalent("virtio-mouse-pci", "<input type='mouse' bus='virtio'/>", "1.3.0",
                     _simple("input", {"type": "mouse", "bus": "virtio"}, "1.3.0")),
    DeviceEquivalent("virtio-keyboard-pci", "<input type='keyboard' bus='virtio'/>", "1.3.0",
                     _simple("input", {"type": "keyboard", "bus": "virtio"}, "1.3.0")),
    DeviceEquivalent("vhost-vsock-pci", "<vsock model='virtio'>", "4.4.0", _vsock, unique=True),
    DeviceEquivalent("intel-iommu", "<iommu model='intel'/>", "2.1.0", _intel_iommu, unique=True),
    DeviceEquivalent("virtio-iommu-pci", "<iommu model='virtio'/>", "8.3.0",
                     _simple("iommu", {"model": "virtio"}, "8.3.0"), unique=True,
                     requires=("features/acpi", "<features><acpi/></features>")),
    DeviceEquivalent("ivshmem-plain", "<shmem> with <model type='ivshmem-plain'/>", "1.2.10",
                     why_manual=_NEEDS_OBJECT),
    DeviceEquivalent("ivshmem-doorbell", "<shmem> with <model type='ivshmem-doorbell'/>",
                     "1.2.10", why_manual=_NEEDS_OBJECT),
    DeviceEquivalent("virtio-crypto-pci", "<crypto model='virtio' type='qemu'>", "9.0.0",
                     why_manual=_NEEDS_OBJECT),
    DeviceEquivalent("tpm-tis", "<tpm model='tpm-tis'>", "1.0.5", why_manual=_NEEDS_OBJECT),
    DeviceEquivalent("tpm-crb", "<tpm model='tpm-crb'>", "4.4.0", why_manual=_NEEDS_OBJECT),
)}


@dataclass(frozen=True)
class ExtraUse:
    """One use of an extra in a definition that the core could express."""

    arg_index: int  # index of the first <qemu:arg> of the extra
    driver: str
    generic: str
    since: str
    available: bool  # the host's libvirt has the generic equivalent
    rewritable: bool  # and this use can be rewritten automatically
    reason: str = ""  # why not, when it cannot


@dataclass(frozen=True)
class Rewrite:
    """A definition change replacing one extra by its generic equivalent, to review as a diff."""

    description: str
    since: str
    new_xml_text: str


def parse_device_spec(spec):
    """(driver, properties) of a -device value: "drv,k=v,..." or QEMU's JSON form."""
    if spec.lstrip().startswith("{"):
        try:
            props = json.loads(spec)
        except json.JSONDecodeError as exc:
            raise NotLossless(format_lazy(_("-device {spec} is not valid JSON"), spec=repr(spec))) from exc
        props = {key: _json_prop(value) for key, value in props.items()}
    else:
        pairs = split_qemu_opts(spec)
        props = {key: value for key, value in pairs[1:] if key}
        if pairs[0][0] is None:
            props["driver"] = pairs[0][1]
        else:
            props[pairs[0][0]] = pairs[0][1]
        bare = [value for key, value in pairs[1:] if key is None]
        if bare:
            raise NotLossless(format_lazy(_("-device {spec}: bare flag(s) {flags}"), spec=spec, flags=", ".join(bare)))
    return props.pop("driver", ""), props


def _json_prop(value):
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _device_args(root):
    """(index of '-device' arg, [arg elements], spec) for each -device in <qemu:commandline>."""
    commandline = root.find(_COMMANDLINE)
    if commandline is None:
        return
    args = list(commandline.iterchildren(_ARG))
    i = 0
    while i < len(args):
        value = args[i].get("value", "")
        option, sep, inline = value.partition("=")
        if option in ("-device", "--device"):
            if sep:
                yield i, [args[i]], inline
            elif i + 1 < len(args):
                yield i, [args[i], args[i + 1]], args[i + 1].get("value", "")
                i += 1
        i += 1


def _existing(root, entry):
    container = root.find("features" if entry.tag == "vmcoreinfo" else "devices")
    return [] if container is None else container.findall(entry.tag)


def _plan(root, index, spec, libvirt_version):
    """(ExtraUse, Built or None) for one -device, or None when the registry does not know it."""
    try:
        driver, props = parse_device_spec(spec)
    except NotLossless:
        # Not a -device this registry could read, so not one it knows.
        return None
    entry = DEVICE_EQUIVALENTS.get(driver)
    if entry is None:
        return None
    built, reason = None, entry.why_manual
    if entry.build is not None:
        try:
            built = entry.build(_Props(driver, props))
            clash = [e for e in _existing(root, entry)
                     if not (entry.tag == "memballoon" and e.get("model") == "none")]
            if entry.unique and clash:
                raise NotLossless(format_lazy(_("the definition already has a <{tag}>; only one is allowed"),
                                             tag=entry.tag))
            if entry.requires and root.find(entry.requires[0]) is None:
                raise NotLossless(format_lazy(_("libvirt accepts {generic} only with {required}; add it first"),
                                              generic=entry.generic, required=entry.requires[1]))
        except NotLossless as exc:
            built, reason = None, exc.args[0]
    since = built.since if built else entry.since
    available = libvirt_version >= version_number(since)
    if not available:
        reason = format_lazy(_("needs libvirt {since}; this host has {version}"), since=since,
                             version=version_text(libvirt_version))
    use = ExtraUse(index, driver, entry.generic, since, available, built is not None and available,
                   "" if built is not None and available else reason)
    return use, built


def find_extras(domain_xml_text, libvirt_version):
    """Every -device passthrough in the definition with a generic equivalent in the registry."""
    document = parse(domain_xml_text)
    plans = (_plan(document.root, i, spec, libvirt_version)
             for i, _args, spec in _device_args(document.root))
    return [plan[0] for plan in plans if plan is not None]


def _apply(document, arg_elements, built):
    root = document.root
    container = placement.ensure(root, built.container)
    if built.element.tag == "memballoon":
        for disabled in container.findall("memballoon"):
            placement.remove(disabled)
    placement.insert(container, built.element)
    commandline = arg_elements[0].getparent()
    for arg in arg_elements:
        placement.remove(arg)
    # An emptied <qemu:commandline> goes too; one that still holds a comment
    # stays, since the comment is the user's.
    if len(commandline) == 0:
        placement.remove(commandline)
    return document.to_xml()


def suggest_rewrites(domain_xml_text, libvirt_version):
    """One Rewrite per -device passthrough this host's libvirt can express generically."""
    document = parse(domain_xml_text)
    rewrites = []
    for index, args, spec in list(_device_args(document.root)):
        plan = _plan(document.root, index, spec, libvirt_version)
        if plan is None or not plan[0].rewritable:
            continue
        use, built = plan
        # Each rewrite starts from the original text, so each can be reviewed alone.
        fresh = parse(domain_xml_text)
        fresh_args = next(found for i, found, _spec in _device_args(fresh.root) if i == index)
        text = _apply(fresh, fresh_args, built)
        notes = "".join(f"; {note}" for note in built.notes)
        description = (f"Replace the passthrough -device {spec} by the generic {use.generic} "
                       f"(libvirt {use.since}){notes}.")
        rewrites.append(Rewrite(description, use.since, text))
    return rewrites


__all__ = [
    "ApiEquivalent", "DEVICE_EQUIVALENTS", "DeviceEquivalent", "ExtraUse", "MONITOR_EQUIVALENTS",
    "NotLossless", "Rewrite", "find_extras", "monitor_equivalent",
    "parse_device_spec", "suggest_rewrites", "version_number", "version_text",
]
