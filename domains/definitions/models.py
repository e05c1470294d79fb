"""DefinitionRevision: one row per change of a domain's libvirt XML, with summary columns read from it."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from domains.lifecycle.models import Domain


class RevisionSource(models.TextChoices):
    CONSOLE = "console", "console"
    API = "api", "API"
    EXTERNAL = "external", "outside the console"
    ROLLBACK = "rollback", "rollback"
    CREATE = "create", "created"
    IMPORT = "import", "imported"


class DefinitionRevision(models.Model):
    """The inactive definition as libvirt held it after a change (XML without secrets), and who made it."""

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1, 2, 3, … per domain.")
    xml = models.TextField()
    xml_sha256 = models.CharField(max_length=64, help_text="Of xml: finds an unchanged definition cheaply.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    author_name = models.CharField(max_length=150, blank=True, help_text="Kept when the user is deleted.")
    created = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, choices=RevisionSource.choices)
    rollback_of = models.PositiveIntegerField(null=True, blank=True, help_text="The revision number restored.")
    # Summary columns for lists, read from xml when the row is written.
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=500, blank=True)
    vcpus = models.PositiveIntegerField(null=True, blank=True)
    max_vcpus = models.PositiveIntegerField(null=True, blank=True)
    memory_kib = models.BigIntegerField(null=True, blank=True)
    max_memory_kib = models.BigIntegerField(null=True, blank=True)
    disk_count = models.PositiveIntegerField(default=0)
    nic_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["domain_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "number"], name="revision_number_unique_per_domain"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="revision_number_positive"),
        ]

    def __str__(self):
        return f"revision {self.number} of {self.domain}"

    @staticmethod
    def digest(xml):
        return hashlib.sha256(xml.encode("utf-8")).hexdigest()

    @property
    def who(self):
        return self.author_name or "libvirt (outside the console)"
