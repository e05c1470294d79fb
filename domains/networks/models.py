"""Network: one row per libvirt virtual network by (host, UUID), so its grants, audit and history survive
redefinitions; NetworkRevision: its definition after each change made through the console."""

from django.db import models

from domains.hosts.models import HostObject
from domains.revisions.models import Revision, RevisionSource


class Network(HostObject):
    """A virtual network known to the console; like Pool, the row outlives an undefine: its grants and history stay."""

    class Meta(HostObject.Meta):
        pass

    def __str__(self):
        return f"network {self.name} on {self.host}"


class NetworkRevision(Revision):
    """A network's persistent definition after a change made through the console (define, XML edit, rollback)."""

    subject_field = "network"

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1, 2, 3, … per network.")
    xml = models.TextField()
    reason = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, choices=RevisionSource.choices, default=RevisionSource.CONSOLE)

    class Meta:
        ordering = ["network_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["network", "number"], name="network_revision_number_unique")]

    def content_text(self):
        return self.xml
