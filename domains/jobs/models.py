"""A job: one piece of long work (an upload, a clone, a migration) with its progress, outcome and the process running it."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from domains.jobs import progress
from domains.jobs.progress import JobCancelled

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
INTERRUPTED = "interrupted"
STATES = [QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED]
ACTIVE = (QUEUED, RUNNING)
ENDED = (SUCCEEDED, FAILED, CANCELLED, INTERRUPTED)

__all__ = ["Job", "JobCancelled"]


class Job(models.Model):
    """The row every process reads: a job started here is seen, cancelled and marked interrupted from any process."""

    kind = models.CharField(max_length=100, db_index=True, help_text="What the work is, e.g. 'volume.upload'.")
    state = models.CharField(max_length=20, choices=[(s, s) for s in STATES], default=RUNNING, db_index=True)
    host = models.ForeignKey("domains.Host", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    # The target as AuditEntry names it: model name, primary key, and what it was called then.
    target_type = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    user_name = models.CharField(max_length=150, blank=True, help_text="Username as it was, or 'system'.")
    params = models.JSONField(default=dict, blank=True, help_text="The request's parameters, secrets redacted.")
    done = models.BigIntegerField(default=0)
    total = models.BigIntegerField(null=True, blank=True, help_text="Empty while the amount of work is unknown.")
    unit = models.CharField(max_length=20, default="bytes", help_text="bytes, items, percent, ...")
    rate = models.FloatField(null=True, blank=True, help_text="Units per second, over the last few reports.")
    created = models.DateTimeField(default=timezone.now, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    ended = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="What went wrong and what to do, for the user.")
    result = models.JSONField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True,
                              help_text="What the work reports beside done/total (a migration's libvirt job statistics).")
    cancellable = models.BooleanField(default=False)
    cancel_requested = models.BooleanField(default=False)
    heartbeat = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the process running it.")
    runner = models.CharField(max_length=200, blank=True, help_text="The process running it: host name:pid:random.")
    audit_intent = models.BigIntegerField(null=True, blank=True,
                                          help_text="The audit entry that announced the job; its outcome points back.")

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="job_target")]

    def __str__(self):
        return f"{self.kind} {self.target_label or '-'} ({self.state})"

    @property
    def active(self):
        return self.state in ACTIVE

    def report(self, done, total=None):
        """Record progress (throttled) from the work; raises JobCancelled once a cancel was asked for."""
        progress.report(self, done, total)

    def as_message(self):
        """The job as the API and the events socket show it (one shape for both)."""
        return {
            "id": self.pk,
            "kind": self.kind,
            "state": self.state,
            "progress": {"done": self.done, "total": self.total, "unit": self.unit},
            "detail": self.detail,
            "rate": self.rate,
            "target": {"type": self.target_type, "id": self.target_id, "label": self.target_label,
                       "host": self.host_id},
            "user": self.user_name,
            "created": _iso(self.created),
            "started": _iso(self.started),
            "ended": _iso(self.ended),
            "error": self.error,
            "result": self.result,
            "cancellable": self.cancellable,
            "cancel_requested": self.cancel_requested,
        }


def _iso(when):
    return when.isoformat().replace("+00:00", "Z") if when is not None else None
