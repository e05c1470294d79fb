"""Uploading into and downloading from a volume: the checks, the job and its ending, shared by the HTTP routes.

The bytes move through domains/libvirt/streams.py; this module finds the volume for whoever may touch it,
reads byte ranges, and starts and ends downloads' jobs. Uploads (in parts) are in uploads.py.
"""

import re
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.errors import ConsoleError
from domains.jobs.actions import (
    JobCancelled,
    Target,
    do_fail_job,
    do_finish_job,
    do_mark_cancelled,
    do_mark_interrupted,
    do_start_job,
    on_cancel,
    report_progress,
)
from domains.jobs.models import INTERRUPTED, Job
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.streams import VolumeDownload, volume_facts
from domains.storage.lookups import no_volume, visible_pool

UPLOAD = "volume.upload"
DOWNLOAD = "volume.download"


class TransferError(ConsoleError):
    """A transfer refused or stopped: the message says what to do."""


def volume_target(pool, volume_name):
    """The jobs' name for a volume: (pool row, volume name), stable across pool renames."""
    return Target("storage_volume", f"{pool.pk}/{volume_name}", f"{pool.name}/{volume_name}", pool.host)


def find_visible_volume(user, host_pk, pool_name, volume_name, permission):
    """(Pool row, pool handle, volume handle) checked for permission; Http404 for a missing volume."""
    from django.http import Http404

    if "/" in volume_name or volume_name in (".", ".."):
        raise Http404(str(_("A volume name has no '/' and is not '.' or '..'.")))
    pool, pool_handle = visible_pool(user, host_pk, pool_name, permission)
    volume = libvirt_storage.find_volume(pool_handle, volume_name)
    if volume is None:
        raise Http404(str(no_volume(volume_name, pool_name)))
    return pool, pool_handle, volume


# --- byte ranges (RFC 9110) ---

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_content_range(header, content_length):
    """(start, total) from 'bytes N-M/T' of an upload; TransferError (400) when it does not add up."""
    matched = _CONTENT_RANGE.match(header.strip())
    if not matched:
        raise TransferError(format_lazy(_("Content-Range '{header}' is not 'bytes N-M/T' (first byte, last byte, "
                                          "total): send it in that form, or leave it out to upload from the start."),
                                        header=header), code="invalid_range")
    start, last, total = (int(group) for group in matched.groups())
    if last < start or last >= total or last - start + 1 != content_length:
        raise TransferError(format_lazy(_("Content-Range 'bytes {start}-{last}/{total}' does not match the body of "
                                          "{length} bytes: bytes N-M carry M-N+1 bytes, and M is below T."),
                                        start=start, last=last, total=total, length=content_length),
                            code="invalid_range")
    return start, total


def parse_range(header, size):
    """(first, last) inclusive of a download's 'Range: bytes=a-b'; None for a range this size cannot satisfy.

    Only one range: a multipart answer would cost a second pass over the stream for no one's benefit.
    """
    matched = _RANGE.match(header.strip())
    if not matched or matched.groups() == ("", ""):
        return None
    first, last = matched.groups()
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return None
        return max(0, size - length), size - 1
    first = int(first)
    last = size - 1 if last == "" else min(int(last), size - 1)
    if first >= size or last < first:
        return None
    return first, last


# --- uploads ---

def resumable_offset(pool, volume_name):
    """How many bytes the last upload into the volume wrote before it was cut off: 0 if it was not cut off."""
    last = Job.objects.filter(kind=UPLOAD, target_type="storage_volume",
                              target_id=f"{pool.pk}/{volume_name}").order_by("-id").first()
    return last.done if last is not None and last.state == INTERRUPTED else 0


def report_progress_quietly(job, done):
    """The final count, written even when a cancel was asked (that is why the job ends)."""
    try:
        report_progress(job, done)
    except JobCancelled:
        job.done = done


# --- downloads ---

@dataclass
class DownloadPlan:
    pool: object
    volume_name: str
    volume: object
    size: int
    first: int = 0
    last: int = -1
    sparse: bool = False
    job: Job | None = None
    reader: VolumeDownload | None = None
    sent: int = 0  # read from libvirt
    delivered: int = 0  # handed to the client (a batch may be read ahead)

    @property
    def length(self):
        return self.last - self.first + 1


def plan_download(user, host_pk, pool_name, volume_name):
    """The volume and its content's size, checked for storage_vol.data_read."""
    pool, _handle, volume = find_visible_volume(user, host_pk, pool_name, volume_name, "storage_vol.data_read")
    facts = volume_facts(volume)
    # A file volume's content is the file (a qcow2's is smaller than its capacity); a block volume's its capacity.
    size = libvirt_storage.volume_content_size(volume) if facts["file_backed"] else facts["capacity"]
    return DownloadPlan(pool=pool, volume_name=volume_name, volume=volume, size=size, last=size - 1,
                        sparse=facts["file_backed"])


def start_download(user, plan, source_address=None, to_client=False):
    """The download's job and stream; to_client: the stream's child writes the bytes into the client's socket
    (plan.reader.send_to_client) instead of handing them to this process."""
    plan.job = do_start_job(user, DOWNLOAD, volume_target(plan.pool, plan.volume_name), total=plan.length,
                            unit="bytes", cancellable=True, source_address=source_address,
                            params={"pool": plan.pool.name, "volume": plan.volume_name, "first": plan.first,
                                    "last": plan.last})
    try:
        plan.reader = VolumeDownload(plan.pool.host, plan.volume, plan.first, plan.length, sparse=plan.sparse,
                                     to_client=to_client)
    except ConsoleError as exc:
        do_fail_job(plan.job, exc.message)
        raise
    on_cancel(plan.job, plan.reader.abort)
    return plan


def read_chunk(plan, size):
    """Up to size bytes, or a hole's length (an int), from the download; progress reported."""
    got = plan.reader.read(min(size, plan.length - plan.sent)) if plan.sent < plan.length else b""
    count = got if isinstance(got, int) else len(got)
    plan.sent += count
    report_progress(plan.job, plan.sent, plan.length)
    return got


def report_written(plan, written):
    """Progress of a download the child writes into the client's socket: written bytes are out."""
    plan.sent = plan.delivered = written
    report_progress(plan.job, written, plan.length)


def complete_download(plan):
    plan.reader.finish()
    do_finish_job(plan.job, {"size": plan.length, "first": plan.first, "last": plan.last})


def end_download_early(plan):
    """The response stopped before the stream's end was read: succeeded if the client had every byte."""
    if plan.delivered < plan.length:
        return interrupt_download(plan)
    try:
        plan.reader.finish()
    except ConsoleError:
        plan.reader.abort()  # the bytes are out; only libvirt's end-of-stream was never read
    report_progress_quietly(plan.job, plan.delivered)
    do_finish_job(plan.job, {"size": plan.length, "first": plan.first, "last": plan.last})


def interrupt_download(plan, exc=None):
    plan.reader.abort()
    report_progress_quietly(plan.job, plan.delivered)
    if isinstance(exc, JobCancelled) or plan.job.cancel_requested:
        do_mark_cancelled(plan.job)
    elif exc is not None:
        do_fail_job(plan.job, exc.message if isinstance(exc, ConsoleError) else str(exc))
    else:
        do_mark_interrupted(plan.job, f"The client stopped reading after at most {plan.delivered} of {plan.length} "
                                      f"bytes: download the rest with Range: bytes=<first byte you lack>-{plan.last}.")
