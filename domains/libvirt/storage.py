"""The storage part of the libvirt adapter: finding pools and volumes, with libvirt's errors in our type."""

import libvirt

from domains.libvirt.adapter import VirtError, connection_for, translated_errors

# What the embedded driver answers for every storage call, said in the user's terms.
NO_STORAGE_DRIVER = ("Host '{host}' is the embedded QEMU driver, which has no storage driver: pools and volumes "
                     "need a libvirtd host (add one under Hosts, e.g. qemu:///system).")


def storage_connection(host):
    """The host's virConnect for storage calls; VirtError saying what to use on the embedded host."""
    if host.embedded:
        raise VirtError(NO_STORAGE_DRIVER.format(host=host), libvirt.VIR_ERR_NO_SUPPORT)
    return connection_for(host).get()


def find_pool(host, *, name=None, uuid=None):
    """The virStoragePool on host by name or UUID (a uuid.UUID), or None if there is none."""
    conn = storage_connection(host)
    try:
        with translated_errors():
            return conn.storagePoolLookupByName(name) if name is not None else conn.storagePoolLookupByUUID(uuid.bytes)
    except VirtError as exc:
        if exc.code == libvirt.VIR_ERR_NO_STORAGE_POOL:
            return None
        raise


def find_volume(pool_handle, name):
    """The virStorageVol called name in an (active) pool, or None if there is none."""
    try:
        with translated_errors():
            return pool_handle.storageVolLookupByName(name)
    except VirtError as exc:
        if exc.code == libvirt.VIR_ERR_NO_STORAGE_VOL:
            return None
        raise


# --- volumes (storage-volumes) ---------------------------------------------------------------------------

def volume_facts(vol):
    """(type, capacity, allocation, physical) of a volume, in bytes; physical is None where libvirt cannot say."""
    with translated_errors():
        kind, capacity, allocation = vol.info()
        try:
            physical = vol.infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2]
        except libvirt.libvirtError:
            physical = None
    return kind, capacity, allocation, physical


def volume_identity(vol):
    """(name, key, path) of a volume."""
    with translated_errors():
        return vol.name(), vol.key(), vol.path()


def volume_definition(vol):
    """The volume's XML."""
    with translated_errors():
        return vol.XMLDesc(0)


def pool_volumes(pool_handle):
    """Every volume of an active pool, by name."""
    with translated_errors():
        return sorted(pool_handle.listAllVolumes(0), key=lambda vol: vol.name())


def pool_space(pool_handle, refresh=False):
    """(active, capacity, allocation, available) of a pool in bytes; refresh first rescans it."""
    with translated_errors():
        if refresh and pool_handle.isActive():
            try:
                pool_handle.refresh(0)
            except libvirt.libvirtError:
                pass  # libvirt refuses a refresh while a volume is being built or wiped: its last numbers then
        state, capacity, allocation, available = pool_handle.info()
    return state == libvirt.VIR_STORAGE_POOL_RUNNING, capacity, allocation, available


def pool_name_of(pool_handle):
    with translated_errors():
        return pool_handle.name()


def create_volume(pool_handle, xml, preallocate_metadata=False):
    """A new volume in the pool from xml; qcow2 metadata preallocated when asked."""
    flags = libvirt.VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA if preallocate_metadata else 0
    with translated_errors():
        return pool_handle.createXML(xml, flags)


def clone_volume(pool_handle, xml, source_vol):
    """A new volume in pool_handle described by xml, holding a copy of source_vol's data (blocks until done)."""
    with translated_errors():
        return pool_handle.createXMLFrom(xml, source_vol, 0)


def resize_volume(vol, capacity, shrink=False):
    """Set the volume's capacity; shrinking (which can lose data) only with shrink."""
    flags = libvirt.VIR_STORAGE_VOL_RESIZE_SHRINK if shrink else 0
    with translated_errors():
        vol.resize(capacity, flags)


# libvirt's wipe algorithms by the names the API takes.
WIPE_ALGORITHMS = {
    "zero": libvirt.VIR_STORAGE_VOL_WIPE_ALG_ZERO,
    "nnsa": libvirt.VIR_STORAGE_VOL_WIPE_ALG_NNSA,
    "dod": libvirt.VIR_STORAGE_VOL_WIPE_ALG_DOD,
    "bsi": libvirt.VIR_STORAGE_VOL_WIPE_ALG_BSI,
    "gutmann": libvirt.VIR_STORAGE_VOL_WIPE_ALG_GUTMANN,
    "schneier": libvirt.VIR_STORAGE_VOL_WIPE_ALG_SCHNEIER,
    "pfitzner7": libvirt.VIR_STORAGE_VOL_WIPE_ALG_PFITZNER7,
    "pfitzner33": libvirt.VIR_STORAGE_VOL_WIPE_ALG_PFITZNER33,
    "random": libvirt.VIR_STORAGE_VOL_WIPE_ALG_RANDOM,
    "trim": libvirt.VIR_STORAGE_VOL_WIPE_ALG_TRIM,
}


def wipe_volume(vol, algorithm):
    """Overwrite the volume's data with algorithm (a WIPE_ALGORITHMS name); blocks until done."""
    with translated_errors():
        vol.wipePattern(WIPE_ALGORITHMS[algorithm], 0)


def delete_volume(vol):
    with translated_errors():
        vol.delete(0)


def volume_by_path(host, path):
    """(pool handle, volume handle) of the volume at path on host, or None when no pool holds it."""
    conn = storage_connection(host)
    try:
        with translated_errors():
            vol = conn.storageVolLookupByPath(path)
            return vol.storagePoolLookupByVolume(), vol
    except VirtError as exc:
        if exc.code in (libvirt.VIR_ERR_NO_STORAGE_VOL, libvirt.VIR_ERR_NO_STORAGE_POOL):
            return None
        raise


def domain_definitions(host):
    """(uuid text, name, [definition XML]) of every domain on host: the live and the persistent definition."""
    conn = connection_for(host).get()
    found = []
    with translated_errors():
        for dom in conn.listAllDomains(0):
            xmls = [dom.XMLDesc(0)]
            if dom.isActive() and dom.isPersistent():
                xmls.append(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
            found.append((dom.UUIDString(), dom.name(), xmls))
    return found
