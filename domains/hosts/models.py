"""Host: a libvirt URI the console reaches, with a name."""

from django.db import models

from domains.access.redaction import redact_url_passwords


class Host(models.Model):
    """A libvirt URI with a name: the embedded driver, a local or remote daemon, or a test driver."""

    name = models.CharField(max_length=100, unique=True)
    uri = models.CharField(max_length=500, help_text="libvirt URI, e.g. qemu:///system or qemu+ssh://root@host/system")
    enabled = models.BooleanField(default=True)
    embedded = models.BooleanField(default=False, help_text="The QEMU driver inside this server process.")
    # A pool names host paths and devices that libvirtd (root) formats, mounts
    # and writes: the host's administrator says where that may happen.
    pool_paths = models.JSONField(
        default=list, blank=True,
        help_text="Absolute host directories and device prefixes under which storage pools may be defined; "
                  "empty allows only /var/lib/libvirt/images.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def shown_uri(self):
        """The URI as pages show it: a password left in it from before the rule is never shown."""
        return redact_url_passwords(self.uri)


class HostObject(models.Model):
    """A row per libvirt object of a host (a domain, a storage pool) by (host, UUID).

    libvirt forgets an object when it is undefined and may give its name to another; the row stays (marked
    gone) so the grants on it and its history keep meaning the same object.
    """

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="%(class)ss")
    uuid = models.UUIDField()
    name = models.CharField(max_length=200)
    gone = models.BooleanField(default=False, help_text="Undefined in libvirt; kept for its grants and history.")
    first_seen = models.DateTimeField(auto_now_add=True)
    changed = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["host__name", "name"]
        constraints = [models.UniqueConstraint(fields=["host", "uuid"], name="%(class)s_unique_per_host")]
