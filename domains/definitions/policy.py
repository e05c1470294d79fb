"""The definition policy: which parts of a definition name host resources, and who may add or change them.

libvirtd and QEMU run as root, so whatever a definition names on the host (a file, a block
device, a socket, a program, a PCI device, another host's storage) root opens. libvirt's own
ACL treats domain:write as trusted; the console's roles must not. So every definition change
is judged here, old document against new: a *host reference* (anything that is not a plain
virtual device on the allowlist below) that the new definition adds, changes or re-points
needs the host-level permission HOST_RESOURCES. Host references the old definition already
held, unchanged, pass: a Power user may still change the memory of a domain an administrator
gave a host disk. Whatever the policy does not know counts as a host reference (fail closed).
An <interface type='network'> is no host reference: it needs network_port.create on its network
instead (network_interfaces.py says why that permission).
"""

from collections import Counter
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import permissions
from domains.definitions import network_interfaces
from domains.definitions.volume_disks import is_readonly, volume_grant_allows
from domains.definitions.xml import DefinitionError, ValidationIssue, parse
from domains.words import kept

HOST_RESOURCES = "host_resources"

# Children of <domain> with nothing host-side in them, checked for path-like values all the same.
_PLAIN_TOP = {
    "name", "uuid", "genid", "memory", "currentMemory", "maxMemory", "vcpu", "vcpus", "iothreads",
    "iothreadids", "defaultiothread", "cputune", "memtune", "numatune", "features", "cpu", "clock",
    "on_poweroff", "on_reboot", "on_crash", "on_lockfailure", "pm", "perf", "keywrap", "idmap", "sysinfo",
    "throttlegroups", "blkiotune", "resource", "memoryBacking",
}
# Free text libvirt stores and never acts on.
_FREE_TEXT = {"title", "description", "metadata"}
_PLAIN_OS = {"type", "boot", "bootmenu", "smbios", "bios", "cmdline", "firmware"}
# Devices that are virtual hardware only, when nothing in them looks like a host path.
_PLAIN_DEVICES = {"video", "memballoon", "watchdog", "controller", "sound", "panic", "hub", "iommu", "vsock",
                  "crypto", "memory", "pstore"}
_CHARDEVS = {"serial", "parallel", "console", "channel"}
# Character device backends that libvirt manages itself, with no host path chosen by the user.
_PLAIN_CHARDEV_TYPES = {"pty", "null", "vc", "spicevmc", "spiceport", "qemu-vdagent", "dbus"}
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Attributes whose value is a host path (or socket) whatever it looks like.
_PATH_ATTRIBUTES = {"file", "path", "socket", "dir", "template", "rendernode", "script", "downscript", "tap",
                    "vhost", "dev"}
# Attributes that are secrets, never part of what a reference names (XML is shown without them).
_SECRET_ATTRIBUTES = {"passwd", "passwdValidTo", "connected"}
# Parts of a host-referencing device that do not name the host resource: changing them is a plain edit.
_DISK_PLAIN_CHILDREN = {"target", "address", "alias", "boot", "iotune", "serial", "wwn", "vendor", "product",
                        "readonly", "shareable", "transient", "geometry", "blockio"}
_DEVICE_PLAIN_CHILDREN = {"target", "address", "alias", "boot", "model", "mac", "link", "mtu", "coalesce"}
_INTERFACE_PLAIN_CHILDREN = {"mac", "model", "address", "alias", "boot", "link", "mtu", "driver", "bandwidth",
                             "coalesce", "tune", "guest", "acpi", "teaming", "filterref", "port", "source"}


@dataclass(frozen=True)
class HostReference:
    """One thing a definition names on the host: what it is, what identifies it, and where it is written."""

    kind: str
    identity: str
    element: str
    line: int | None
    path: str
    names: str

    def describe(self):
        element = (format_lazy(_("<{element}> at line {line}"), element=self.element, line=self.line) if self.line
                   else f"<{self.element}>")
        if self.names:
            return format_lazy("{}: {} ({})", element, self.kind, self.names)
        return format_lazy("{}: {}", element, self.kind)


class DefinitionPolicyRefusal(DefinitionError):
    """A change that adds or re-points host references the user may not name; issues list each one."""

    code = "definition_policy"
    status = 403
    permission = HOST_RESOURCES

    def as_api_error(self):
        # Each offending element with its line, and the permission that would allow it.
        return self.status, self.code, str(self.message), {"xml": self.as_dicts(), "permission": self.permission}


def _local(element):
    return etree.QName(element).localname


def _is_element(node):
    return isinstance(node.tag, str)


def _canonical(element, drop_children=frozenset()):
    """The element as text that ignores attribute order, layout, comments and secrets."""
    attributes = " ".join(f"{etree.QName(k).text}={v!r}" for k, v in sorted(element.attrib.items())
                          if k not in _SECRET_ATTRIBUTES)
    text = (element.text or "").strip()
    children = [_canonical(child) for child in element if _is_element(child) and _local(child) not in drop_children]
    return f"<{etree.QName(element).text} {attributes}>{text}{''.join(sorted(children))}</>"


def _path_like(element):
    """The first host-path-like value in element's subtree ("" if none): what the fail-closed net catches."""
    for node in element.iter():
        if not _is_element(node):
            continue
        if _local(node) == "seclabel":
            return "a security label"
        for name, value in node.attrib.items():
            local = etree.QName(name).localname
            if value.startswith("/") or "://" in value or (local in _PATH_ATTRIBUTES and local != "dev"):
                return f"{local}={value}"
        text = (node.text or "").strip()
        if text.startswith("/") or "://" in text:
            return text
    return ""


def _names(element):
    """The values that name the host resource, for the refusal message."""
    found = []
    for node in element.iter():
        if not _is_element(node) or _local(node) in ("target", "address", "alias", "driver", "model"):
            continue
        for name, value in node.attrib.items():
            local = etree.QName(name).localname
            if local in _PATH_ATTRIBUTES or local in ("name", "pool", "volume", "protocol", "network", "bridge",
                                                      "address", "listen", "type", "port", "mode"):
                if local not in _SECRET_ATTRIBUTES and f"{local}={value}" not in found:
                    found.append(f"{local}={value}")
        text = (node.text or "").strip()
        if text:
            found.append(text)
    return ", ".join(found)[:200]


class _Collector:
    def __init__(self, document):
        self.document = document
        self.tree = document.root.getroottree()
        self.references = []

    def add(self, kind, element, drop_children=frozenset()):
        position = self.document.position(element)
        line = position[0] if position else element.sourceline
        self.references.append(HostReference(
            # The kind is said in the reader's language; what identifies the reference must not depend on it.
            kind=kind, identity=f"{kept(kind)}|{_canonical(element, drop_children)}",
            element=etree.QName(element).localname,
            line=line, path=self.tree.getpath(element), names=_names(element)))

    def plain_unless_path(self, kind, element):
        if _path_like(element):
            self.add(kind, element)


def host_references(document):
    """Every host reference in a parsed definition, in document order."""
    collector = _Collector(document)
    for child in document.root:
        if not _is_element(child):
            continue
        name = _local(child)
        if etree.QName(child).namespace:
            collector.add(_("passthrough to the hypervisor (a namespaced element such as qemu:commandline)"), child)
        elif name in _FREE_TEXT:
            continue
        elif name in _PLAIN_TOP:
            collector.plain_unless_path(_host_path_in(name), child)
        elif name == "os":
            _os(collector, child)
        elif name == "devices":
            for device in child:
                if _is_element(device):
                    _device(collector, device)
        elif name == "seclabel":
            collector.add(_("a security label (host confinement)"), child)
        else:
            collector.add(_("an element the definition policy does not know"), child)
    return collector.references


def _host_path_in(element_name):
    return format_lazy(_("a host path in <{element}>"), element=element_name)


def _os(collector, os_element):
    for child in os_element:
        if not _is_element(child):
            continue
        name = _local(child)
        if name in _PLAIN_OS and not etree.QName(child).namespace:
            if name != "cmdline":  # the guest kernel's command line: guest text, not a host path
                collector.plain_unless_path(format_lazy(_("a host path in <os><{element}>"), element=name), child)
        elif name == "loader" and not (child.text or "").strip():
            collector.plain_unless_path(_("a firmware path"), child)  # libvirt picks the firmware itself
        elif name == "nvram" and not (child.text or "").strip() and not len(child) and not child.attrib:
            continue
        elif name in ("kernel", "initrd", "dtb", "loader", "nvram"):
            collector.add(format_lazy(_("a host file for the {element}"), element=name), child)
        else:
            collector.add(format_lazy(_("<os><{element}> names something on the host"), element=name), child)


def _loopback_graphics(graphics):
    if graphics.get("type") not in ("vnc", "spice"):
        return False
    if graphics.get("listen") not in (None, *_LOOPBACK) or graphics.get("socket"):
        return False
    # A port the user picks is a host port bound by root; autoport leaves the choice to libvirt.
    if graphics.get("autoport") != "yes" and graphics.get("port") not in (None, "-1"):
        return False
    if graphics.get("tlsPort") not in (None, "-1") or graphics.get("websocket") not in (None, "-1"):
        return False
    for listen in graphics.iterfind("listen"):
        kind = listen.get("type")
        if kind == "address" and listen.get("address") not in (None, *_LOOPBACK):
            return False
        if kind == "socket" and listen.get("socket"):
            return False
        if kind not in ("address", "socket", "none"):
            return False
    return not _path_like(graphics)


def _device(collector, device):
    name = _local(device)
    kind = device.get("type")
    if etree.QName(device).namespace:
        collector.add(_("passthrough to the hypervisor (a namespaced device)"), device)
    elif name == "emulator":
        collector.add(_("the emulator program libvirt runs as root"), device)
    elif name == "disk":
        if device.find("source") is None and device.find("backingStore/source") is None and \
                kind not in ("network", "volume", "nvme", "vhostuser", "vhostvdpa"):
            collector.plain_unless_path(_("a disk's host path"), device)  # an empty CD-ROM or floppy drive
        else:
            label = (_("another host's storage") if kind == "network"
                     else format_lazy(_("a host {type} as a disk"), type=kind or "file"))
            collector.add(label, device, _DISK_PLAIN_CHILDREN)
    elif name == "interface":
        named = {_local(c) for c in device if _is_element(c)} - _INTERFACE_PLAIN_CHILDREN
        if kind in ("user", "network") and not named and not _path_like(device):
            return
        collector.add(format_lazy(_("a host network device ({type} interface)"), type=kind)
                      if kind not in ("user", "network") else _("a host tap device, script or backend"),
                      device, _DEVICE_PLAIN_CHILDREN)
    elif name in _CHARDEVS:
        source = device.find("source")
        managed_unix = kind == "unix" and (source is None or not source.get("path"))
        if (kind in _PLAIN_CHARDEV_TYPES or managed_unix or kind is None) and not _path_like(device):
            return
        collector.add(format_lazy(_("a {type} character device backend on the host"), type=kind), device,
                      _DEVICE_PLAIN_CHILDREN)
    elif name == "graphics":
        if not _loopback_graphics(device):
            collector.add(_("a display listening beyond the host's loopback, or on a host socket"), device)
    elif name == "input":
        if kind in ("passthrough", "evdev") or _path_like(device):
            collector.add(_("a host input device"), device, _DEVICE_PLAIN_CHILDREN)
    elif name == "audio":
        if kind not in ("none", "spice") or _path_like(device):
            collector.add(_("a host audio backend"), device)
    elif name == "rng":
        backend = device.find("backend")
        model = backend.get("model") if backend is not None else None
        source = (backend.text or "").strip() if backend is not None else ""
        if not (model == "builtin" or (model == "random" and source in ("", "/dev/random", "/dev/urandom"))):
            collector.add(_("a host entropy source"), device, _DEVICE_PLAIN_CHILDREN)
    elif name == "redirdev":
        if kind != "spicevmc" or _path_like(device):
            collector.add(_("a USB redirection from a host socket"), device, _DEVICE_PLAIN_CHILDREN)
    elif name == "smartcard":
        if device.get("mode") != "passthrough" or kind != "spicevmc" or _path_like(device):
            collector.add(_("a host smartcard"), device, _DEVICE_PLAIN_CHILDREN)
    elif name == "tpm":
        backend = device.find("backend")
        if backend is None or backend.get("type") != "emulator" or _path_like(device):
            collector.add(_("a host TPM"), device, _DEVICE_PLAIN_CHILDREN)
    elif name in ("hostdev", "filesystem", "shmem", "lease", "seclabel"):
        collector.add(format_lazy(_("a host {element} (passthrough of the host's own resource)"), element=name),
                      device, _DEVICE_PLAIN_CHILDREN)
    elif name in _PLAIN_DEVICES:
        collector.plain_unless_path(_host_path_in(name), device)
    else:
        collector.add(_("a device the definition policy does not know"), device)


def new_references(old_document, new_document):
    """The host references of new_document that old_document (None: nothing) does not hold identically."""
    held = Counter(r.identity for r in host_references(old_document)) if old_document is not None else Counter()
    added = []
    for reference in host_references(new_document):
        if held[reference.identity] > 0:
            held[reference.identity] -= 1
        else:
            added.append(reference)
    return added


def _disk_of(document, reference):
    if reference.element != "disk":
        return None
    found = document.root.getroottree().xpath(reference.path)
    return found[0] if found else None


def _made_writable(old_document, new_document):
    """Disk references the old definition held read-only only, now writable (readonly is otherwise a plain edit)."""
    if old_document is None:
        return []
    old_disks = Counter()
    for reference in host_references(old_document):
        disk = _disk_of(old_document, reference)
        if disk is not None:
            old_disks[(reference.identity, is_readonly(disk))] += 1
    found = []
    for reference in host_references(new_document):
        disk = _disk_of(new_document, reference)
        if disk is None or is_readonly(disk):
            continue
        if old_disks[(reference.identity, False)] > 0:
            old_disks[(reference.identity, False)] -= 1
        elif old_disks[(reference.identity, True)] > 0:
            old_disks[(reference.identity, True)] -= 1
            found.append(reference)
    return found


def _allowed_by_pool_grant(user, host, document, reference):
    """(allowed, hint): a disk that is a volume of a pool user may write (read, if read-only) needs no more."""
    disk = _disk_of(document, reference)
    if disk is None:
        return False, ""
    return volume_grant_allows(user, host, disk)


def _needs_host_resources(reference, hint):
    if hint:
        return format_lazy(_("{reference} needs the host-level permission '{permission}' {alternative}."),
                           reference=reference.describe(), permission=HOST_RESOURCES, alternative=hint)
    return format_lazy(_("{reference} needs the host-level permission '{permission}'."),
                       reference=reference.describe(), permission=HOST_RESOURCES)


def check_change(user, target, old_xml, new_document):
    """Raise DefinitionPolicyRefusal if new_document adds or re-points host references user may not name.

    target is the Domain changed or the Host a domain is created on; old_xml its current
    definition (None when creating).
    """
    if permissions.has_perm(user, HOST_RESOURCES, target):
        return
    old_document = parse(old_xml) if old_xml else None
    added = new_references(old_document, new_document) + _made_writable(old_document, new_document)
    host = getattr(target, "host", target)
    refused = []
    for reference in added:
        allowed, hint = _allowed_by_pool_grant(user, host, new_document, reference)
        if not allowed:
            refused.append((reference, hint))
    # <interface type='network'>: allowed on networks the user may plug into (network_interfaces.py).
    unplugged = network_interfaces.refused_network_uses(user, host, old_document, new_document)
    if not refused and not unplugged:
        return
    issues = [ValidationIssue(_needs_host_resources(r, hint), r.line, None, r.path) for r, hint in refused]
    issues += [ValidationIssue(format_lazy("{}: {}.", use.describe(), why), use.line, None, use.path)
               for use, why, _permission in unplugged]
    parts = []
    if refused:
        listed = [format_lazy("{} ({})", r.describe(), hint) if hint else r.describe() for r, hint in refused]
        parts.append(format_lazy(_("This change names host resources, which needs the host-level permission "
                                   "'{permission}' (libvirt opens them as root): {references}."),
                                 permission=HOST_RESOURCES, references=format_lazy("; ".join(["{}"] * len(listed)),
                                                                                   *listed)))
    if unplugged:
        parts.append(format_lazy(_("This change plugs interfaces into networks you may not use: {interfaces}."),
                                 interfaces=network_interfaces.describe(unplugged)))
    parts.append(_("Nothing was changed. Keep these elements as they were, or ask an administrator of the host (or "
                   "of the network) to make this change."))
    refusal = DefinitionPolicyRefusal(format_lazy(" ".join(["{}"] * len(parts)), *parts))
    refusal.issues = issues
    if not refused:
        refusal.permission = unplugged[0][2]
    raise refusal
