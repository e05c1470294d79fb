"""Signs of life of this process's jobs, and the sweep that marks interrupted the jobs whose process died."""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.db import DatabaseError, close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

from domains.jobs import progress
from domains.jobs.actions import audit_job_outcome
from domains.jobs.models import ACTIVE, INTERRUPTED, Job

log = logging.getLogger(__name__)

# How often a running job's row says its process lives, and how long a silence means it died:
# several beats, so a busy database or a paused process is not taken for dead.
BEAT_EVERY = 5.0
STALE_AFTER = 30.0
# How often throttled progress is written even when the work reports no more (the last report lands).
TICK = 1.0

INTERRUPTED_MESSAGE = ("The process that ran this job ({runner}) stopped before the job ended, so its work stopped "
                       "midway. Check what it left (a partial volume, a half-copied disk) and start it again.")

_started = False
_start_lock = threading.Lock()


def _pid_is_dead(runner):
    """True if runner names a process of this machine that no longer exists."""
    parts = runner.split(":")
    if len(parts) < 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    if runner == progress.RUNNER:
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, under another user
    return False


def mark_stale_jobs_interrupted(stale_after=STALE_AFTER):
    """Mark interrupted every queued or running job whose process is gone; returns how many.

    Gone: its heartbeat is older than stale_after seconds, or its runner names a dead process of this machine.
    Jobs this process runs are never touched.
    """
    cutoff = timezone.now() - timedelta(seconds=stale_after)
    mine = [live.job.pk for live in progress.running_here()]
    candidates = Job.objects.filter(state__in=ACTIVE).exclude(pk__in=mine)
    stale = candidates.filter(Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True, created__lt=cutoff))
    dead = [job.pk for job in candidates.exclude(pk__in=stale.values("pk")).only("pk", "runner")
            if _pid_is_dead(job.runner)]
    count = 0
    for job in Job.objects.filter(Q(pk__in=stale.values("pk")) | Q(pk__in=dead)).select_related("user"):
        now = timezone.now()
        error = INTERRUPTED_MESSAGE.format(runner=job.runner or "unknown")
        # Only if still active: the job's own process may have ended it meanwhile.
        if not Job.objects.filter(pk=job.pk, state__in=ACTIVE).update(state=INTERRUPTED, ended=now, error=error):
            continue
        job.state, job.ended, job.error = INTERRUPTED, now, error
        count += 1
        audit_job_outcome(job, None, f"interrupted: {error}")
        progress.notify(job)
    return count


def beat():
    """Refresh the heartbeat of the jobs this process runs, and write progress left pending."""
    progress.flush_pending()
    mine = [live.job.pk for live in progress.running_here()]
    if mine:
        Job.objects.filter(pk__in=mine, state__in=ACTIVE).update(heartbeat=timezone.now())


def _keep():
    ticks_per_beat = max(1, int(BEAT_EVERY / TICK))
    tick = 0
    stop = threading.Event()
    while not stop.wait(TICK):
        if not progress.running_here():
            continue
        tick += 1
        try:
            if tick % ticks_per_beat == 0:
                beat()
            else:
                progress.flush_pending()
        except DatabaseError as exc:
            log.warning("job heartbeat not written (%s); the next tick tries again", exc)
        finally:
            close_old_connections()
            connection.close()


def _start_keeper():
    global _started
    if _started:
        return
    with _start_lock:
        if _started:
            return
        _started = True
        threading.Thread(target=_keep, name="job-heartbeat", daemon=True).start()


def install():
    """Let the first job started in this process start the heartbeat keeper (called from DomainsConfig.ready)."""
    progress.on_start_keeper(_start_keeper)
