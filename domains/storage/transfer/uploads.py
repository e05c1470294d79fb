"""Uploads, in one body or in parts: an upload stays open between its parts in the process that runs its job.

A client sends a file in one PUT, or as consecutive PUTs each with Content-Range: bytes N-M/T (a part may be
any size: the server streams each body into libvirt as it arrives). The first part starts the job and opens
one libvirt stream from N to T and the SHA-256; later parts continue both; the part ending at T commits the
stream and ends the job with the hash. An upload whose client stops sending is closed after
settings.UPLOAD_IDLE_SECONDS: the volume keeps what arrived, the job is interrupted at N, and a part at N (in
this process or another) reopens it the way a resume does: the first N bytes are read back for the hash.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import permissions
from domains.errors import ConsoleError
from domains.jobs.actions import (
    JobCancelled,
    do_fail_job,
    do_finish_job,
    do_mark_cancelled,
    do_mark_interrupted,
    do_start_job,
    on_cancel,
    report_progress,
)
from domains.jobs.models import ACTIVE, Job
from domains.jobs.progress import write_progress
from domains.libvirt.streams import PACKET, VolumeDownload, VolumeUpload, volume_facts
from domains.storage.transfer.content import (
    UPLOAD,
    TransferError,
    find_visible_volume,
    report_progress_quietly,
    resumable_offset,
    volume_target,
)

log = logging.getLogger(__name__)

# Reading back the first N bytes of a resumed upload, for its SHA-256: 1 MiB per read.
READ_BACK = 1 << 20


@dataclass(eq=False)
class OpenUpload:
    """One upload between its parts: its job, its libvirt stream and its hash, as far as it got."""

    key: tuple
    address: tuple  # (host pk, pool name, volume name) as the parts' URL names it
    user_id: int
    pool: object
    volume_name: str
    volume: object
    start: int  # where the stream began: 0, or the offset a resume reopened at
    total: int
    job: Job | None = None
    stream: VolumeUpload | None = None  # it keeps the SHA-256 of the volume's new content, from byte 0
    done: int = 0  # bytes of the volume's new content in libvirt's hands (start included)
    busy: bool = True  # a part is being received, or the upload is being opened
    closing: bool = False
    cancelled: bool = False
    idle_since: float = field(default_factory=time.monotonic)
    peak_buffered: int = 0  # the most body bytes the app held at once over all parts (the memory bound)
    closed: threading.Event = field(default_factory=threading.Event)


@dataclass
class Part:
    """One PUT's bytes: first..first+length-1 of the upload."""

    upload: OpenUpload
    first: int
    length: int
    received: int = 0

    @property
    def done(self):
        return self.first + self.received

    @property
    def peak_buffered(self):
        return self.upload.peak_buffered

    @peak_buffered.setter
    def peak_buffered(self, value):
        self.upload.peak_buffered = max(self.upload.peak_buffered, value)


# The open uploads of this process by volume (pool row's pk, volume name): one upload per volume at a time.
# Touched from the server's loop, its sync thread, worker threads and the idle closer: always under _lock.
_open = {}
_lock = threading.Lock()
_wake = threading.Condition(_lock)
_closer = None


def begin_part(user, host_pk, pool_name, volume_name, first, length, total, source_address=None):
    """The Part a PUT carries, checked: who, where it starts, into which upload (opened when it is the first).

    TransferError 409 (fields.offset: where the upload stands) for a part not at that offset, 413 for an
    upload larger than the volume; Http404/PermissionDenied as for any volume.
    """
    address = (host_pk, pool_name, volume_name)
    held = _held_by(user, address)
    if held is not None:
        pool, volume = held.pool, held.volume
    else:
        pool, _handle, volume = find_visible_volume(user, host_pk, pool_name, volume_name, "storage_vol.data_write")
    key = (pool.pk, volume_name)
    while True:
        with _lock:
            upload = _open.get(key)
            if upload is None:
                # Reserved before it opens, so a second first part into the same volume is refused, not raced.
                upload = _open[key] = OpenUpload(key=key, address=address, user_id=user.pk, pool=pool, volume_name=volume_name,
                                                 volume=volume, start=first, total=total, done=first)
                break
            if not upload.closing:
                _check_continues(upload, user, first, total)
                upload.busy = True
                return Part(upload, first, length)
        upload.closed.wait(timeout=60)  # the idle closer is ending it: then this part reopens it
    try:
        _open_upload(user, upload, source_address)
    except BaseException:
        _forget(upload)
        raise
    return Part(upload, first, length)


def _held_by(user, address):
    """The open upload user's part continues, found without asking libvirt for the pool and volume again (the
    permission is checked on the pool's row: a grant taken away stops the next part); None: look it all up."""
    with _lock:
        upload = next((u for u in _open.values() if u.address == address and u.user_id == user.pk), None)
    if upload is None or not all(permissions.has_perm(user, permission, upload.pool)
                                 for permission in ("storage_pool.getattr", "storage_vol.data_write")):
        return None
    return upload


def _check_continues(upload, user, first, total):
    label = f"{upload.pool.name}/{upload.volume_name}"
    if upload.user_id != user.pk:
        raise TransferError(format_lazy(_("Another upload into '{volume}' is running: wait for it to end, or cancel "
                                          "it from its job."), volume=label), code="upload_running", status=409)
    if upload.busy:
        raise TransferError(format_lazy(_("A part of the upload into '{volume}' is still being received: send the "
                                          "parts one after another, each once the one before was answered."),
                                        volume=label), code="part_in_progress", status=409,
                            fields={"offset": upload.done})
    if upload.cancelled:
        _wake.notify()
        raise TransferError(format_lazy(_("The upload into '{volume}' was cancelled after {done} bytes: start it "
                                          "again from byte 0."), volume=label, done=upload.done),
                            code="cancelled", status=409)
    if total != upload.total:
        raise TransferError(format_lazy(_("The upload into '{volume}' is {total} bytes, not {given}: send its next "
                                          "part as bytes {done}-M/{total}, or cancel its job to upload another "
                                          "file."), volume=label, total=upload.total, given=total, done=upload.done),
                            code="resume_offset", status=409, fields={"offset": upload.done})
    if first != upload.done:
        raise TransferError(format_lazy(_("The upload into '{volume}' stands at byte {done}, so a part starting at "
                                          "byte {first} does not follow: send Content-Range: bytes {done}-M/{total}."),
                                        volume=label, done=upload.done, first=first, total=upload.total),
                            code="resume_offset", status=409, fields={"offset": upload.done})


def _open_upload(user, upload, source_address):
    """Start the upload's job, hash the bytes already in the volume (a resume), and open the stream."""
    pool, name, first, total = upload.pool, upload.volume_name, upload.start, upload.total
    facts = volume_facts(upload.volume)
    if total > facts["capacity"]:
        raise TransferError(format_lazy(_("The upload is {total} bytes but volume '{name}' holds {capacity}: grow "
                                          "the volume to at least {total} bytes, or upload into a larger one."),
                                        total=total, name=name, capacity=facts["capacity"]), code="too_large",
                            status=413, fields={"size": total, "capacity": facts["capacity"]})
    if Job.objects.filter(kind=UPLOAD, target_type="storage_volume", target_id=f"{pool.pk}/{name}",
                          state__in=ACTIVE).exists():
        raise TransferError(format_lazy(_("Another upload into '{volume}' is running (in another server process, if "
                                          "it is yours: it closes after {seconds} s without parts, then continue "
                                          "from the offset its job reports): wait for it to end, or cancel it from "
                                          "its job."), volume=f"{pool.name}/{name}",
                                        seconds=settings.UPLOAD_IDLE_SECONDS), code="upload_running", status=409)
    if first:
        written = resumable_offset(pool, name)
        if first > written:
            raise TransferError(format_lazy(_("The upload cannot resume at byte {first}: the last upload into this "
                                              "volume wrote {written} bytes. Resume from byte {written} "
                                              "(Content-Range: bytes {written}-M/{total})."),
                                            first=first, written=written, total=total), code="resume_offset",
                                status=409, fields={"offset": written})
    # A hole leaves the volume's old bytes in place (streams.VolumeUpload), so holes only into a volume that
    # holds nothing yet, by an upload that runs to its end (closing one early fills the rest with a hole).
    sparse = facts["file_backed"] and facts["allocation"] == 0 and first == 0 and total == facts["capacity"]
    upload.job = do_start_job(user, UPLOAD, volume_target(pool, name), total=total, unit="bytes",
                              cancellable=True, source_address=source_address,
                              params={"pool": pool.name, "volume": name, "offset": first, "length": total - first,
                                      "sparse": sparse})
    try:
        upload.stream = VolumeUpload(pool.host, upload.volume, first, total - first, sparse=sparse, hashed=True)
        if first:
            _hash_volume_prefix(upload)
    except ConsoleError as exc:
        if upload.stream is not None:
            upload.stream.abort()
        do_fail_job(upload.job, exc.message)
        raise
    on_cancel(upload.job, lambda: _cancel(upload))
    report_progress(upload.job, first, total)


def _hash_volume_prefix(upload):
    """Feed the upload's SHA-256 the first upload.start bytes, read back from the volume through a download
    stream."""
    reader = VolumeDownload(upload.pool.host, upload.volume, 0, upload.start)
    try:
        remaining = upload.start
        while remaining:
            data = reader.read(min(READ_BACK, remaining, PACKET))
            if not data:
                raise TransferError(format_lazy(_("The volume ended {remaining} bytes before byte {start} while "
                                                  "reading back what the last upload wrote: upload it again from "
                                                  "the start."), remaining=remaining, start=upload.start),
                                    code="resume_offset", status=409, fields={"offset": 0})
            upload.stream.write_prefix(data)
            remaining -= len(data)
        reader.finish()
    except BaseException:
        reader.abort()
        raise


def _cancel(upload):
    """A cancel asked in this process: stop the stream now; the part it interrupts, or the closer, ends the job."""
    upload.cancelled = True
    if upload.stream is not None:
        upload.stream.abort()
    with _lock:
        _wake.notify()


def check_chunk(part, size):
    """Refuse size more bytes beyond what the part's Content-Length announced, before any of them is hashed or
    sent."""
    if part.received + size > part.length:
        raise TransferError(format_lazy(_("The body carries more than the {length} bytes its Content-Length "
                                          "announced: send exactly Content-Length bytes."), length=part.length),
                            code="invalid_length")


def take_chunk(part, pieces, size):
    """Send pieces (bytes each, size in all) into the stream, whose pump hashes them (on a worker thread); report
    progress. JobCancelled when the job was cancelled."""
    upload = part.upload
    upload.stream.write(*pieces)
    part.received += size
    upload.done += size
    report_progress(upload.job, upload.done, upload.total)


def take_client_body(part, client_fd, count):
    """Let the stream's pump read count bytes of the part's body from the client's socket itself (on a worker
    thread, while the server does not read that socket); report progress as it goes. The bytes taken: fewer
    than count when the client's connection ended."""
    upload, start = part.upload, part.upload.done

    def progress(taken):
        report_progress(upload.job, start + taken, upload.total)

    taken = upload.stream.take_client_body(client_fd, count, progress)
    part.received += taken
    upload.done += taken
    report_progress(upload.job, upload.done, upload.total)
    return taken


def end_part(part):
    """All of the part arrived: (200, the result with the SHA-256) for the last part, else (202, where it stands)."""
    upload = part.upload
    if upload.done < upload.total:
        write_progress(upload.job)  # exact between parts: a client asking the job goes on from there
        _rest(upload)
        return 202, {"received": upload.done, "total": upload.total, "job": upload.job.as_message()}
    try:
        upload.stream.finish()
        result = {"sha256": upload.stream.digest, "size": upload.total, "resumed_at": upload.start,
                  "pool": upload.pool.name, "volume": upload.volume_name, "peak_buffered": upload.peak_buffered}
        report_progress(upload.job, upload.total, upload.total)
        do_finish_job(upload.job, result)
    except (ConsoleError, JobCancelled) as exc:
        return stop_part(part, exc)  # the error to answer
    finally:
        _forget(upload)
    return 200, {**result, "job": upload.job.as_message()}


def cut_short(part):
    """The part's body ended early (client gone, or shorter than announced): what arrived stays written and the
    upload open at upload.done, written to its job at once so a client asking the job resumes from there."""
    upload = part.upload
    write_progress(upload.job)
    _rest(upload)
    return TransferError(format_lazy(_("The body ended after {received} of the {length} bytes its Content-Length "
                                       "announced: continue from byte {done}."), received=part.received,
                                     length=part.length, done=upload.done), code="incomplete",
                         fields={"offset": upload.done})


def stop_part(part, exc):
    """The upload failed or was cancelled in a part: drop the stream, end the job; the error to answer."""
    upload = part.upload
    if upload.stream is not None:
        upload.stream.abort()
    _forget(upload)
    report_progress_quietly(upload.job, upload.done)
    if isinstance(exc, JobCancelled) or upload.job.cancel_requested or upload.cancelled:
        do_mark_cancelled(upload.job)
        return TransferError(format_lazy(_("The upload was cancelled after {done} bytes."), done=upload.done),
                             code="cancelled", status=409)
    message = exc.message if isinstance(exc, ConsoleError) else str(exc)
    do_fail_job(upload.job, message)
    return exc if isinstance(exc, ConsoleError) else TransferError(message, status=502)


def _rest(upload):
    """Between parts: idle from now; the idle closer watches it."""
    global _closer
    with _lock:
        upload.busy = False
        upload.idle_since = time.monotonic()
        if _closer is None:
            _closer = threading.Thread(target=_close_idle_uploads, name="upload-idle-closer", daemon=True)
            _closer.start()
        _wake.notify()


def _forget(upload):
    with _lock:
        if _open.get(upload.key) is upload:
            del _open[upload.key]
        upload.closed.set()
        _wake.notify()


# --- closing idle uploads ---

def _close_idle_uploads():
    """The idle closer's thread: runs while this process has open uploads, ends an upload idle too long."""
    global _closer
    try:
        while True:
            with _lock:
                if not _open:
                    _closer = None
                    return
                due, waits = [], []
                now, limit = time.monotonic(), settings.UPLOAD_IDLE_SECONDS
                for upload in _open.values():
                    if upload.busy or upload.closing:
                        continue  # a part's end wakes this thread
                    if upload.cancelled or now - upload.idle_since >= limit:
                        upload.closing = True
                        due.append(upload)
                    else:
                        waits.append(upload.idle_since + limit - now)
                if not due:
                    _wake.wait(min(waits) if waits else None)
                    continue
            for upload in due:
                close_upload(upload)
    finally:
        connection.close()  # this thread's own database connection


def close_upload(upload, why=None):
    """End an open upload now: the volume keeps what arrived and the job is interrupted at upload.done (or
    cancelled, when that was asked), so a part at upload.done reopens it."""
    try:
        upload.job.refresh_from_db(fields=["cancel_requested", "state"])
        if upload.cancelled or upload.job.cancel_requested:
            upload.stream.abort()
            report_progress_quietly(upload.job, upload.done)
            do_mark_cancelled(upload.job)
            return
        try:
            upload.stream.finish(fill_to_end=True)
        except ConsoleError as exc:
            upload.stream.abort()
            # The bytes counted were handed to the stream's process; only its own count says what libvirt took.
            written = getattr(exc, "written", None)
            if written is None:
                report_progress_quietly(upload.job, upload.done)
                # Kept in the console's own language (the job's error): a plain template, said once kept.
                do_fail_job(upload.job, format_lazy("{} How much of the upload the volume holds is not known: "
                                                    "upload the file again from the start.", exc.message))
                return
            upload.done = upload.start + written
        report_progress_quietly(upload.job, upload.done)
        why = why or f"No part arrived for {settings.UPLOAD_IDLE_SECONDS} s"
        do_mark_interrupted(upload.job, f"{why} after {upload.done} of {upload.total} bytes; the volume holds "
                                        f"them. Resume the upload from byte {upload.done} (Content-Range: bytes "
                                        f"{upload.done}-M/{upload.total}).")
    except Exception:  # the closer must go on with the others; the job stays for the keeper
        log.exception("closing the upload into %s/%s failed", upload.pool.name, upload.volume_name)
    finally:
        _forget(upload)


def close_all(why="The server stopped"):
    """End every open upload of this process that is between parts (at shutdown; tests clean up with it)."""
    with _lock:
        idle = [upload for upload in _open.values() if not upload.busy and not upload.closing]
        for upload in idle:
            upload.closing = True
    for upload in idle:
        close_upload(upload, why)
