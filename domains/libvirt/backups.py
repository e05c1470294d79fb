"""The backup part of the libvirt adapter: checkpoints, push-mode backupBegin, the backup job's stats and its abort."""

import libvirt

from domains.libvirt.adapter import VirtError, translated_errors

# The backup target is a volume the console made in the user's pool: libvirt writes into it, never creates it.
BEGIN_REUSE_EXTERNAL = libvirt.VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL
CHECKPOINT_METADATA_ONLY = libvirt.VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY
JOB_BACKUP = libvirt.VIR_DOMAIN_JOB_OPERATION_BACKUP
JOB_NONE = libvirt.VIR_DOMAIN_JOB_NONE
JOB_COMPLETED = libvirt.VIR_DOMAIN_JOB_COMPLETED
UNDEFINE_CHECKPOINTS = libvirt.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA


def begin_backup(dom, backup_xml, checkpoint_xml):
    """Start a push-mode backup (backup_xml a <domainbackup mode='push'>) that also makes the checkpoint described
    by checkpoint_xml; returns at once, the copy runs as the domain's job."""
    with translated_errors():
        dom.backupBegin(backup_xml, checkpoint_xml, BEGIN_REUSE_EXTERNAL)


def job_stats(dom):
    """The domain's current job as libvirt's typed parameters ({"type": JOB_NONE} when there is none)."""
    with translated_errors():
        return dom.jobStats(0)


def completed_job_stats(dom):
    """The statistics of the domain's last finished job: success, errmsg, disk_processed, ..."""
    with translated_errors():
        return dom.jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)


def abort_job(dom):
    """Abort the domain's job (a backup: QEMU stops copying, the target keeps what was written)."""
    with translated_errors():
        dom.abortJob()


def checkpoint_names(dom):
    """The names of dom's checkpoints, in no particular order."""
    with translated_errors():
        return [checkpoint.getName() for checkpoint in dom.listAllCheckpoints(0)]


def find_checkpoint(dom, name):
    """dom's virDomainCheckpoint called name, or None."""
    try:
        with translated_errors():
            return dom.checkpointLookupByName(name, 0)
    except VirtError as exc:
        if exc.code == libvirt.VIR_ERR_NO_DOMAIN_CHECKPOINT:
            return None
        raise


def checkpoint_xml(checkpoint):
    with translated_errors():
        return checkpoint.getXMLDesc(0)


def delete_checkpoint(checkpoint, metadata_only=False):
    """Delete a checkpoint: its bitmaps merged into its parent's (running domain), or only libvirt's record of it
    (metadata_only: libvirt 9.0 cannot delete a shut-off domain's checkpoint otherwise)."""
    with translated_errors():
        checkpoint.delete(CHECKPOINT_METADATA_ONLY if metadata_only else 0)
