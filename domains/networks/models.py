"""Network: one row per libvirt virtual network by (host, UUID), so its audit (and later its grants) survive redefinitions."""

from django.db import models

from domains.hosts.models import Host


class Network(models.Model):
    """A virtual network known to the console; like Pool, the row outlives an undefine so its history stays."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="networks")
    uuid = models.UUIDField()
    name = models.CharField(max_length=200)
    gone = models.BooleanField(default=False, help_text="Undefined in libvirt; kept for its history.")
    first_seen = models.DateTimeField(auto_now_add=True)
    changed = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["host__name", "name"]
        constraints = [models.UniqueConstraint(fields=["host", "uuid"], name="network_unique_per_host")]

    def __str__(self):
        return f"network {self.name} on {self.host}"
