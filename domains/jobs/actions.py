"""Starting, reporting, ending and cancelling jobs: each change written, audited (intent, then outcome) and told."""

import json
import logging
import threading
from dataclasses import dataclass

import libvirt
from django.apps import apps
from django.db import connection, models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit
from domains.access.models import AuditEntry
from domains.access.redaction import redact
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.jobs import progress
from domains.jobs.models import (
    CANCELLED,
    FAILED,
    INTERRUPTED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    Job,
)
from domains.jobs.progress import JobCancelled, on_cancel
from domains.jobs.visibility import CancelRefused, may_cancel, visible_job
from domains.words import kept

log = logging.getLogger(__name__)

GENERIC_FAILURE = "The job failed on an unexpected error; it is logged. Try again, and tell an administrator if it " \
                  "keeps failing."

__all__ = ["JobCancelled", "JobError", "Target", "do_cancel_job", "do_fail_job", "do_finish_job", "do_mark_cancelled",
           "do_mark_interrupted",
           "do_start_job", "on_cancel", "report_progress", "run_job_in_thread"]


class JobError(ConsoleError):
    """A job that cannot be cancelled (not cancellable, or over already): 409."""

    status = 409


@dataclass(frozen=True)
class Target:
    """A job's target that is no row of ours (a storage volume lives in libvirt): its type, id, name and host.

    The job's audit entries name the host, with the target in their parameters.
    """

    type: str
    id: str
    label: str
    host: Host | None = None

    def __str__(self):
        return self.label


def _target_fields(target):
    if target is None:
        return "", "", ""
    if isinstance(target, Target):
        return target.type[:50], str(target.id)[:100], target.label[:300]
    if isinstance(target, models.Model):
        return target._meta.model_name, str(target.pk), str(target)[:300]
    return type(target).__name__.lower(), "", str(target)[:300]


def _host_of(target):
    if isinstance(target, Host):
        return target
    host = getattr(target, "host", None)
    return host if isinstance(host, Host) else None


def _plain(params):
    return json.loads(json.dumps(redact(dict(params or {})), default=str))


def do_start_job(user, kind, target=None, *, host=None, total=None, unit="bytes", params=None, cancellable=False,
                 source_address=None):
    """A new running job of kind on target (a model row, e.g. a Domain or a volume) run by this process.

    Its intent is audited now (action kind), its outcome when it ends. host defaults to the target's.
    """
    signed_in = getattr(user, "is_authenticated", False)
    target_type, target_id, target_label = _target_fields(target)
    now = timezone.now()
    job = Job.objects.create(
        kind=kind, state=RUNNING, host=host or _host_of(target), target_type=target_type, target_id=target_id,
        target_label=target_label, user=user if signed_in else None,
        user_name=user.get_username()[:150] if signed_in else "system", params=_plain(params), total=total,
        unit=unit, cancellable=cancellable, created=now, started=now, heartbeat=now, runner=progress.RUNNER)
    audited, audit_params = target, {**_plain(params), "job": job.pk}
    if isinstance(target, Target):
        audited = target.host
        audit_params["target"] = {"type": target_type, "id": target_id, "label": target_label}
    intent = audit.record_intent(user if signed_in else None, kind, audited, audit_params, source_address)
    job.audit_intent = intent.pk
    Job.objects.filter(pk=job.pk).update(audit_intent=intent.pk)
    progress.track(job, audited, source_address, intent)
    progress.notify(job)
    return job


def report_progress(job, done, total=None):
    """job.report(done, total): progress, throttled; JobCancelled once a cancel was asked."""
    progress.report(job, done, total)


def _end(job, state, error="", result=None, outcome="ok"):
    with progress.ending(job):
        job.state = state
        job.ended = timezone.now()
        job.error = error
        job.result = result
        if state == SUCCEEDED and job.total is not None:
            job.done = max(job.done, job.total)
        Job.objects.filter(pk=job.pk).update(state=state, ended=job.ended, error=error, result=result,
                                             done=job.done, total=job.total, rate=job.rate, heartbeat=job.ended)
    live = progress.untrack(job)
    audit_job_outcome(job, live, outcome)
    progress.notify(job)
    return job


def audit_job_outcome(job, live, outcome):
    """The audit entry closing the job's intent; live is this process's record of it, or None."""
    intent = live.intent if live is not None else AuditEntry.objects.filter(pk=job.audit_intent).first()
    actor = job.user if job.user_id is not None else (job.user_name or None)
    if intent is None:
        audit.record(actor, job.kind, _target_of(job, live), {"job": job.pk}, outcome=outcome)
        return
    audit.record_outcome(intent, actor, _target_of(job, live), outcome, {"job": job.pk},
                         live.source_address if live is not None else None)


def _target_of(job, live):
    """The row the job's audit entries name: its target's, else its host's (None if both are gone)."""
    if live is not None:
        return live.target
    found = None
    if job.target_type and job.target_id:
        try:
            model = apps.get_model("domains", job.target_type)
        except LookupError:
            model = None
        if model is not None:
            found = model.objects.filter(pk=job.target_id).first()
    return found or job.host


def do_finish_job(job, result=None):
    """The work is done: succeeded, with result (JSON) for the user."""
    return _end(job, SUCCEEDED, result=result)


def do_fail_job(job, error):
    """The work failed: error says what went wrong and what to do."""
    return _end(job, FAILED, error=kept(error), outcome=format_lazy("failed: {}", error))


def do_mark_cancelled(job):
    """The work stopped because it was cancelled (run_job_in_thread calls this on JobCancelled)."""
    return _end(job, CANCELLED, error="Cancelled on request.", outcome="cancelled")


def do_mark_interrupted(job, error):
    """The work stopped midway on something outside it (a client gone): done says how far it got; error what
    to do (e.g. resume from done)."""
    return _end(job, INTERRUPTED, error=kept(error), outcome=format_lazy("interrupted: {}", error))


def do_cancel_job(user, job, source_address=None):
    """Ask job to stop: the row says so (for its process, wherever it runs) and this process's callbacks run now.

    Http404 if user may not see the job; CancelRefused (a PermissionDenied) if they may see but not cancel it;
    JobError (409) if it is not cancellable or over already. Returns the job as it is now.
    """
    job = visible_job(user, job.pk)
    params = {"job": job.pk, "kind": job.kind}
    if not may_cancel(user, job):
        refusal = CancelRefused(job)
        audit.record_denied(user, "job.cancel", job, params, refusal, source_address)
        raise refusal
    if not job.active:
        raise JobError(format_lazy(_("Job {id} ({kind}) is over already ({state}): there is nothing to cancel."),
                                   id=job.pk, kind=job.kind, state=job.state), code="job_ended")
    if not job.cancellable:
        raise JobError(format_lazy(_("Job {id} ({kind}) cannot be cancelled: what it does cannot be stopped midway. "
                                     "Wait for it to end."), id=job.pk, kind=job.kind), code="not_cancellable")
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    job.cancel_requested = True
    audit.record(user, "job.cancel", job, params, source_address=source_address)
    if job.state == QUEUED:
        return do_mark_cancelled(job)  # nothing runs it yet: it ends here
    live = progress.live_of(job.pk)
    if live is not None:
        live.job.cancel_requested = True
    progress.cancel_here(job.pk)
    progress.notify(live.job if live is not None else job)
    return job


def _failure_message(exc):
    if isinstance(exc, ConsoleError):
        return exc.message
    return exc.get_error_message() or str(exc)


def run_job_in_thread(job, work):
    """Run work(job) on a thread of its own; its return value is the job's result. Returns the started thread.

    JobCancelled (or any error once a cancel was asked) ends the job cancelled; a ConsoleError or libvirt
    error fails it with its message; anything else fails it with a generic message and is logged.
    """
    def run():
        try:
            result = work(job)
        except JobCancelled:
            do_mark_cancelled(job)
        except (ConsoleError, libvirt.libvirtError) as exc:
            if progress.was_cancelled(job.pk):
                do_mark_cancelled(job)  # an aborted stream fails the call it was in: that is the cancel
            else:
                do_fail_job(job, _failure_message(exc))
        except Exception:
            if progress.was_cancelled(job.pk):
                do_mark_cancelled(job)
            else:
                log.exception("job %s (%s) failed", job.pk, job.kind)
                do_fail_job(job, GENERIC_FAILURE)
        else:
            do_finish_job(job, result)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=f"job-{job.pk}-{job.kind}", daemon=True)
    thread.start()
    return thread
