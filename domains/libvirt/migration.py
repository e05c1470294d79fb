"""The migration part of the libvirt adapter: migrate, its job statistics, abort, post-copy, and the destination's facts."""

import weakref
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import libvirt
from lxml import etree

from domains.libvirt.adapter import VirtError, translated_errors

LIVE = libvirt.VIR_MIGRATE_LIVE
PEER_TO_PEER = libvirt.VIR_MIGRATE_PEER2PEER
TUNNELLED = libvirt.VIR_MIGRATE_TUNNELLED
PERSIST_DEST = libvirt.VIR_MIGRATE_PERSIST_DEST
UNDEFINE_SOURCE = libvirt.VIR_MIGRATE_UNDEFINE_SOURCE
NON_SHARED_DISK = libvirt.VIR_MIGRATE_NON_SHARED_DISK
NON_SHARED_INC = libvirt.VIR_MIGRATE_NON_SHARED_INC
OFFLINE = libvirt.VIR_MIGRATE_OFFLINE
POSTCOPY = libvirt.VIR_MIGRATE_POSTCOPY
AUTO_CONVERGE = libvirt.VIR_MIGRATE_AUTO_CONVERGE
COMPRESSED = libvirt.VIR_MIGRATE_COMPRESSED
UNSAFE = libvirt.VIR_MIGRATE_UNSAFE
TLS = libvirt.VIR_MIGRATE_TLS

PARAM_URI = libvirt.VIR_MIGRATE_PARAM_URI
PARAM_BANDWIDTH = libvirt.VIR_MIGRATE_PARAM_BANDWIDTH
PARAM_MIGRATE_DISKS = libvirt.VIR_MIGRATE_PARAM_MIGRATE_DISKS
PARAM_DEST_XML = libvirt.VIR_MIGRATE_PARAM_DEST_XML
PARAM_PERSIST_XML = libvirt.VIR_MIGRATE_PARAM_PERSIST_XML
# The XML a migration's destination may be given instead of the source's own (disks at other paths).
XML_MIGRATABLE = libvirt.VIR_DOMAIN_XML_MIGRATABLE | libvirt.VIR_DOMAIN_XML_SECURE
XML_MIGRATABLE_INACTIVE = XML_MIGRATABLE | libvirt.VIR_DOMAIN_XML_INACTIVE

# jobStats keys shown to the user, as libvirt names them (bytes, bytes/s or ms).
STAT_KEYS = ("time_elapsed", "data_total", "data_processed", "data_remaining", "memory_total", "memory_processed",
             "memory_remaining", "memory_dirty_rate", "memory_bps", "memory_iteration", "disk_total",
             "disk_processed", "disk_remaining", "disk_bps", "downtime", "setup_time")
JOB_NONE = libvirt.VIR_DOMAIN_JOB_NONE


def migrate_direct(dom, dest_conn, params, flags):
    """Migrate dom to the host of dest_conn, this process driving both ends; blocks until it is over. The
    virDomain on the destination, or VirtError in libvirt's words (the guest then still runs on the source)."""
    with translated_errors():
        return dom.migrate3(dest_conn, params, flags)


def migrate_peer_to_peer(dom, dest_uri, params, flags):
    """Migrate dom with the source's libvirtd talking to dest_uri itself; blocks until it is over."""
    with translated_errors():
        dom.migrateToURI3(dest_uri, params, flags | PEER_TO_PEER)


def job_stats(dom):
    """{"type": libvirt's job type, and what STAT_KEYS it has} of dom's current job; {} when it has none (not
    started yet, over, or the domain is gone from this host)."""
    try:
        with translated_errors():
            stats = dom.jobStats(0)
    except VirtError:
        return {}
    if not stats or stats.get("type", JOB_NONE) == JOB_NONE:
        return {}
    return {"type": stats["type"], **{key: stats[key] for key in STAT_KEYS if key in stats}}


def abort_job(dom):
    """Stop dom's running migration: the guest stays on the source, running as before."""
    with translated_errors():
        dom.abortJob()


def start_postcopy(dom):
    """Switch dom's running migration (started with POSTCOPY) to post-copy."""
    with translated_errors():
        dom.migrateStartPostCopy(0)


def set_max_downtime(dom, milliseconds):
    with translated_errors():
        dom.migrateSetMaxDowntime(milliseconds, 0)


def domain_xml(dom, flags=0):
    with translated_errors():
        return dom.XMLDesc(flags)


# --- the destination's facts, for the pre-checks --------------------------------------------------------

# A libvirtd's host UUID is read once per connection: it is fixed for the daemon's life, a restarted daemon is a new
# connection, and formatting the capabilities costs tens of ms on a busy host (each migration's pre-checks ask).
_host_uuids = weakref.WeakKeyDictionary()


def host_uuid(conn):
    """The host UUID of conn's libvirtd (its capabilities'): two hosts with the same one are the same host."""
    if conn not in _host_uuids:
        with translated_errors():
            root = etree.fromstring(conn.getCapabilities().encode())
        _host_uuids[conn] = root.findtext("host/uuid")
    return _host_uuids[conn]


def driver_type(conn):
    """libvirt's driver name of conn: QEMU, TEST, ..."""
    with translated_errors():
        return conn.getType()


def compare_cpu(conn, cpu_xml, emulator, arch, machine, virttype):
    """libvirt's verdict (VIR_CPU_COMPARE_*) on whether conn's hypervisor can run a guest CPU described by cpu_xml."""
    with translated_errors():
        return conn.compareHypervisorCPU(emulator, arch, machine, virttype, cpu_xml, 0)


def domain_capabilities(conn, emulator, arch, machine, virttype):
    """conn's domain capabilities XML root for that emulator, arch, machine type and virt type."""
    with translated_errors():
        return etree.fromstring(conn.getDomainCapabilities(emulator, arch, machine, virttype, 0).encode())


def free_memory(conn):
    """conn's host free memory in bytes."""
    with translated_errors():
        return conn.getFreeMemory()


def pool_names(conn):
    with translated_errors():
        return {pool.name() for pool in conn.listAllStoragePools(0)}


def find_pool_volume(conn, path):
    """(pool, volume) holding the file at path on conn's host, or None."""
    try:
        with translated_errors():
            vol = conn.storageVolLookupByPath(path)
            return vol.storagePoolLookupByVolume(), vol
    except VirtError:
        return None


def find_volume_seen_fresh(conn, path):
    """find_pool_volume, after refreshing the running pools of path's directory on conn: a file another host made
    there (a shared directory) is unknown to this host's pool until it refreshes."""
    directory = path.rsplit("/", 1)[0]
    with translated_errors():
        pools = [pool for pool in conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE)]
        for pool in pools:
            if pool_target_path(pool) == directory:
                pool.refresh(0)
    return find_pool_volume(conn, path)


def pool_by_name(conn, name):
    try:
        with translated_errors():
            return conn.storagePoolLookupByName(name)
    except VirtError:
        return None


def pool_state(pool):
    """(running, bytes available) of a pool, refreshed first so that the room is today's."""
    with translated_errors():
        if not pool.isActive():
            return False, 0
        pool.refresh(0)
        return True, pool.info()[3]


def pool_target_path(pool):
    with translated_errors():
        return etree.fromstring(pool.XMLDesc(0).encode()).findtext("target/path")


def volume_facts(vol):
    """(capacity bytes, format, backing) of a volume; backing is (path, format) of its backing image, or None."""
    with translated_errors():
        root = etree.fromstring(vol.XMLDesc(0).encode())
    fmt = root.find("target/format")
    backing_path = root.findtext("backingStore/path")
    backing_fmt = root.find("backingStore/format")
    backing = (backing_path, backing_fmt.get("type") if backing_fmt is not None else "raw") if backing_path else None
    return int(root.findtext("capacity")), fmt.get("type") if fmt is not None else "raw", backing


def create_volume(pool, name, capacity, fmt, backing=None):
    """A new empty volume in pool, the destination of a disk copied by a migration; returns it. With backing
    ((path, format) of an image the destination has too), an overlay on it: an incremental copy fills only that."""
    backing_xml = (f"<backingStore><path>{escape(backing[0])}</path><format type='{backing[1]}'/></backingStore>"
                   if backing else "")
    xml = (f"<volume><name>{escape(name)}</name><capacity unit='bytes'>{capacity}</capacity>"
           f"<target><format type='{fmt}'/></target>{backing_xml}</volume>")
    with translated_errors():
        pool.refresh(0)
        return pool.createXML(xml, 0)


def delete_volume(vol):
    with translated_errors():
        vol.delete(0)


def lookup_domain_by(conn, uuid, name):
    """(by UUID, by name) the virDomains of conn, each None if absent."""
    found = []
    for call, key in ((conn.lookupByUUID, uuid.bytes), (conn.lookupByName, name)):
        try:
            with translated_errors():
                found.append(call(key))
        except VirtError as exc:
            if exc.code != libvirt.VIR_ERR_NO_DOMAIN:
                raise
            found.append(None)
    return tuple(found)


def migration_address(uri):
    """The host name or address of a remote libvirt URI (qemu+tcp://10.250.0.2/system -> 10.250.0.2), or None for a
    local one: where the migration data goes when the destination is reached over the network."""
    parts = urlsplit(uri)
    return parts.hostname or None


def completed_stats(dom):
    """The statistics of dom's last completed migration (STAT_KEYS it has: downtime, data moved, ...), or {}."""
    try:
        with translated_errors():
            stats = dom.jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
    except VirtError:
        return {}
    return {key: stats[key] for key in STAT_KEYS if key in (stats or {})}


def pool_name(pool):
    with translated_errors():
        return pool.name()
