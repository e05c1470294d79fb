"""Pool: one row per libvirt storage pool by (host, UUID), so grants on a pool survive its restarts and redefinitions."""

from django.db import models

from domains.hosts.models import HostObject
from domains.revisions.models import Revision


class Pool(HostObject):
    """A storage pool known to the console; like Domain, the row outlives an undefine so its grants and audit stay."""

    class Meta(HostObject.Meta):
        pass

    def __str__(self):
        return f"pool {self.name} on {self.host}"


class PoolRevision(Revision):
    """A pool's persistent definition after a change made through the console (define, XML edit, rollback)."""

    subject_field = "pool"

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1, 2, 3, … per pool.")
    xml = models.TextField()
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["pool_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["pool", "number"], name="pool_revision_number_unique")]

    def content_text(self):
        return self.xml
