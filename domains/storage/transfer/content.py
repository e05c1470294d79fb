"""Uploading into and downloading from a volume: the checks, the job and its ending, shared by the HTTP routes.

The bytes move through domains/libvirt/streams.py; this module decides whether a transfer may start (who,
how large, from which offset), starts its job, and ends it: succeeded with the SHA-256, interrupted with how
far it got (so an upload can resume there), failed or cancelled.
"""

import hashlib
import re
from dataclasses import dataclass, field

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
from domains.jobs.models import ACTIVE, INTERRUPTED, Job
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.streams import PACKET, VolumeDownload, VolumeUpload, volume_facts
from domains.storage.lookups import visible_pool

UPLOAD = "volume.upload"
DOWNLOAD = "volume.download"
# Reading back the first N bytes of a resumed upload, for its SHA-256: 1 MiB per read.
READ_BACK = 1 << 20


class TransferError(ConsoleError):
    """A transfer refused or stopped: the message says what to do."""


def volume_target(pool, volume_name):
    """The jobs' name for a volume: (pool row, volume name), stable across pool renames."""
    return Target("storage_volume", f"{pool.pk}/{volume_name}", f"{pool.name}/{volume_name}", pool.host)


def find_visible_volume(user, host_pk, pool_name, volume_name, permission):
    """(Pool row, pool handle, volume handle) checked for permission; Http404 for a missing volume."""
    from django.http import Http404

    if "/" in volume_name or volume_name in (".", ".."):
        raise Http404("A volume name has no '/' and is not '.' or '..'.")
    pool, pool_handle = visible_pool(user, host_pk, pool_name, permission)
    volume = libvirt_storage.find_volume(pool_handle, volume_name)
    if volume is None:
        raise Http404(f"No volume '{volume_name}' in pool '{pool_name}'.")
    return pool, pool_handle, volume


# --- byte ranges (RFC 9110) ---

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_content_range(header, content_length):
    """(start, total) from 'bytes N-M/T' of an upload; TransferError (400) when it does not add up."""
    matched = _CONTENT_RANGE.match(header.strip())
    if not matched:
        raise TransferError(f"Content-Range '{header}' is not 'bytes N-M/T' (first byte, last byte, total): "
                            "send it in that form, or leave it out to upload from the start.", code="invalid_range")
    start, last, total = (int(group) for group in matched.groups())
    if last < start or last >= total or last - start + 1 != content_length:
        raise TransferError(f"Content-Range 'bytes {start}-{last}/{total}' does not match the body of "
                            f"{content_length} bytes: bytes N-M carry M-N+1 bytes, and M is below T.",
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


@dataclass
class UploadPlan:
    """What one PUT will do: where it starts, how much it carries, into what."""

    pool: object
    volume_name: str
    volume: object
    start: int
    length: int
    total: int
    capacity: int
    sparse: bool
    job: Job | None = None
    upload: VolumeUpload | None = None
    hasher: object = field(default_factory=hashlib.sha256)
    received: int = 0
    peak_buffered: int = 0  # the most body bytes held in the server at once (the memory bound, measured)

    @property
    def done(self):
        return self.start + self.received


def plan_upload(user, host_pk, pool_name, volume_name, content_length, content_range=None):
    """Check everything an upload needs before any byte moves; TransferError (413, 409, 400) or Http404/403."""
    pool, _, volume = find_visible_volume(user, host_pk, pool_name, volume_name, "storage_vol.data_write")
    if content_length is None:
        raise TransferError("An upload needs a Content-Length header (the body's size in bytes): send the body "
                            "with its length.", code="length_required", status=411)
    start, total = parse_content_range(content_range, content_length) if content_range else (0, content_length)
    facts = volume_facts(volume)
    if total > facts["capacity"]:
        raise TransferError(f"The upload is {total} bytes but volume '{volume_name}' holds {facts['capacity']}: "
                            f"grow the volume to at least {total} bytes, or upload into a larger one.",
                            code="too_large", status=413, fields={"size": total, "capacity": facts["capacity"]})
    if Job.objects.filter(kind=UPLOAD, target_type="storage_volume", target_id=f"{pool.pk}/{volume_name}",
                          state__in=ACTIVE).exists():
        raise TransferError(f"Another upload into '{pool.name}/{volume_name}' is running: wait for it to end, or "
                            "cancel it from its job.", code="upload_running", status=409)
    if start:
        written = resumable_offset(pool, volume_name)
        if start > written:
            raise TransferError(f"The upload cannot resume at byte {start}: the last upload into this volume wrote "
                                f"{written} bytes. Resume from byte {written} (Content-Range: bytes "
                                f"{written}-{total - 1}/{total}).", code="resume_offset", status=409,
                                fields={"offset": written})
    # A hole leaves the volume's old bytes in place (streams.VolumeUpload), so holes only into a volume that
    # holds nothing yet, by an upload that runs to its end.
    sparse = (facts["file_backed"] and facts["allocation"] == 0 and start == 0 and total == facts["capacity"])
    return UploadPlan(pool=pool, volume_name=volume_name, volume=volume, start=start, length=content_length,
                      total=total, capacity=facts["capacity"], sparse=sparse)


def start_upload(user, plan, source_address=None):
    """Start the upload's job, hash the bytes already in the volume (a resume), and open the stream."""
    plan.job = do_start_job(user, UPLOAD, volume_target(plan.pool, plan.volume_name), total=plan.total,
                            unit="bytes", cancellable=True, source_address=source_address,
                            params={"pool": plan.pool.name, "volume": plan.volume_name, "offset": plan.start,
                                    "length": plan.length, "sparse": plan.sparse})
    try:
        if plan.start:
            hash_volume_prefix(plan)
        plan.upload = VolumeUpload(plan.pool.host, plan.volume, plan.start, plan.length, sparse=plan.sparse)
    except ConsoleError as exc:
        do_fail_job(plan.job, exc.message)
        raise
    on_cancel(plan.job, plan.upload.abort)
    report_progress(plan.job, plan.start, plan.total)
    return plan


def hash_volume_prefix(plan):
    """Feed the hasher the first plan.start bytes, read back from the volume through a download stream."""
    reader = VolumeDownload(plan.pool.host, plan.volume, 0, plan.start)
    try:
        remaining = plan.start
        while remaining:
            data = reader.read(min(READ_BACK, remaining, PACKET))
            if not data:
                raise TransferError(f"The volume ended {remaining} bytes before byte {plan.start} while reading "
                                    "back what the last upload wrote: upload it again from the start.",
                                    code="resume_offset", status=409, fields={"offset": 0})
            plan.hasher.update(data)
            remaining -= len(data)
        reader.finish()
    except BaseException:
        reader.abort()
        raise


def write_chunk(plan, data):
    """Hash and send data (on a worker thread); report progress. JobCancelled when the job was cancelled."""
    if plan.received + len(data) > plan.length:
        raise TransferError(f"The body carries more than the {plan.length} bytes its Content-Length announced: "
                            "send exactly Content-Length bytes.", code="invalid_length")
    plan.hasher.update(data)
    plan.upload.write(data)
    plan.received += len(data)
    report_progress(plan.job, plan.done, plan.total)


def complete_upload(plan):
    """All the bytes arrived: commit the stream and end the job succeeded with the hash."""
    plan.upload.finish()
    result = {"sha256": plan.hasher.hexdigest(), "size": plan.total, "resumed_at": plan.start,
              "pool": plan.pool.name, "volume": plan.volume_name, "peak_buffered": plan.peak_buffered}
    report_progress(plan.job, plan.total, plan.total)
    do_finish_job(plan.job, result)
    return result


def interrupt_upload(plan):
    """The client went away mid-body: keep what arrived (finish, not abort) and say where to resume."""
    try:
        plan.upload.finish(fill_to_end=True)
    except ConsoleError:
        plan.upload.abort()
    report_progress_quietly(plan.job, plan.done)
    do_mark_interrupted(plan.job, f"The client stopped sending after {plan.done} of {plan.total} bytes; the "
                                  f"volume holds them. Resume the upload from byte {plan.done} "
                                  f"(Content-Range: bytes {plan.done}-{plan.total - 1}/{plan.total}).")


def stop_upload(plan, exc):
    """The upload failed or was cancelled: drop the stream and end the job accordingly."""
    plan.upload.abort() if plan.upload is not None else None
    report_progress_quietly(plan.job, plan.done)
    if isinstance(exc, JobCancelled) or plan.job.cancel_requested:
        do_mark_cancelled(plan.job)
        return TransferError(f"The upload was cancelled after {plan.done} bytes.", code="cancelled", status=409)
    message = exc.message if isinstance(exc, ConsoleError) else str(exc)
    do_fail_job(plan.job, message)
    return exc if isinstance(exc, ConsoleError) else TransferError(message, status=502)


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
    pool, _, volume = find_visible_volume(user, host_pk, pool_name, volume_name, "storage_vol.data_read")
    facts = volume_facts(volume)
    # A file volume's content is the file (a qcow2's is smaller than its capacity); a block volume's its capacity.
    size = libvirt_storage.volume_content_size(volume) if facts["file_backed"] else facts["capacity"]
    return DownloadPlan(pool=pool, volume_name=volume_name, volume=volume, size=size, last=size - 1,
                        sparse=facts["file_backed"])


def start_download(user, plan, source_address=None):
    plan.job = do_start_job(user, DOWNLOAD, volume_target(plan.pool, plan.volume_name), total=plan.length,
                            unit="bytes", cancellable=True, source_address=source_address,
                            params={"pool": plan.pool.name, "volume": plan.volume_name, "first": plan.first,
                                    "last": plan.last})
    try:
        plan.reader = VolumeDownload(plan.pool.host, plan.volume, plan.first, plan.length, sparse=plan.sparse)
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
