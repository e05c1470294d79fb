"""Hypothesis strategies for every structured edit, with the elements each one may touch."""

from dataclasses import dataclass, field
from typing import Callable

from hypothesis import strategies as st
from lxml import etree

from domains.definitions.xml import device_edits as devices
from domains.definitions.xml import edits
from domains.definitions.xml.lossless import escape_attribute, escape_text
from domains.definitions.xml.placement import children

# Text a user might type, XML-hostile characters included (control characters are refused).
typed_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)
printable = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, blacklist_categories=("Cs",)),
                    min_size=1, max_size=20)
free_devs = st.sampled_from(["vdq", "vdr", "sdq", "hdq", "vda", "sda", "fdb", "xvdq", "bad"])
macs = st.sampled_from(["52:54:00:aa:00:01", "52:54:00:AA:00:02", "01:00:5e:00:00:01", "nope",
                        "52:54:00:12:34:56", "fa:16:3e:11:22:33"])
NAMESPACES = ["https://virtconsole.example/ns/1", "http://libosinfo.org/xmlns/libvirt/domain/1.0",
              "urn:example:notes", "https://example.org/ns/new"]


@dataclass
class Edit:
    """One edit: `apply` runs it on a document and returns the new elements it created.

    `touched(root)` names the elements the edit may change, looked up the same way
    before and after; `check(document)` asserts that the edit had its effect.
    """

    name: str
    apply: Callable
    touched: Callable = lambda root: []
    check: Callable = lambda document: None
    params: dict = field(default_factory=dict)

    def __repr__(self):
        return f"Edit({self.name}, {self.params})"


def _devices(root, name):
    found = root.find("devices")
    return children(found, name) if found is not None else []


def _nth(name, index, sub=None):
    def touched(root):
        items = _devices(root, name)
        if index >= len(items):
            return []
        return [items[index]] if sub is None else items[index].findall(sub)
    return touched


@st.composite
def any_edit(draw, root) -> Edit:
    disks = _devices(root, "disk")
    nics = _devices(root, "interface")
    makers = ["title", "description", "vcpus", "memory", "boot_order", "boot_menu", "file_disk",
              "volume_disk", "interface", "graphics", "serial", "console", "set_metadata", "remove_metadata"]
    if disks:
        makers += ["disk_bus", "disk_cache", "remove_disk"]
    if nics:
        makers += ["remove_interface", "interface_model", "interface_source", "interface_mac"]
    if _devices(root, "graphics"):
        makers += ["remove_graphics"]
    if _devices(root, "serial"):
        makers += ["remove_serial"]
    if _devices(root, "console"):
        makers += ["remove_console"]
    kind = draw(st.sampled_from(makers))
    return draw(_MAKERS[kind](root))


def _title(root):
    return st.builds(lambda t: Edit("set_title", lambda d: edits.set_title(d, t), lambda r: r.findall("title"),
                                    lambda d: _expect(d.root.findtext("title"), t or None), {"title": t}),
                     st.one_of(st.none(), typed_text))


def _description(root):
    return st.builds(lambda t: Edit("set_description", lambda d: edits.set_description(d, t),
                                    lambda r: r.findall("description"),
                                    lambda d: _expect(d.root.findtext("description"), t or None), {"text": t}),
                     st.one_of(st.none(), typed_text))


def _vcpus(root):
    @st.composite
    def make(draw):
        maximum = draw(st.integers(0, 12))
        current = draw(st.one_of(st.none(), st.integers(0, 13)))
        return Edit("set_vcpus", lambda d: edits.set_vcpus(d, maximum, current), lambda r: r.findall("vcpu"),
                    lambda d: _expect(d.root.findtext("vcpu").strip(), str(maximum)),
                    {"maximum": maximum, "current": current})
    return make()


def _memory(root):
    @st.composite
    def make(draw):
        unit = draw(st.sampled_from(["KiB", "MiB", "GiB", "b", "parsec"]))
        memory = draw(st.integers(0, 4096))
        current = draw(st.one_of(st.none(), st.integers(1, 4096)))
        return Edit("set_memory", lambda d: edits.set_memory(d, memory, unit, current),
                    lambda r: r.findall("memory") + r.findall("currentMemory"),
                    params={"memory": memory, "unit": unit, "current": current})
    return make()


def _boot_order(root):
    return st.builds(lambda devs: Edit("set_boot_order", lambda d: edits.set_boot_order(d, devs),
                                       lambda r: r.findall("os/boot"),
                                       lambda d: _expect([b.get("dev") for b in d.root.iterfind("os/boot")], devs),
                                       {"devices": devs}),
                     st.lists(st.sampled_from(["hd", "cdrom", "network", "fd", "usb"]), max_size=4))


def _boot_menu(root):
    return st.builds(lambda on, timeout: Edit("set_boot_menu", lambda d: edits.set_boot_menu(d, on, timeout),
                                              lambda r: r.findall("os/bootmenu"), params={"enabled": on, "timeout": timeout}),
                     st.booleans(), st.one_of(st.none(), st.integers(-5, 70000)))


def _file_disk(root):
    @st.composite
    def make(draw):
        path = draw(st.sampled_from(["/", "relative/"])) + draw(printable)
        dev, bus = draw(free_devs), draw(st.sampled_from(["virtio", "sata", "scsi", "usb", "warp"]))
        device = draw(st.sampled_from(["disk", "cdrom"]))
        cache = draw(st.sampled_from([None, "none", "writeback", "bogus"]))
        return Edit("add_file_disk", lambda d: [devices.add_file_disk(d, path, dev, bus=bus, device=device, cache=cache)],
                    params={"path": path, "dev": dev, "bus": bus, "device": device, "cache": cache})
    return make()


def _volume_disk(root):
    @st.composite
    def make(draw):
        pool, volume, dev = draw(printable), draw(printable), draw(free_devs)
        return Edit("add_volume_disk", lambda d: [devices.add_volume_disk(d, pool, volume, dev, fmt=None)],
                    params={"pool": pool, "volume": volume, "dev": dev})
    return make()


def _disk_ref(draw, root):
    index = draw(st.integers(0, len(_devices(root, "disk")) - 1))
    target = _devices(root, "disk")[index].find("target")
    return index, target.get("dev") if target is not None else "vdz"


def _disk_bus(root):
    @st.composite
    def make(draw):
        index, dev = _disk_ref(draw, root)
        bus = draw(st.sampled_from(["virtio", "sata", "scsi", "ide", "floppy-bus"]))
        new_dev = draw(st.sampled_from([None, "sdy", "vdy"]))
        return Edit("set_disk_bus", lambda d: devices.set_disk_bus(d, dev, bus, new_dev), _nth("disk", index),
                    params={"dev": dev, "bus": bus, "new_dev": new_dev})
    return make()


def _disk_cache(root):
    @st.composite
    def make(draw):
        index, dev = _disk_ref(draw, root)
        cache = draw(st.sampled_from([None, "none", "writethrough", "unsafe", "bogus"]))
        return Edit("set_disk_cache", lambda d: devices.set_disk_cache(d, dev, cache), _nth("disk", index, "driver"),
                    params={"dev": dev, "cache": cache})
    return make()


def _remove_disk(root):
    @st.composite
    def make(draw):
        index, dev = _disk_ref(draw, root)
        return Edit("remove_disk", lambda d: devices.remove_disk(d, dev), _nth("disk", index), params={"dev": dev})
    return make()


def _interface(root):
    @st.composite
    def make(draw):
        kind = draw(st.sampled_from(["network", "bridge", "user", "direct", "vdpa"]))
        source = draw(st.one_of(st.none(), printable))
        model = draw(st.sampled_from([None, "virtio", "e1000e", "token-ring"]))
        mac = draw(st.one_of(st.none(), macs))
        return Edit("add_interface", lambda d: [devices.add_interface(d, kind, source, model=model, mac=mac)],
                    params={"kind": kind, "source": source, "model": model, "mac": mac})
    return make()


def _nic_index(draw, root):
    return draw(st.integers(0, len(_devices(root, "interface")) - 1))


def _nic_edit(name, function, value_strategy, sub=None):
    def maker(root):
        @st.composite
        def make(draw):
            index = _nic_index(draw, root)
            value = draw(value_strategy)
            return Edit(name, lambda d: function(d, index, value), _nth("interface", index, sub),
                        params={"index": index, "value": value})
        return make()
    return maker


def _interface_source(root):
    @st.composite
    def make(draw):
        index = _nic_index(draw, root)
        kind = draw(st.sampled_from(["network", "bridge", "user"]))
        source = draw(st.one_of(st.none(), printable))
        return Edit("set_interface_source", lambda d: devices.set_interface_source(d, index, kind, source),
                    _nth("interface", index), params={"index": index, "kind": kind, "source": source})
    return make()


def _graphics(root):
    @st.composite
    def make(draw):
        kind = draw(st.sampled_from(["vnc", "spice", "rdp"]))
        listen = draw(st.sampled_from([None, "127.0.0.1", "0.0.0.0", "::1"]))
        return Edit("set_graphics", lambda d: [devices.set_graphics(d, kind, listen)],
                    lambda r: [g for g in _devices(r, "graphics") if g.get("type") == kind],
                    params={"kind": kind, "listen": listen})
    return make()


def _remove_graphics(root):
    kinds = st.sampled_from(sorted({g.get("type") for g in _devices(root, "graphics")} | {"rdp"}))
    return st.builds(lambda kind: Edit("remove_graphics", lambda d: devices.remove_graphics(d, kind),
                                       lambda r: [g for g in _devices(r, "graphics") if g.get("type") == kind][:1],
                                       params={"kind": kind}), kinds)


def _serial(root):
    return st.builds(lambda kind, port: Edit("add_serial", lambda d: [devices.add_serial(d, kind, port)],
                                             params={"kind": kind, "port": port}),
                     st.sampled_from(["pty", "null", "telepathy"]), st.one_of(st.none(), st.integers(0, 4)))


def _remove_serial(root):
    def touched(port):
        return lambda r: [s for s in _devices(r, "serial")
                          if s.find("target") is not None and s.find("target").get("port", "0") == str(port)][:1]
    return st.builds(lambda port: Edit("remove_serial", lambda d: devices.remove_serial(d, port), touched(port),
                                       params={"port": port}), st.integers(0, 4))


def _console(root):
    return st.builds(lambda kind, target, port: Edit("add_console", lambda d: [devices.add_console(d, kind, target, port)],
                                                     params={"kind": kind, "target": target, "port": port}),
                     st.sampled_from(["pty", "null"]), st.sampled_from(["serial", "virtio", "hdmi"]), st.integers(0, 2))


def _remove_console(root):
    def touched(target, port):
        def find(r):
            for console in _devices(r, "console"):
                t = console.find("target")
                if t is not None and t.get("type", "serial") == target and t.get("port", "0") == str(port):
                    return [console]
            return []
        return find
    return st.builds(lambda target, port: Edit("remove_console", lambda d: devices.remove_console(d, target, port),
                                               touched(target, port), params={"target": target, "port": port}),
                     st.sampled_from(["serial", "virtio"]), st.integers(0, 2))


def _metadata_child(namespace):
    def find(r):
        metadata = r.find("metadata")
        if metadata is None:
            return []
        return [c for c in metadata.iterchildren(tag=etree.Element) if c.tag.startswith(f"{{{namespace}}}")]
    return find


def _set_metadata(root):
    @st.composite
    def make(draw):
        namespace = draw(st.sampled_from(NAMESPACES + [""]))
        value = draw(typed_text)
        prefix = draw(st.sampled_from(["app", "vc", "libosinfo"]))
        xmlns = f" xmlns:{prefix}='{namespace}'" if namespace else ""
        tag = f"{prefix}:info" if namespace else "info"
        snippet = (f"<{tag}{xmlns} note='{escape_attribute(value)}'>\n  <{tag}>{escape_text(value)}</{tag}>\n</{tag}>")

        def touched(r):
            if root.find("metadata") is None:  # created by the edit: all of it is new
                return r.findall("metadata")
            return _metadata_child(namespace)(r)
        return Edit("set_metadata", lambda d: [edits.set_metadata(d, snippet)], touched,
                    params={"snippet": snippet})
    return make()


def _remove_metadata(root):
    return st.builds(lambda ns: Edit("remove_metadata", lambda d: edits.remove_metadata(d, ns), _metadata_child(ns),
                                     params={"namespace": ns}), st.sampled_from(NAMESPACES))


def _expect(actual, wanted):
    assert actual == wanted, (actual, wanted)


_MAKERS = {
    "title": _title, "description": _description, "vcpus": _vcpus, "memory": _memory,
    "boot_order": _boot_order, "boot_menu": _boot_menu, "file_disk": _file_disk, "volume_disk": _volume_disk,
    "disk_bus": _disk_bus, "disk_cache": _disk_cache, "remove_disk": _remove_disk, "interface": _interface,
    "remove_interface": _nic_edit("remove_interface", lambda d, i, v: devices.remove_interface(d, i), st.just(None)),
    "interface_model": _nic_edit("set_interface_model", lambda d, i, v: devices.set_interface_model(d, i, v),
                                 st.sampled_from(["virtio", "e1000", "token-ring"]), "model"),
    "interface_source": _interface_source,
    "interface_mac": _nic_edit("set_interface_mac", lambda d, i, v: devices.set_interface_mac(d, i, v), macs, "mac"),
    "graphics": _graphics, "remove_graphics": _remove_graphics, "serial": _serial, "remove_serial": _remove_serial,
    "console": _console, "remove_console": _remove_console, "set_metadata": _set_metadata,
    "remove_metadata": _remove_metadata,
}
