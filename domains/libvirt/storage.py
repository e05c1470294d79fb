"""The storage part of the libvirt adapter: finding pools and volumes, with libvirt's errors in our type."""

import logging
import os
import uuid as uuidlib

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.libvirt.adapter import VirtError, connection_for, translated_errors

log = logging.getLogger(__name__)

# What the embedded driver answers for every storage call, said in the user's terms.
NO_STORAGE_DRIVER = _("Host '{host}' is the embedded QEMU driver, which has no storage driver: pools and volumes "
                      "need a libvirtd host (add one under Hosts, e.g. qemu:///system).")


class NoStorageDriver(VirtError):
    """The host has no storage driver (the embedded one): a request the host cannot serve, not a libvirt failure.

    409: the request is fine, the host it names is of the wrong kind; the message says which host to use.
    """

    status = 409

    def as_api_error(self):
        return self.status, "no_storage_driver", str(self.message), None


def storage_connection(host):
    """The host's virConnect for storage calls; NoStorageDriver (a VirtError) saying what to use on the embedded host."""
    if host.embedded:
        raise NoStorageDriver(format_lazy(NO_STORAGE_DRIVER, host=host), libvirt.VIR_ERR_NO_SUPPORT)
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


# libvirt's pool states (virStoragePoolState), in the words the API and pages use.
POOL_STATES = ["inactive", "building", "running", "degraded", "inaccessible"]


def list_pools(host):
    """Every virStoragePool libvirt knows on host (active or not, persistent or transient)."""
    with translated_errors():
        return storage_connection(host).listAllStoragePools(0)


def active_pools(host):
    """The host's active pools: those whose volumes can be listed."""
    with translated_errors():
        return storage_connection(host).listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE)


def pool_live(handle):
    """What libvirt says of a pool now: state, persistent, autostart, capacity/allocation/available in bytes."""
    with translated_errors():
        state, capacity, allocation, available = handle.info()
        return {
            "state": POOL_STATES[state] if 0 <= state < len(POOL_STATES) else "unknown",
            "active": bool(handle.isActive()),
            "persistent": bool(handle.isPersistent()),
            "autostart": bool(handle.autostart()) if handle.isPersistent() else False,
            "capacity": capacity,
            "allocation": allocation,
            "available": available,
            "volumes": handle.numOfVolumes() if handle.isActive() else None,
        }


def pool_xml(handle, inactive=True):
    """The pool's XML: the persistent definition (inactive=True) or the running one."""
    try:
        with translated_errors():
            return handle.XMLDesc(libvirt.VIR_STORAGE_XML_INACTIVE if inactive else 0)
    except VirtError as exc:
        # The test driver knows no flags: its one definition is the answer.
        if not inactive or exc.code not in (libvirt.VIR_ERR_INVALID_ARG, libvirt.VIR_ERR_NO_SUPPORT):
            raise
    with translated_errors():
        return handle.XMLDesc(0)


def define_pool(host, xml):
    """Define (or redefine, same name and UUID) a persistent pool from xml; the new virStoragePool."""
    with translated_errors():
        return storage_connection(host).storagePoolDefineXML(xml, 0)


def build_pool(handle):
    """Build the pool's storage: make its directory, format its device, create its volume group."""
    with translated_errors():
        handle.build(libvirt.VIR_STORAGE_POOL_BUILD_NEW)


def start_pool(handle):
    with translated_errors():
        handle.create(0)


def stop_pool(handle):
    with translated_errors():
        handle.destroy()


def refresh_pool(handle):
    with translated_errors():
        handle.refresh(0)


def set_pool_autostart(handle, autostart):
    with translated_errors():
        handle.setAutostart(1 if autostart else 0)


def delete_pool_storage(handle):
    """Delete the (inactive) pool's storage on the host: its directory, volume group, ..."""
    with translated_errors():
        handle.delete(libvirt.VIR_STORAGE_POOL_DELETE_NORMAL)


def undefine_pool(handle):
    with translated_errors():
        handle.undefine()


def pool_capabilities_xml(host):
    """libvirt's storage pool capabilities XML for host, or None where the driver cannot tell (test driver)."""
    conn = storage_connection(host)
    try:
        with translated_errors():
            return conn.getStoragePoolCapabilities(0)
    except VirtError as exc:
        if exc.code == libvirt.VIR_ERR_NO_SUPPORT:
            return None
        raise


POOL_EVENT_KINDS = ["defined", "undefined", "started", "stopped", "created", "deleted"]


def watch_pool_events(connection, publish):
    """On each (re)opened connection of a HostConnection, register pool lifecycle and refresh events.

    publish(host_id, pool_uuid_bytes, name, kind, pool) gets kind from POOL_EVENT_KINDS or "refreshed"
    and the virStoragePool (ask pool_live(pool) for its numbers).
    The embedded host has no storage driver, so nothing is registered there.
    """
    def lifecycle(_conn, pool, event, _detail, _opaque):
        kind = POOL_EVENT_KINDS[event] if 0 <= event < len(POOL_EVENT_KINDS) else "unknown"
        _publish(pool, kind)

    def refreshed(_conn, pool, _opaque):
        _publish(pool, "refreshed")

    def _publish(pool, kind):
        try:
            uuid_bytes, name = pool.UUID(), pool.name()
        except libvirt.libvirtError as exc:
            log.info("pool event dropped, its pool vanished: %s", exc.get_error_message())
            return
        publish(connection.host_id, uuid_bytes, name, kind, pool)

    def register(conn):
        if connection.uri.startswith("qemu:///embed"):
            return  # no storage driver there
        for event_id, callback in ((libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, lifecycle),
                                   (libvirt.VIR_STORAGE_POOL_EVENT_ID_REFRESH, refreshed)):
            try:
                conn.storagePoolEventRegisterAny(None, event_id, callback, None)
            except libvirt.libvirtError as exc:
                # The embedded driver and some others have no storage events; the rest still work.
                log.info("host %s: pool event %s not available: %s", connection.host_id, event_id,
                         exc.get_error_message())

    connection.on_open(register)


def pool_uuid(handle):
    """The pool's UUID as a uuid.UUID."""
    with translated_errors():
        return uuidlib.UUID(bytes=handle.UUID())


def volume_content_size(volume_handle):
    """The bytes a download of a file volume yields: the file's size (a qcow2's is not its capacity)."""
    with translated_errors():
        return volume_handle.infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2]


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
    """(pool handle, volume handle) of the volume at path on host, or None when no pool holds it.

    A pool lists the files it saw at its last refresh: one made since behind its back (by QEMU for an overlay, by
    the other host of a shared directory before a migration) is missed. So on a miss, the active pools whose
    directory holds path are refreshed once and asked again.
    """
    conn = storage_connection(host)
    found = _lookup_by_path(conn, path)
    if found is None and _refresh_pools_of_directory(conn, os.path.dirname(path)):
        found = _lookup_by_path(conn, path)
    return found


def _lookup_by_path(conn, path):
    try:
        with translated_errors():
            vol = conn.storageVolLookupByPath(path)
            return vol.storagePoolLookupByVolume(), vol
    except VirtError as exc:
        if exc.code in (libvirt.VIR_ERR_NO_STORAGE_VOL, libvirt.VIR_ERR_NO_STORAGE_POOL):
            return None
        raise


def _refresh_pools_of_directory(conn, directory):
    """Refresh the active pools whose target is directory; whether any was."""
    from lxml import etree

    refreshed = False
    with translated_errors():
        pools = conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE)
    for pool in pools:
        try:
            with translated_errors():
                target = etree.fromstring(pool.XMLDesc(0).encode()).findtext("target/path")
                if target and os.path.normpath(target) == os.path.normpath(directory):
                    pool.refresh(0)
                    refreshed = True
        except VirtError:
            continue  # gone meanwhile, or busy with an upload (libvirt refuses the refresh): asked as it is
    return refreshed


def backing_links(host):
    """[(pool name, volume name, path, backing path)] of every volume with a backing file in the host's active pools.

    The backing file is what libvirt read from the volume's header (a qcow2 overlay names its base), so this is
    the only way to know that a volume no domain names is still needed under another volume.
    """
    from lxml import etree

    links = []
    with translated_errors():
        pools = storage_connection(host).listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE)
    for pool in pools:
        try:
            with translated_errors():
                pool_name = pool.name()
                for vol in pool.listAllVolumes(0):
                    backing = etree.fromstring(vol.XMLDesc(0).encode()).findtext("backingStore/path")
                    if backing:
                        links.append((pool_name, vol.name(), vol.path(), backing))
        except VirtError as exc:
            # A pool stopped or removed while we looked holds nothing we could break.
            if exc.code not in (libvirt.VIR_ERR_NO_STORAGE_POOL, libvirt.VIR_ERR_OPERATION_INVALID,
                                libvirt.VIR_ERR_NO_STORAGE_VOL):
                raise
    return links


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
