"""A domain template: what a structured create asks for, kept under a name, the request's fields overriding it."""

from django.conf import settings
from django.db import models


class Template(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    os = models.CharField(max_length=100, blank=True, help_text="An osinfo short id, e.g. debian11.")
    vcpus = models.PositiveIntegerField(null=True, blank=True, help_text="Null: the OS's recommended number.")
    memory_mib = models.PositiveIntegerField(null=True, blank=True, help_text="Null: the OS's recommended memory.")
    disk_size_gib = models.PositiveIntegerField(null=True, blank=True, help_text="A new empty disk; null: none.")
    disk_pool = models.CharField(max_length=200, blank=True)
    disk_format = models.CharField(max_length=10, default="qcow2")
    install = models.JSONField(default=dict, help_text='As the create\'s install: {"kind", "volume", "mode", "pool"}.')
    networks = models.JSONField(default=list, help_text="Network names, one interface each.")
    cloud_init = models.JSONField(null=True, blank=True, help_text="Cloud-init defaults (user, ssh_keys, "
                                                                   "user_data, pool); never a password.")
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def create_body(self, request_body):
        """The structured create's body: this template's fields, each one the request gives replacing it (its
        cloud_init fields one by one); the request's name, reason and start as given."""
        body = {"install": dict(self.install), "interfaces": [{"network": name} for name in self.networks]}
        for field in ("os", "vcpus", "memory_mib"):
            if getattr(self, field):
                body[field] = getattr(self, field)
        if self.disk_size_gib and self.disk_pool:
            body["disks"] = [{"pool": self.disk_pool, "size_gib": self.disk_size_gib, "format": self.disk_format}]
        if self.cloud_init is not None:
            body["cloud_init"] = dict(self.cloud_init)
        for key, value in request_body.items():
            if key == "template":
                continue
            if key == "cloud_init" and isinstance(value, dict) and isinstance(body.get("cloud_init"), dict):
                body["cloud_init"] = {**body["cloud_init"], **value}
            else:
                body[key] = value
        return body
