"""DefinitionRevision: one row per change of a domain's libvirt XML, with summary columns read from it."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from domains.lifecycle.models import Domain
from domains.revisions.models import Revision, RevisionSource


class DefinitionRevision(Revision):
    """The inactive definition as libvirt held it after a change (XML without secrets), and who made it."""

    subject_field = "domain"
    nobody = _("libvirt (outside the console)")

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1, 2, 3, … per domain.")  # its subject named, in API docs too
    xml = models.TextField()
    xml_sha256 = models.CharField(max_length=64, help_text="Of xml: finds an unchanged definition cheaply.")
    reason = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, choices=RevisionSource.choices)
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

    def content_text(self):
        return self.xml

    @property
    def content_sha256(self):
        return self.xml_sha256
