"""Backup: one full or incremental backup of a domain's disks, with the checkpoint that starts the next increment."""

from django.db import models
from django.utils import timezone

FULL = "full"
INCREMENTAL = "incremental"
KINDS = [FULL, INCREMENTAL]

RUNNING = "running"
COMPLETE = "complete"
STATES = [RUNNING, COMPLETE]


class Backup(models.Model):
    """A backup whose volumes sit in a pool; an incremental one holds only what changed since its parent's checkpoint.

    A backup that failed or was cancelled leaves no row: its volumes and checkpoint are removed with it.
    """

    domain = models.ForeignKey("domains.Domain", on_delete=models.CASCADE, related_name="backups")
    kind = models.CharField(max_length=20, choices=[(k, k) for k in KINDS])
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               help_text="Incremental: the backup whose checkpoint it starts from.")
    checkpoint = models.CharField(max_length=200, help_text="The libvirt checkpoint made with it.")
    disks = models.JSONField(default=list, help_text='[{"disk": "vda", "pool": ..., "volume": ..., "path": ..., '
                                                     '"capacity": bytes}] one target volume per disk.')
    domain_xml = models.TextField(blank=True, help_text="The domain's inactive definition when it was taken: a "
                                                        "restore into a new domain starts from it.")
    size = models.BigIntegerField(default=0, help_text="Bytes the backup's volumes take.")
    created = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.CharField(max_length=150, blank=True)
    state = models.CharField(max_length=20, choices=[(s, s) for s in STATES], default=RUNNING)
    job = models.ForeignKey("domains.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["domain_id", "created", "id"]

    def __str__(self):
        return f"{self.kind} backup {self.pk} of {self.domain}"

    def chain(self):
        """[self, its parent, ..., the full backup it all stands on]: the images a restore reads, newest first."""
        chain, backup = [], self
        while backup is not None:
            chain.append(backup)
            backup = backup.parent
        return chain
