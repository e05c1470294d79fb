"""Database rows for what libvirt does not keep: hosts we reach, and domains by (host, UUID)."""

from django.db import models
from django.urls import reverse


class Host(models.Model):
    """A libvirt URI with a name: the embedded driver, a local or remote daemon, or a test driver."""

    name = models.CharField(max_length=100, unique=True)
    uri = models.CharField(max_length=500, help_text="libvirt URI, e.g. qemu:///system or qemu+ssh://root@host/system")
    enabled = models.BooleanField(default=True)
    embedded = models.BooleanField(default=False, help_text="The QEMU driver inside this server process.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DomainQuerySet(models.QuerySet):
    def present(self):
        return self.filter(gone=False)


class Domain(models.Model):
    """A VM known to the console; the row outlives renames and undefines so grants and history stay."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="domains")
    uuid = models.UUIDField()
    name = models.CharField(max_length=200)
    gone = models.BooleanField(default=False, help_text="Undefined in libvirt; kept for its history and grants.")
    # libvirt does not say when a domain started: we know it exactly from a
    # STARTED event, or only as "no later than" when first seen running.
    running_since = models.DateTimeField(null=True, blank=True)
    running_since_exact = models.BooleanField(default=False)
    first_seen = models.DateTimeField(auto_now_add=True)
    changed = models.DateTimeField(auto_now=True)

    objects = DomainQuerySet.as_manager()

    class Meta:
        ordering = ["host__name", "name"]
        constraints = [models.UniqueConstraint(fields=["host", "uuid"], name="domain_unique_per_host")]

    def __str__(self):
        return f"{self.name} on {self.host}"

    def get_absolute_url(self):
        return reverse("domain-detail", args=[self.uuid])


# Grants, roles and the audit log live in their own module; imported here so Django finds them.
from domains.access_models import AuditEntry, Grant, Role  # noqa: E402,F401
from domains.definition_models import DefinitionRevision  # noqa: E402,F401
from domains.daemon_models import DaemonSettings, DaemonSettingsRevision  # noqa: E402,F401
