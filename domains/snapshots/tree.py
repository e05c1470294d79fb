"""A domain's snapshots as libvirt holds them: each one's facts (kind, state, overlays) and the tree they form."""

from datetime import datetime, timezone

from lxml import etree

from domains.errors import ConsoleError
from domains.libvirt import snapshots as libvirt_snapshots
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError

INTERNAL = "internal"
EXTERNAL_DISK_ONLY = "external_disk_only"
EXTERNAL_WITH_MEMORY = "external_with_memory"
KINDS = (INTERNAL, EXTERNAL_DISK_ONLY, EXTERNAL_WITH_MEMORY)


def parse_xml(xml):
    return etree.fromstring(xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))


def snapshot_disks(root):
    """[{"name", "snapshot", "source"}] of a <domainsnapshot>'s disks: how each disk was taken (internal,
    external, no) and, for an external one, the overlay file libvirt made for it."""
    disks = []
    for disk in root.iterfind("disks/disk"):
        source = disk.find("source")
        disks.append({"name": disk.get("name"), "snapshot": disk.get("snapshot") or "internal",
                      "source": source.get("file") if source is not None else None})
    return disks


def kind_of(root):
    """internal, external_disk_only or external_with_memory, from a <domainsnapshot>."""
    memory = root.find("memory")
    memory_mode = memory.get("snapshot") if memory is not None else "no"
    disks = snapshot_disks(root)
    if memory_mode == "external":
        return EXTERNAL_WITH_MEMORY
    if any(disk["snapshot"] == "external" for disk in disks):
        return EXTERNAL_DISK_ONLY
    return INTERNAL


def _overlay(host, path, cache):
    """{"path", "pool", "volume", "capacity", "allocation"} of an overlay file; pool and volume None where no
    pool of the host holds it (sizes then unknown too)."""
    if path in cache:
        return cache[path]
    found = None
    try:
        found = libvirt_storage.volume_by_path(host, path)
    except (VirtError, ConsoleError):
        found = None  # the embedded host has no storage driver; a file outside pools is shown by its path
    shown = {"path": path, "pool": None, "volume": None, "capacity": None, "allocation": None}
    if found is not None:
        pool, vol = found
        _kind, capacity, allocation, _physical = libvirt_storage.volume_facts(vol)
        shown.update(pool=libvirt_storage.pool_name_of(pool), volume=libvirt_storage.volume_identity(vol)[0],
                     capacity=capacity, allocation=allocation)
    cache[path] = shown
    return shown


def snapshot_facts(host, snap, cache=None):
    """One snapshot as the API shows it (children filled in by snapshot_tree)."""
    cache = {} if cache is None else cache
    root = parse_xml(libvirt_snapshots.snapshot_xml(snap))
    created = root.findtext("creationTime")
    memory = root.find("memory")
    memory_file = memory.get("file") if memory is not None and memory.get("snapshot") == "external" else None
    disks = snapshot_disks(root)
    overlays = [{**_overlay(host, disk["source"], cache), "disk": disk["name"]}
                for disk in disks if disk["snapshot"] == "external" and disk["source"]]
    return {
        "name": root.findtext("name"),
        "description": root.findtext("description") or "",
        "created": datetime.fromtimestamp(int(created), tz=timezone.utc) if created else None,
        "state": root.findtext("state") or "",
        "parent": libvirt_snapshots.parent_name(snap),
        "children": [],
        "current": libvirt_snapshots.is_current(snap),
        "kind": kind_of(root),
        "memory_file": memory_file,
        "memory": _overlay(host, memory_file, cache) if memory_file else None,
        "disks": [{"name": disk["name"], "snapshot": disk["snapshot"]} for disk in disks],
        "overlays": overlays,
    }


def snapshot_list(host, dom):
    """Every snapshot of dom, oldest first, each naming its parent and children."""
    cache = {}
    facts = [snapshot_facts(host, snap, cache) for snap in libvirt_snapshots.list_snapshots(dom)]
    facts.sort(key=lambda fact: (fact["created"] or datetime.min.replace(tzinfo=timezone.utc), fact["name"]))
    by_name = {fact["name"]: fact for fact in facts}
    for fact in facts:
        parent = by_name.get(fact["parent"])
        if parent is not None:
            parent["children"].append(fact["name"])
    return facts


def snapshot_tree(facts):
    """[{"name", "children": [...]}] of the roots, each holding its descendants, oldest first."""
    by_name = {fact["name"]: fact for fact in facts}

    def node(name):
        return {"name": name, "children": [node(child) for child in by_name[name]["children"]]}

    return [node(fact["name"]) for fact in facts if fact["parent"] not in by_name]


def descendants(facts, name):
    """The names under name in the tree, deepest first (so each is a leaf when its turn comes)."""
    by_name = {fact["name"]: fact for fact in facts}
    found = []

    def walk(current):
        for child in by_name[current]["children"]:
            walk(child)
            found.append(child)

    walk(name)
    return found
