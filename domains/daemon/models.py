"""DaemonSettings: what the operator wants a host's libvirt daemon to run with, and each change to it."""

import json

from django.db import models
from django.utils.translation import gettext_lazy as _

from domains.hosts.models import Host
from domains.revisions.models import Revision


class DaemonSettings(models.Model):
    """The desired daemon settings of one host (settings_service's JSON shape); a key left out is not managed."""

    host = models.OneToOneField(Host, on_delete=models.CASCADE, related_name="daemon_settings")
    desired = models.JSONField(default=dict, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "daemon settings"

    def __str__(self):
        return f"daemon settings of {self.host}"

    def latest_revision(self):
        return self.revisions.latest_one()


class DaemonRevisionReason(models.TextChoices):
    CONSOLE = "console", _("changed in the console")
    API = "api", _("changed through the API")
    REAPPLIED = "reapplied-after-restart", _("re-applied after the daemon restarted")
    ROLLBACK = "rollback", _("rolled back to an earlier revision")


class DaemonSettingsRevision(Revision):
    """The desired settings after one successful apply, who made it, why, and what changed on the daemon."""

    subject_field = "settings"

    settings = models.ForeignKey(DaemonSettings, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1, 2, 3, … per host.")  # its subject named, in API docs too
    desired = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=30, choices=DaemonRevisionReason.choices)
    changed = models.JSONField(default=list, blank=True,
                               help_text='What the daemon changed: [{"path", "before", "after"}].')

    class Meta:
        ordering = ["settings_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["settings", "number"], name="daemon_revision_number_unique_per_host"),
        ]

    def content_text(self):
        return json.dumps(self.desired, indent=2, sort_keys=True)
