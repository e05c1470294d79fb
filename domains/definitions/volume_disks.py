"""Which disk references a pool grant allows: a volume of a pool the user may write (or read, for a read-only disk).

The definition policy asks this for each disk reference a change adds or makes writable. A disk qualifies
only when it is plainly a volume: <source pool= volume=> (type='volume'), or a file or block disk whose
path libvirt knows as a volume of one of the host's pools (storageVolLookupByPath, then its pool). Its
other parts must name nothing else on the host (no backing store, no seclabel, no LUN passthrough);
anything else stays host_resources.
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import permissions
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.storage.lookups import pool_row

# Children of a volume disk that name nothing on the host beyond the volume (plain ones aside).
_VOLUME_DISK_CHILDREN = {"source", "driver", "target", "address", "alias", "boot", "iotune", "serial", "wwn",
                         "vendor", "product", "readonly", "shareable", "transient", "geometry", "blockio"}
_SOURCE_ATTRIBUTES = {"file": {"file", "startupPolicy", "index"}, "block": {"dev", "startupPolicy", "index"},
                      "volume": {"pool", "volume", "mode", "startupPolicy", "index"}}
_DRIVER_HOST_ATTRIBUTES = {"iothread_path", "metadata_cache"}


def is_readonly(disk):
    return disk.find("readonly") is not None


def _plain_volume_disk(disk):
    """The disk's <source> if the disk is a plain file, block or volume disk naming nothing else, else None."""
    kind = disk.get("type") or "file"
    if kind not in _SOURCE_ATTRIBUTES or disk.get("device", "disk") not in ("disk", "cdrom", "floppy"):
        return None
    children = [child for child in disk if isinstance(child.tag, str)]
    if any(etree.QName(child).namespace or etree.QName(child).localname not in _VOLUME_DISK_CHILDREN
           for child in children):
        return None
    sources = disk.findall("source")
    if len(sources) != 1 or len(sources[0]) or set(sources[0].attrib) - _SOURCE_ATTRIBUTES[kind]:
        return None
    driver = disk.find("driver")
    if driver is not None and (len(driver) or set(driver.attrib) & _DRIVER_HOST_ATTRIBUTES
                               or any(value.startswith("/") for value in driver.attrib.values())):
        return None
    return sources[0]


def volume_pool_of(host, disk):
    """(Pool row, volume name) of the volume a plain volume disk names on host, or None."""
    source = _plain_volume_disk(disk)
    if source is None or host is None or host.embedded:
        return None
    try:
        if (disk.get("type") or "file") == "volume":
            handle = libvirt_storage.find_pool(host, name=source.get("pool"))
            if handle is None or libvirt_storage.find_volume(handle, source.get("volume") or "") is None:
                return None
            return pool_row(host, handle), source.get("volume")
        path = source.get("file") or source.get("dev")
        if not path:
            return None
        found = libvirt_storage.volume_by_path(host, path)
        if found is None:
            return None
        handle, vol = found
        name, _key, vol_path = libvirt_storage.volume_identity(vol)
        # libvirt finds a volume by a path that resolves to it; only its own path counts, so no symlink or
        # '..' walks elsewhere.
        return (pool_row(host, handle), name) if vol_path == path else None
    except VirtError:
        return None


def volume_grant_allows(user, host, disk):
    """(allowed, hint): whether user's pool grant covers the disk, and what would allow it if not."""
    found = volume_pool_of(host, disk)
    if found is None:
        return False, ""
    row, name = found
    permission = "storage_vol.data_read" if is_readonly(disk) else "storage_vol.data_write"
    if permissions.has_perm(user, permission, row):
        return True, ""
    return False, format_lazy(_("or '{permission}' on pool '{pool}' for volume '{volume}'"), permission=permission,
                              pool=row.name, volume=name)
