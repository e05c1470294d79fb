"""The volumes of a clone onto another host: each source image moved by storage streams into a new volume there
(converted there into the format asked for), and the NVRAM the same way; progress from the bytes moved.

A cancel aborts the streams at once; the caller deletes every volume listed in made (nothing half-made stays).
"""

from domains.jobs.actions import JobCancelled, on_cancel, report_progress
from domains.libvirt import clones as libvirt_clones
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.volume_copy import HostToHostCopy
from domains.storage.volumes.actions import volume_formats, volume_xml


class _Running:
    """The copy the job runs now, for its cancel callback (registered once per job)."""

    def __init__(self, job):
        self.copy = None
        self.cancelled = False
        on_cancel(job, self.abort)

    def abort(self):
        self.cancelled = True
        if self.copy is not None:
            self.copy.abort()


def _move(job, running, source_host, source_vol, dest_host, pool, pool_row, name, size, done, total, made):
    """A new volume name in pool holding source_vol's bytes (size of them, its format as it is); returns it."""
    # Made as raw (or formatless where the pool's volumes have none), so the new file is exactly size bytes of
    # nothing: the image's own bytes fill it, and the pool's refresh then reads its format (qcow2, ...) from them.
    allowed, _default = volume_formats(pool_row, pool)
    vol = libvirt_storage.create_volume(pool, volume_xml(name, size, "raw" if allowed else None))
    made.append((pool, name))
    running.copy = HostToHostCopy(source_host, source_vol, dest_host, vol, size)
    if running.cancelled:
        raise JobCancelled()
    running.copy.run(lambda moved: report_progress(job, done + moved, total))
    running.copy = None
    report_progress(job, done + size, total)  # a cancel asked meanwhile stops here
    libvirt_storage.refresh_pool(pool)
    return libvirt_storage.find_volume(pool, name)


def make_volumes_there(job, plan, source_host, made):
    """{target: (path, format, block)} of the clone's disks on plan.destination (copied and shared), and its NVRAM's
    path there (or None)."""
    dest = plan.destination
    running = _Running(job)
    total = plan.total_bytes or None
    done = 0
    disks = {}
    for disk in plan.disks:
        if disk.mode == "share":
            if disk.dest_path:
                disks[disk.target] = (disk.dest_path, disk.format, disk.block)
            continue
        vol = _move(job, running, source_host, disk.source_vol, dest, disk.pool, disk.pool_row,
                    disk.staged_name or disk.volume_name, disk.moved, done, total, made)
        done += disk.moved
        if disk.staged_name:
            # The moved image converted there (qemu-img through libvirt); then the moved one goes.
            converted = libvirt_storage.clone_volume(disk.pool, volume_xml(disk.volume_name, disk.capacity,
                                                                           disk.format), vol)
            made.append((disk.pool, disk.volume_name))
            libvirt_storage.delete_volume(vol)
            made.remove((disk.pool, disk.staged_name))
            vol = converted
            report_progress(job, done, total)
        disks[disk.target] = (libvirt_storage.volume_identity(vol)[2], disk.format or disk.source_format,
                              libvirt_clones.volume_is_block(vol))
    nvram_path = None
    if plan.nvram_source is not None:
        pool, row, source = plan.nvram_source
        facts = libvirt_storage.volume_facts(source)
        size = facts[3] if facts[3] is not None else facts[1]
        vol = _move(job, running, source_host, source, dest, pool, row, plan.nvram_volume, size, done, total, made)
        nvram_path = libvirt_storage.volume_identity(vol)[2]
    return disks, nvram_path
