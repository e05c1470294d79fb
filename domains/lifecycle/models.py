"""Domain: one row per VM by (host, UUID), outliving renames and undefines so grants and history stay."""

from django.db import models
from django.urls import reverse

from domains.hosts.models import Host


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

    class Meta:
        ordering = ["host__name", "name"]
        constraints = [models.UniqueConstraint(fields=["host", "uuid"], name="domain_unique_per_host")]

    def __str__(self):
        return f"{self.name} on {self.host}"

    def get_absolute_url(self):
        return reverse("domain-detail", args=[self.uuid])
