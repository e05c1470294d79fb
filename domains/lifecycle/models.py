"""Domain: one row per VM by (host, UUID), outliving renames and undefines so grants and history stay."""

from django.db import models
from django.urls import reverse

from domains.hosts.models import HostObject


class Domain(HostObject):
    """A VM known to the console; the row outlives renames and undefines so grants and history stay."""

    # libvirt does not say when a domain started: we know it exactly from a
    # STARTED event, or only as "no later than" when first seen running.
    running_since = models.DateTimeField(null=True, blank=True)
    running_since_exact = models.BooleanField(default=False)

    class Meta(HostObject.Meta):
        pass

    def __str__(self):
        return f"{self.name} on {self.host}"

    def get_absolute_url(self):
        return reverse("domain-detail", args=[self.uuid])
