"""DomainTag: a word users put on a domain to find it by ("web", "staging"): the console's own, not libvirt's."""

from django.db import models


class DomainTag(models.Model):
    """One tag of a domain. Kept on the domain's row, so it follows the domain through renames and migrations
    (the row moves to the destination host) and outlives an undefine with the row's grants and history."""

    domain = models.ForeignKey("domains.Domain", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["domain", "name"], name="domaintag_unique_per_domain")]
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return self.name
