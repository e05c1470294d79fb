"""The jobs this process runs: throttled progress writes, cancel flags and callbacks, and the listeners told of changes.

Imports no model: Job.report() calls in here, and the row's own class does the queries.
"""

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections import deque

from django.utils import timezone

log = logging.getLogger(__name__)

# Which process runs a job: a process that died leaves its name on rows nobody will finish.
RUNNER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
# A progress bar gains nothing from more than a few updates a second; a transfer reports per chunk.
WRITE_EVERY = 0.25
# A cancel asked from another process is seen through the row; reading it per chunk would cost a query each.
CANCEL_CHECK_EVERY = 0.5
# The rate is measured over the last few seconds, so a stall shows quickly.
RATE_WINDOW = 5.0

_ACTIVE = ("queued", "running")


class JobCancelled(Exception):
    """Raised inside a job's work by Job.report() once someone asked to cancel it: the work stops there."""


class Live:
    """What this process keeps about a job it runs, beside its row."""

    def __init__(self, job, target=None, source_address=None, intent=None):
        self.job = job
        self.target = target
        self.source_address = source_address
        self.intent = intent
        self.callbacks = []
        self.cancelled = False
        self.pending = False  # progress reported but not yet written
        # The first report is written and checked at once: a page sees the work begin.
        self.last_write = float("-inf")
        self.last_check = float("-inf")
        self.samples = deque()
        self.lock = threading.Lock()
        # One progress write at a time, each reading the counts as it writes: else a write that read them earlier
        # (the keeper's flush, on its thread) could land after a newer one and put back an older count.
        self.write_lock = threading.Lock()


_live = {}
_lock = threading.Lock()
_listeners = []
_keeper_starter = None


def track(job, target=None, source_address=None, intent=None):
    """Count job as run by this process (done by do_start_job); returns its Live record."""
    live = Live(job, target, source_address, intent)
    with _lock:
        _live[job.pk] = live
    if _keeper_starter is not None:
        _keeper_starter()
    return live


def untrack(job):
    """Forget job (it ended); returns its Live record or None if this process did not run it."""
    with _lock:
        return _live.pop(job.pk, None)


def live_of(job_id):
    with _lock:
        return _live.get(job_id)


def running_here():
    """The Live records of the jobs this process runs now."""
    with _lock:
        return list(_live.values())


def on_start_keeper(starter):
    """Call starter() whenever a job starts here (the heartbeat keeper starts itself once; see heartbeat.install)."""
    global _keeper_starter
    _keeper_starter = starter


def on_cancel(job, callback):
    """Call callback() at once when someone cancels job from this process (e.g. a libvirt stream's abort).

    A cancel asked from another process reaches the work at its next report() instead.
    """
    live = live_of(job.pk)
    if live is None:
        raise ValueError(f"Job {job.pk} is not running in this process: register its cancel callback where it runs.")
    with live.lock:
        live.callbacks.append(callback)
        already = live.cancelled
    if already:
        _call(job, callback)


def cancel_here(job_id):
    """Flag job_id cancelled in this process and run its callbacks; False if this process does not run it."""
    live = live_of(job_id)
    if live is None:
        return False
    with live.lock:
        first = not live.cancelled
        live.cancelled = True
        callbacks = list(live.callbacks)
    if first:
        for callback in callbacks:
            _call(live.job, callback)
    return True


def was_cancelled(job_id):
    live = live_of(job_id)
    return live is not None and live.cancelled


def _call(job, callback):
    try:
        callback()
    except Exception:  # the cancel stands even if the callback fails: the next report() stops the work
        log.exception("cancel callback of job %s failed", job.pk)


def report(job, done, total=None):
    """Record job's progress; written and told to listeners at most every WRITE_EVERY seconds.

    Raises JobCancelled once a cancel was asked, here or (seen through the row) from another process.
    """
    live = live_of(job.pk)
    now = time.monotonic()
    job.done = int(done)
    if total is not None:
        job.total = int(total)
    if live is None:
        # Not run by this process (it ended, or another started it): write through while it is active.
        type(job).objects.filter(pk=job.pk, state__in=_ACTIVE).update(done=job.done, total=job.total)
        return
    with live.lock:
        live.samples.append((now, job.done))
        while len(live.samples) > 2 and now - live.samples[0][0] > RATE_WINDOW:
            live.samples.popleft()
        first_time, first_done = live.samples[0]
        if now - first_time > 0:
            job.rate = max(0.0, (job.done - first_done) / (now - first_time))
        cancelled = live.cancelled
        check = now - live.last_check >= CANCEL_CHECK_EVERY
        if check:
            live.last_check = now
        write = now - live.last_write >= WRITE_EVERY
        live.pending = not write
        if write:
            live.last_write = now
    if cancelled:
        raise JobCancelled()
    if check and type(job).objects.filter(pk=job.pk, cancel_requested=True).exists():
        job.cancel_requested = True
        cancel_here(job.pk)
        raise JobCancelled()
    if write:
        write_progress(job)


def write_progress(job):
    """Write job's progress and heartbeat to its row and tell the listeners; the row ends with the latest counts,
    whichever thread writes last. A job whose row says it ended is not told again: its end was told already, and
    a count told after it would show the job running again (ending() keeps the two apart)."""
    with _write_lock_of(job):
        still_active = type(job).objects.filter(pk=job.pk, state__in=_ACTIVE).update(
            done=job.done, total=job.total, rate=job.rate, heartbeat=timezone.now())
        if still_active:
            notify(job)


def ending(job):
    """Held while job's end is written: a progress write on another thread (the keeper's flush) is then told
    wholly before the end, or finds the row ended and tells nothing."""
    return _write_lock_of(job)


def _write_lock_of(job):
    live = live_of(job.pk)
    return live.write_lock if live is not None else contextlib.nullcontext()


def flush_pending():
    """Write the progress a throttled report() left unwritten (the keeper calls this): the last report always lands."""
    for live in running_here():
        with live.lock:
            pending = live.pending
            live.pending = False
            if pending:
                live.last_write = time.monotonic()
        if pending:
            write_progress(live.job)


# --- listeners: the console subscribes to push changes over its events socket ---

def on_job_change(callback):
    """Call callback(job) after each change of a job made in this process (start, progress, cancel, end)."""
    if callback not in _listeners:
        _listeners.append(callback)
    return callback


def stop_listening(callback):
    if callback in _listeners:
        _listeners.remove(callback)


def notify(job):
    for callback in list(_listeners):
        try:
            callback(job)
        except Exception:  # a broken listener must not fail the work it listens to
            log.exception("job listener %r failed for job %s", callback, job.pk)
