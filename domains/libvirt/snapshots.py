"""The snapshot part of the libvirt adapter: a domain's snapshots, their create, revert and delete, block commits."""

import libvirt

from domains.libvirt.adapter import VirtError, translated_errors

# libvirt learnt to revert (and delete) external snapshots in 9.9.0; older ones refuse or leave a half-done revert.
EXTERNAL_REVERT_SINCE = 9_009_000

CREATE_DISK_ONLY = libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY
CREATE_ATOMIC = libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
REVERT_RUNNING = libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING
REVERT_PAUSED = libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED
DELETE_CHILDREN = libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN
DELETE_METADATA_ONLY = libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY
COMMIT_ACTIVE = libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE
COMMIT_SHALLOW = libvirt.VIR_DOMAIN_BLOCK_COMMIT_SHALLOW
ABORT_PIVOT = libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT
INACTIVE = libvirt.VIR_DOMAIN_XML_INACTIVE


def library_version(dom):
    """The version of the libvirt that runs dom (the daemon's, e.g. 9000000 for 9.0.0)."""
    with translated_errors():
        return dom.connect().getLibVersion()


def version_words(number):
    return f"{number // 1_000_000}.{number // 1000 % 1000}.{number % 1000}"


def list_snapshots(dom):
    """Every virDomainSnapshot of dom, in no particular order."""
    with translated_errors():
        return dom.listAllSnapshots(0)


def find_snapshot(dom, name):
    """dom's virDomainSnapshot called name, or None if there is none."""
    try:
        with translated_errors():
            return dom.snapshotLookupByName(name, 0)
    except VirtError as exc:
        if exc.code == libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT:
            return None
        raise


def snapshot_name(snap):
    with translated_errors():
        return snap.getName()


def snapshot_xml(snap):
    with translated_errors():
        return snap.getXMLDesc(0)


def is_current(snap):
    with translated_errors():
        return bool(snap.isCurrent(0))


def parent_name(snap):
    """The name of snap's parent snapshot, or None for a root."""
    try:
        with translated_errors():
            return snap.getParent(0).getName()
    except VirtError as exc:
        if exc.code == libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT:
            return None
        raise


def create_snapshot(dom, xml, flags=0):
    """Take a snapshot described by xml (a <domainsnapshot>); the new virDomainSnapshot."""
    with translated_errors():
        return dom.snapshotCreateXML(xml, flags)


def redefine_snapshot(dom, xml, current=False):
    """Replace a snapshot's metadata by xml (its disks and saved definition), data untouched; current keeps it the
    domain's current snapshot."""
    flags = libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE | (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT if current else 0)
    with translated_errors():
        return dom.snapshotCreateXML(xml, flags)


def revert_to_snapshot(dom, snap, flags=0):
    with translated_errors():
        dom.revertToSnapshot(snap, flags)


def delete_snapshot(snap, flags=0):
    with translated_errors():
        snap.delete(flags)


def domain_xml(dom, inactive=False):
    with translated_errors():
        return dom.XMLDesc(INACTIVE if inactive else 0)


def domain_type(dom):
    """The hypervisor driver's name for dom's connection ('QEMU', 'TEST', ...)."""
    with translated_errors():
        return dom.connect().getType()


def is_active(dom):
    with translated_errors():
        return bool(dom.isActive())


def domain_state(dom):
    """libvirt's state number of dom (VIR_DOMAIN_RUNNING, ...)."""
    with translated_errors():
        return dom.state()[0]


def block_commit(dom, disk, base, top, flags=0):
    """Start a block commit of disk's layers from top down into base (paths; None: the active layer / its backing)."""
    with translated_errors():
        dom.blockCommit(disk, base, top, 0, flags)


def block_job(dom, disk):
    """{"type", "cur", "end", ...} of disk's block job, or None when it has none (it ended)."""
    with translated_errors():
        info = dom.blockJobInfo(disk, 0)
    return info or None


def block_job_abort(dom, disk, flags=0):
    """End disk's block job: with ABORT_PIVOT an active commit ready to switch makes the domain run on the base."""
    with translated_errors():
        dom.blockJobAbort(disk, flags)

