"""DaemonSettings: what the operator wants a host's libvirt daemon to run with, and each change to it."""

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone

from domains.hosts.models import Host


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
        return self.revisions.order_by("-number").first()


class DaemonRevisionReason(models.TextChoices):
    CONSOLE = "console", "changed in the console"
    API = "api", "changed through the API"
    REAPPLIED = "reapplied-after-restart", "re-applied after the daemon restarted"


class DaemonSettingsRevision(models.Model):
    """The desired settings after one successful apply, who made it, why, and what changed on the daemon."""

    settings = models.ForeignKey(DaemonSettings, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1, 2, 3, … per host.")
    desired = models.JSONField(default=dict, blank=True)
    author = models.ForeignKey(django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    author_name = models.CharField(max_length=150, blank=True, help_text="Kept when the user is deleted.")
    created = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=30, choices=DaemonRevisionReason.choices)
    changed = models.JSONField(default=list, blank=True,
                               help_text='What the daemon changed: [{"path", "before", "after"}].')

    class Meta:
        ordering = ["settings_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["settings", "number"], name="daemon_revision_number_unique_per_host"),
        ]

    def __str__(self):
        return f"revision {self.number} of {self.settings}"

    @property
    def who(self):
        return self.author_name or "the console"
