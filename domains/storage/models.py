"""Pool: one row per libvirt storage pool by (host, UUID), so grants on a pool survive its restarts and redefinitions."""

from django.db import models

from domains.hosts.models import Host


class Pool(models.Model):
    """A storage pool known to the console; like Domain, the row outlives an undefine so its grants and audit stay."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="pools")
    uuid = models.UUIDField()
    name = models.CharField(max_length=200)
    gone = models.BooleanField(default=False, help_text="Undefined in libvirt; kept for its grants and history.")
    first_seen = models.DateTimeField(auto_now_add=True)
    changed = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["host__name", "name"]
        constraints = [models.UniqueConstraint(fields=["host", "uuid"], name="pool_unique_per_host")]

    def __str__(self):
        return f"pool {self.name} on {self.host}"
