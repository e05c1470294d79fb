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


def volume_content_size(volume_handle):
    """The bytes a download of a file volume yields: the file's size (a qcow2's is not its capacity)."""
    with translated_errors():
        return volume_handle.infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2]


# --- Until the volumes' create action lands (storage-volumes' domains/storage/volumes.py): the ISO library's ---
# --- own minimal create, for the volumes helper to replace with theirs. ---
def create_raw_volume(pool_handle, name, capacity):
    """A raw volume of capacity bytes, allocating nothing (an upload fills it)."""
    from xml.sax.saxutils import escape

    xml = (f"<volume><name>{escape(name)}</name><capacity unit='bytes'>{int(capacity)}</capacity>"
           "<allocation unit='bytes'>0</allocation><target><format type='raw'/></target></volume>")
    with translated_errors():
        return pool_handle.createXML(xml, 0)


def list_pools(host):
    """The host's active pools (handles). Minimal, for the ISO library until storage-pools' listing lands."""
    with translated_errors():
        return [pool for pool in storage_connection(host).listAllStoragePools(0) if pool.isActive()]


def list_volumes(pool_handle):
    """[(name, format, capacity, allocation)] of an active pool's volumes, format from the volume's XML."""
    from lxml import etree

    found = []
    with translated_errors():
        for volume in pool_handle.listAllVolumes(0):
            _, capacity, allocation = volume.info()
            formats = etree.fromstring(volume.XMLDesc(0)).xpath("/volume/target/format/@type")
            found.append((volume.name(), formats[0] if formats else "", capacity, allocation))
    return found
