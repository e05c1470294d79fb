"""Volume actions: create, resize, wipe, clone, delete, each checked, audited, and leaving nothing half-made."""

import threading

from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from lxml import etree

from domains.access import audit, permissions
from domains.errors import ConsoleError
from domains.jobs.actions import (
    Target,
    do_start_job,
    report_progress,
    run_job_in_thread,
)
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.lifecycle.models import Domain
from domains.storage.lookups import no_volume, visible_pool
from domains.storage.models import Pool
from domains.storage.pools.capabilities import pool_types
from domains.storage.pools.facts import pool_type_of

# File pools: the formats the console makes and tests (qemu-img makes more; import those by upload).
FORMATS = ("raw", "qcow2")
FILE_POOL_TYPES = ("dir", "fs", "netfs", "gluster", "vstorage")
WIPE_ALGORITHMS = tuple(libvirt_storage.WIPE_ALGORITHMS)
CLONE_POLL_SECONDS = 0.2
# The refusals said by more than one action.
CAPACITY_WORDS = _("A volume's capacity is a positive number of bytes.")
CAPACITY_FIELD_WORDS = _("A positive number of bytes.")
VOLUME_TAKEN = _("Pool '{pool}' already has a volume '{name}': choose another name.")


class VolumeError(ConsoleError):
    """A volume request refused or failed: what and what to do."""


def check_name(name, field="name"):
    """Refuse a volume name that could step out of its pool or is empty."""
    if not isinstance(name, str) or not name.strip():
        raise VolumeError(_("A volume needs a name: give one such as 'disk1.qcow2'."), "invalid", 400,
                          {field: [_("Give a name.")]})
    if "/" in name or ".." in name or name.startswith(".") or "\x00" in name or len(name) > 200:
        raise VolumeError(format_lazy(_("'{name}' is not a volume name: use letters, digits, '-', '_' and '.', "
                                        "without '/' or '..', not starting with '.', at most 200 characters."),
                                      name=name), "invalid", 400, {field: [_("No '/', no '..', no leading '.'.")]})


def _gib(size):
    return format_lazy(_("{bytes} bytes ({gib} GiB)"), bytes=size, gib=f"{size / 2**30:.2f}")


def visible_volume(user, host_pk, pool_name, volume_name, permission="storage_vol.getattr"):
    """(Pool row, pool handle, volume handle): Http404 for a hidden pool or a missing volume."""
    row, handle = visible_pool(user, host_pk, pool_name, permission)
    vol = libvirt_storage.find_volume(handle, volume_name) if "/" not in volume_name else None
    if vol is None:
        raise Http404(str(no_volume(volume_name, pool_name)))
    return row, handle, vol


def _record(user, action, row, params, source_address, outcome="ok"):
    audit.record(user, action, row, params, outcome=outcome, source_address=source_address)


# --- what uses a volume ---------------------------------------------------------------------------------

def _disk_sources(xml):
    """(path, pool, volume) of each disk source (and backing source) in a domain definition."""
    root = etree.fromstring(xml.encode())
    found = []
    for source in root.iterfind("devices/disk//source"):
        path = source.get("file") or source.get("dev")
        found.append((path, source.get("pool"), source.get("volume")))
    return found


class HostUsage:
    """What on a host may depend on a volume: its domains' definitions and its volumes' backing files.

    Read once per request: a pool listing describes every volume against the same snapshot. The backing files
    are read only when asked for, since that means reading every volume of every active pool.
    """

    def __init__(self, host):
        self.host = host
        self._definitions = None
        self._links = None

    @property
    def definitions(self):
        # Read on first need: a start's check asks for the links only, unless something stands on its disk.
        if self._definitions is None:
            self._definitions = libvirt_storage.domain_definitions(self.host)
        return self._definitions

    @property
    def links(self):
        if self._links is None:
            self._links = libvirt_storage.backing_links(self.host)
        return self._links

    def overlays_of(self, volume_path):
        """(pool, volume, path) of every volume built on volume_path, directly or through other overlays."""
        found, frontier = [], {volume_path}
        while frontier:
            layer = [link for link in self.links if link[3] in frontier and link[:3] not in found]
            found.extend(link[:3] for link in layer)
            frontier = {link[2] for link in layer}
        return found

    def domains_using(self, pool_name, volume_name, volume_path, overlays):
        """(uuid, name) of every domain whose definition names the volume, or one of its overlays (from
        overlays_of), by path or by pool and volume."""
        names = {(pool_name, volume_name)} | {(pool, volume) for pool, volume, _ in overlays}
        paths = {volume_path} | {path for _, _, path in overlays}
        users = []
        for uuid, name, xmls in self.definitions:
            for xml in xmls:
                if any(path in paths or (pool, volume) in names for path, pool, volume in _disk_sources(xml)):
                    users.append((uuid, name))
                    break
        return users


def split_visible(user, host, users):
    """([{"uuid", "name"}] of the using domains user may see, count of the others)."""
    held = permissions.held_by(user)
    if held.everything or "getattr" in held.on_host(host.pk):
        # Sees every domain of the host, also those the inventory has no row for yet.
        return [{"uuid": uuid, "name": name} for uuid, name in users], 0
    seen = set(str(u) for u in permissions.restrict(Domain.objects.filter(host=host, uuid__in=[u for u, _ in users]),
                                                    user).values_list("uuid", flat=True))
    shown = [{"uuid": uuid, "name": name} for uuid, name in users if uuid in seen]
    return shown, len(users) - len(shown)


def split_visible_overlays(user, host, overlays):
    """([{"pool", "volume"}] of the overlays in pools user may see, count of the others)."""
    pools = {pool for pool, _, _ in overlays}
    if permissions.held_by(user).everything:  # also pools the inventory has no row for yet
        return [{"pool": pool, "volume": volume} for pool, volume, _ in overlays], 0
    seen = set(permissions.restrict(Pool.objects.filter(host=host, name__in=pools, gone=False), user,
                                    "storage_pool.getattr").values_list("name", flat=True))
    shown = [{"pool": pool, "volume": volume} for pool, volume, _ in overlays if pool in seen]
    return shown, len(overlays) - len(shown)


def describe_volume(user, row, handle, vol, usage=None, new=False):
    """The volume as the API and pages show it.

    new: the volume was made by this request, so nothing can be built on it yet (libvirt will not make an
    overlay on a backing file that does not exist) and its answer skips reading every volume of the host.
    """
    name, key, path = libvirt_storage.volume_identity(vol)
    kind, capacity, allocation, physical = libvirt_storage.volume_facts(vol)
    root = etree.fromstring(libvirt_storage.volume_definition(vol).encode())
    backing_path = root.findtext("backingStore/path")
    backing = None
    if backing_path:
        backing = {"path": backing_path, "format": root.find("backingStore/format").get("type")
                   if root.find("backingStore/format") is not None else None}
    fmt = root.find("target/format")
    usage = usage or HostUsage(row.host)
    overlays = [] if new else usage.overlays_of(path)
    shown, hidden = split_visible(user, row.host, usage.domains_using(row.name, name, path, overlays))
    return {"name": name, "key": key, "path": path, "type": _TYPES.get(kind, str(kind)),
            "format": fmt.get("type") if fmt is not None else None, "capacity": capacity,
            "allocation": allocation, "physical": physical, "backing": backing, "used_by": shown,
            "used_by_hidden": hidden,
            "backing_of": split_visible_overlays(user, row.host, overlays)[0]}


_TYPES = {0: "file", 1: "block", 2: "dir", 3: "network", 4: "netdir", 5: "ploop"}


def list_volumes(user, row, handle):
    """Every volume of the pool, described (one scan of the host's domains for all of them)."""
    usage = HostUsage(row.host)
    return [describe_volume(user, row, handle, vol, usage) for vol in libvirt_storage.pool_volumes(handle)]


# --- create ---------------------------------------------------------------------------------------------

def volume_xml(name, capacity, fmt, allocation=None, backing=None, lazy_refcounts=False):
    """A <volume> definition; backing is (path, format) of the backing volume or None."""
    volume = etree.Element("volume")
    etree.SubElement(volume, "name").text = name
    etree.SubElement(volume, "capacity", unit="bytes").text = str(capacity)
    # libvirt allocates the whole capacity when no allocation is given: left out here means sparse.
    etree.SubElement(volume, "allocation", unit="bytes").text = str(allocation or 0)
    target = etree.SubElement(volume, "target")
    if fmt is not None:
        etree.SubElement(target, "format", type=fmt)
    if fmt == "qcow2":
        etree.SubElement(target, "compat").text = "1.1"
        if lazy_refcounts:
            features = etree.SubElement(target, "features")
            etree.SubElement(features, "lazy_refcounts")
    if backing is not None:
        store = etree.SubElement(volume, "backingStore")
        etree.SubElement(store, "path").text = backing[0]
        etree.SubElement(store, "format", type=backing[1])
    return etree.tostring(volume, encoding="unicode")


def _check_space(handle, size, pool_label):
    _active, _capacity, _allocation, available = libvirt_storage.pool_space(handle, refresh=True)
    if size > available:
        raise VolumeError(format_lazy(_("{size} is more than pool '{pool}' has available: {available}. Ask for "
                                        "less, or free space in the pool first."), size=_gib(size), pool=pool_label,
                                      available=_gib(available)), "insufficient_space", 409,
                          {"capacity": [format_lazy(_("At most {bytes} bytes."), bytes=available)]})


def _remove_if_made(handle, name, existed_before):
    """Delete a volume a failed call left behind (nothing half-made), unless it was there before."""
    if existed_before:
        return
    left = libvirt_storage.find_volume(handle, name)
    if left is not None:
        libvirt_storage.delete_volume(left)


def _backing_volume(user, row, backing):
    """(path, format) of the backing volume named {"pool", "volume"}, which user must hold data_read on."""
    if not isinstance(backing, dict) or set(backing) - {"pool", "volume"} or not backing.get("volume"):
        raise VolumeError(_('A backing store is given as {"pool": "<pool name>", "volume": "<volume name>"}, never '
                            "as a path."), "invalid", 400, {"backing": [_("Give pool and volume.")]})
    pool_name = backing.get("pool") or row.name
    try:
        _brow, bhandle, bvol = visible_volume(user, row.host_id, pool_name, backing["volume"],
                                              "storage_vol.data_read")
    except Http404 as exc:
        raise VolumeError(format_lazy(_("There is no volume '{volume}' in a pool '{pool}' you may see: choose a "
                                        "backing volume from a pool you hold a grant on."),
                                      volume=backing["volume"], pool=pool_name), "invalid", 400,
                          {"backing": [_("No such volume, or you may not see it.")]}) from exc
    root = etree.fromstring(libvirt_storage.volume_definition(bvol).encode())
    fmt = root.find("target/format")
    return libvirt_storage.volume_identity(bvol)[2], fmt.get("type") if fmt is not None else "raw"


def volume_formats(row, handle):
    """(formats a new volume of the pool may have, the one taken when none is asked for).

    File pools make raw or qcow2; other types take what the host's libvirt reports for them (a disk pool's
    partition types); ([], None) where volumes have no format (logical volumes).
    """
    pool_type = pool_type_of(handle)
    if pool_type in FILE_POOL_TYPES:
        return list(FORMATS), "raw"
    reported = next((t for t in pool_types(row.host) if t.type == pool_type), None)
    if reported is None or not reported.volume_formats:
        return [], None
    return reported.volume_formats, reported.default_volume_format


def _check_format(row, handle, fmt):
    """The format to make (the pool's default for None); VolumeError naming the pool's formats otherwise."""
    allowed, default = volume_formats(row, handle)
    if fmt is None:
        return default
    if fmt not in allowed:
        choices = ", ".join(allowed) or _("none: leave the format out")
        raise VolumeError(format_lazy(_("'{format}' is not a format for volumes of pool '{pool}': use one of "
                                        "{choices}."), format=fmt, pool=row.name, choices=choices),
                          "invalid", 400, {"format": [format_lazy(_("One of {choices}."), choices=choices)]})
    return fmt


def do_create_volume(user, row, handle, name, capacity, fmt=None, allocation=None, backing=None,
                     lazy_refcounts=False, preallocation=None, source_address=None):
    """Create a volume in the pool; returns its libvirt handle. Refuses before making anything when it cannot fit."""
    params = {"volume": name, "capacity": capacity, "format": fmt, "allocation": allocation, "backing": backing,
              "lazy_refcounts": lazy_refcounts, "preallocation": preallocation}
    audit.require(user, "storage_vol.create", row, "volume.create", params, source_address)
    check_name(name)
    fmt = _check_format(row, handle, fmt)
    if not isinstance(capacity, int) or capacity <= 0:
        raise VolumeError(CAPACITY_WORDS, "invalid", 400, {"capacity": [CAPACITY_FIELD_WORDS]})
    if allocation is not None and not 0 <= allocation <= capacity:
        raise VolumeError(_("The allocation is between 0 and the capacity (bytes)."), "invalid", 400,
                          {"allocation": [format_lazy(_("Between 0 and {capacity}."), capacity=capacity)]})
    if (lazy_refcounts or preallocation == "metadata" or backing) and fmt != "qcow2":
        raise VolumeError(_("Lazy refcounts, metadata preallocation and backing stores need the qcow2 format."),
                          "invalid", 400, {"format": [_("Use qcow2.")]})
    if preallocation not in (None, "metadata"):
        raise VolumeError(_("preallocation is 'metadata' or left out."), "invalid", 400,
                          {"preallocation": [_("'metadata' or null.")]})
    backing_store = _backing_volume(user, row, backing) if backing else None
    if libvirt_storage.find_volume(handle, name) is not None:
        raise VolumeError(format_lazy(VOLUME_TAKEN, pool=row.name, name=name), "exists", 409,
                          {"name": [_("Taken.")]})
    _check_space(handle, capacity, row.name)
    xml = volume_xml(name, capacity, fmt, allocation, backing_store, lazy_refcounts)
    try:
        vol = libvirt_storage.create_volume(handle, xml, preallocate_metadata=preallocation == "metadata")
    except VirtError as exc:
        _remove_if_made(handle, name, existed_before=False)
        _record(user, "volume.create", row, params, source_address, outcome=format_lazy("failed: {}", exc.message))
        raise
    _record(user, "volume.create", row, params, source_address)
    return vol


# --- resize, delete -------------------------------------------------------------------------------------

def do_resize_volume(user, row, handle, vol, capacity, shrink=False, source_address=None):
    """Set a volume's capacity: growing needs the pool's space, shrinking an explicit shrink=True."""
    name = libvirt_storage.volume_identity(vol)[0]
    params = {"volume": name, "capacity": capacity, "shrink": shrink}
    audit.require(user, "storage_vol.resize", row, "volume.resize", params, source_address)
    if not isinstance(capacity, int) or capacity <= 0:
        raise VolumeError(CAPACITY_WORDS, "invalid", 400, {"capacity": [CAPACITY_FIELD_WORDS]})
    current = libvirt_storage.volume_facts(vol)[1]
    if capacity < current and not shrink:
        raise VolumeError(format_lazy(_("{size} is less than volume '{name}''s capacity of {capacity}: shrinking "
                                        "cuts off the data beyond the new end. If that is what you want, ask again "
                                        'with "shrink": true.'), size=_gib(capacity), name=name,
                                      capacity=_gib(current)), "shrink_unconfirmed", 409,
                          {"shrink": [_("Confirm the shrink.")]})
    try:
        libvirt_storage.resize_volume(vol, capacity, shrink=capacity < current)
    except VirtError as exc:
        _record(user, "volume.resize", row, params, source_address, outcome=format_lazy("failed: {}", exc.message))
        raise
    _record(user, "volume.resize", row, params, source_address)


def _naming(names, hidden, kind):
    """'a', 'b' and 2 <kind>(s) you may not see: what a refusal names, never what the caller may not see.

    kind: "domain" or "volume". English says "(s)" whatever the count; a translation may choose its forms."""
    named = ", ".join(f"'{name}'" for name in names)
    if not hidden:
        return named
    if kind == "domain":
        said = ngettext_lazy("{named} and {count} domain(s) you may not see",
                             "{named} and {count} domain(s) you may not see", hidden) if named else \
            ngettext_lazy("{count} domain(s) you may not see", "{count} domain(s) you may not see", hidden)
    else:
        said = ngettext_lazy("{named} and {count} volume(s) you may not see",
                             "{named} and {count} volume(s) you may not see", hidden) if named else \
            ngettext_lazy("{count} volume(s) you may not see", "{count} volume(s) you may not see", hidden)
    return format_lazy(said, named=named, count=hidden)


def do_delete_volume(user, row, handle, vol, source_address=None):
    """Delete a volume nothing on the host needs; the refusal names the domains and overlays that do."""
    name, _key, path = libvirt_storage.volume_identity(vol)
    params = {"volume": name, "path": path}
    audit.require(user, "storage_vol.delete", row, "volume.delete", params, source_address)
    usage = HostUsage(row.host)
    overlays = usage.overlays_of(path)
    users = usage.domains_using(row.name, name, path, overlays)
    if users:
        shown, hidden = split_visible(user, row.host, users)
        named = _naming([u["name"] for u in shown], hidden, "domain")
        _record(user, "volume.delete", row, params, source_address, outcome="refused: in use")
        raise VolumeError(format_lazy(_("Volume '{name}' is in use by {named}: remove it from their definitions "
                                        "first, then delete it."), name=name, named=named), "in_use", 409,
                          {"used_by": shown})
    if overlays:
        shown, hidden = split_visible_overlays(user, row.host, overlays)
        named = _naming([f"{o['pool']}/{o['volume']}" for o in shown], hidden, "volume")
        _record(user, "volume.delete", row, params, source_address, outcome="refused: backing file")
        raise VolumeError(format_lazy(_("Volume '{name}' is the backing file of {named}: their data lives partly "
                                        "in it. Delete those volumes first (or clone them into volumes of their "
                                        "own), then delete this one."), name=name, named=named),
                          "in_use", 409, {"backing_of": shown})
    try:
        libvirt_storage.delete_volume(vol)
    except VirtError as exc:
        _record(user, "volume.delete", row, params, source_address, outcome=format_lazy("failed: {}", exc.message))
        raise
    _record(user, "volume.delete", row, params, source_address)


# --- wipe and clone: jobs -------------------------------------------------------------------------------

def _job_target(row, vol):
    name, key, _path = libvirt_storage.volume_identity(vol)
    return Target("volume", key, f"{row.name}/{name}", row.host)


def do_wipe_volume(user, row, handle, vol, algorithm, source_address=None):
    """Start a job overwriting the volume's data with algorithm; returns the job."""
    name = libvirt_storage.volume_identity(vol)[0]
    params = {"volume": name, "algorithm": algorithm}
    audit.require(user, "storage_vol.format", row, "volume.wipe", params, source_address)
    if algorithm not in WIPE_ALGORITHMS:
        choices = ", ".join(WIPE_ALGORITHMS)
        raise VolumeError(format_lazy(_("'{algorithm}' is not a wipe algorithm: use one of {choices}."),
                                      algorithm=algorithm, choices=choices),
                          "invalid", 400, {"algorithm": [format_lazy(_("One of {choices}."), choices=choices)]})
    capacity = libvirt_storage.volume_facts(vol)[1]
    job = do_start_job(user, "volume.wipe", _job_target(row, vol), total=capacity, params=params,
                       source_address=source_address)

    def work(job):
        libvirt_storage.wipe_volume(vol, algorithm)
        return {"pool": row.name, "volume": name, "algorithm": algorithm}

    run_job_in_thread(job, work)
    return job


def do_clone_volume(user, row, handle, vol, new_name, target_pool=None, fmt=None, source_address=None):
    """Start a job copying the volume into a new one (in its pool or target_pool); returns the job.

    The caller needs data_read on the source pool and create on the target pool; the copy's progress
    is the new volume's allocation, read while libvirt copies. A failed copy leaves no volume.
    """
    name = libvirt_storage.volume_identity(vol)[0]
    params = {"volume": name, "name": new_name, "pool": target_pool or row.name, "format": fmt}
    audit.require(user, "storage_vol.data_read", row, "volume.clone", params, source_address)
    check_name(new_name)
    if target_pool and target_pool != row.name:
        target_row, target_handle = visible_pool(user, row.host_id, target_pool, "storage_vol.create")
    else:
        target_row, target_handle = row, handle
    audit.require(user, "storage_vol.create", target_row, "volume.clone", params, source_address)
    root = etree.fromstring(libvirt_storage.volume_definition(vol).encode())
    source_format = root.xpath("string(target/format/@type)") or None
    if fmt is None and source_format in volume_formats(target_row, target_handle)[0]:
        fmt = source_format  # a copy keeps its format where the target pool can hold it
    fmt = _check_format(target_row, target_handle, fmt)
    if libvirt_storage.find_volume(target_handle, new_name) is not None:
        raise VolumeError(format_lazy(VOLUME_TAKEN, pool=target_row.name, name=new_name), "exists", 409,
                          {"name": [_("Taken.")]})
    _kind, capacity, allocation, _physical = libvirt_storage.volume_facts(vol)
    _check_space(target_handle, allocation, target_row.name)
    xml = volume_xml(new_name, capacity, fmt)
    job = do_start_job(user, "volume.clone", _job_target(row, vol), total=allocation or None, params=params,
                       source_address=source_address)

    def work(job):
        outcome = {}

        def copy():
            try:
                libvirt_storage.clone_volume(target_handle, xml, vol)
            except VirtError as exc:
                outcome["error"] = exc

        copier = threading.Thread(target=copy, name=f"job-{job.pk}-copy", daemon=True)
        copier.start()
        while copier.is_alive():
            copier.join(CLONE_POLL_SECONDS)
            made = libvirt_storage.find_volume(target_handle, new_name) if copier.is_alive() else None
            if made is not None:
                try:
                    report_progress(job, min(libvirt_storage.volume_facts(made)[2], allocation))
                except VirtError:
                    pass  # the volume is being built or just went; the next poll reads again
        if "error" in outcome:
            _remove_if_made(target_handle, new_name, existed_before=False)
            raise outcome["error"]
        return {"pool": target_row.name, "volume": new_name}

    run_job_in_thread(job, work)
    return job
