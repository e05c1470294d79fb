"""Rows for who may do what (Role, Grant) and what was done (AuditEntry, an append-only hash chain)."""

import datetime
import hashlib
import json

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import post_migrate
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access.permission_names import (
    BUILTIN_ROLES,
    PER_DOMAIN,
    PER_NETWORK,
    PER_POOL,
    unknown_permissions,
)
from domains.hosts.models import Host
from domains.lifecycle.models import Domain
from domains.networks.models import Network
from domains.storage.models import Pool

GENESIS_HASH = "0" * 64


class Role(models.Model):
    """A named set of permissions; the built-in ones are seeded by a migration and cannot be changed."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    permissions = models.JSONField(default=list, help_text="Permission names, e.g. [\"getattr\", \"read\", \"start\"].")
    builtin = models.BooleanField(default=False)

    class Meta:
        ordering = ["-builtin", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        if not isinstance(self.permissions, list) or not all(isinstance(p, str) for p in self.permissions):
            raise ValidationError({"permissions": _("Give a list of permission names.")})
        unknown = unknown_permissions(self.permissions)
        if unknown:
            raise ValidationError({"permissions": format_lazy(_("Unknown permission(s): {names}. docs/permissions.md "
                                                                "lists the names."), names=", ".join(unknown))})
        # Without getattr the domains stay invisible, so any other per-domain
        # permission would be granted in vain: say so instead.
        if set(self.permissions) & PER_DOMAIN and "getattr" not in self.permissions:
            raise ValidationError({"permissions": _("A role with domain permissions needs 'getattr' too, "
                                                    "or its holders cannot see the domains.")})
        if set(self.permissions) & PER_POOL and "storage_pool.getattr" not in self.permissions:
            raise ValidationError({"permissions": _("A role with storage permissions needs 'storage_pool.getattr' "
                                                    "too, or its holders cannot see the pools.")})
        if set(self.permissions) & PER_NETWORK and "network.getattr" not in self.permissions:
            raise ValidationError({"permissions": _("A role with network permissions needs 'network.getattr' too, "
                                                    "or its holders cannot see the networks.")})



class Grant(models.Model):
    """A role given to one user or one group, on one domain, one storage pool, one virtual network, everything of one
    host, or everything."""

    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="console_grants")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="console_grants")
    # The Domain row, not the libvirt name: it survives renames, re-definitions and undefines.
    domain = models.ForeignKey(Domain, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    pool = models.ForeignKey(Pool, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    network = models.ForeignKey(Network, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    host = models.ForeignKey(Host, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False, group__isnull=True)
                           | models.Q(user__isnull=True, group__isnull=False)),
                name="grant_to_user_xor_group",
            ),
            models.CheckConstraint(
                condition=(models.Q(domain__isnull=True, pool__isnull=True, network__isnull=True)
                           | models.Q(domain__isnull=True, pool__isnull=True, host__isnull=True)
                           | models.Q(domain__isnull=True, network__isnull=True, host__isnull=True)
                           | models.Q(pool__isnull=True, network__isnull=True, host__isnull=True)),
                name="grant_on_one_scope_or_global",
            ),
        ]

    def __str__(self):
        return f"{self.role} to {self.holder_label} on {self.scope_label}"

    @property
    def holder_label(self):
        return f"user {self.user.username}" if self.user_id else f"group {self.group.name}"

    @property
    def scope_label(self):
        if self.domain_id:
            return f"domain {self.domain}"
        if self.pool_id:
            return str(self.pool)
        if self.network_id:
            return str(self.network)
        if self.host_id:
            return f"every domain of host {self.host}"
        return "everything"

    @property
    def scope_kind(self):
        if self.domain_id:
            return "domain"
        if self.pool_id:
            return "pool"
        if self.network_id:
            return "network"
        return "host" if self.host_id else "global"

    @property
    def scope_target(self):
        return self.domain or self.pool or self.network or self.host


class AuditQuerySet(models.QuerySet):
    """No bulk change or removal: the log only grows."""

    def update(self, **kwargs):
        raise TypeError("Audit entries are append-only: they cannot be updated.")

    def delete(self):
        raise TypeError("Audit entries are append-only: they cannot be deleted.")


class AuditEntry(models.Model):
    """One thing done or refused; hash covers its fields and the previous entry's hash."""

    time = models.DateTimeField(default=timezone.now, db_index=True)
    actor_name = models.CharField(max_length=150, blank=True, help_text="Username as it was, or 'system'.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    outcome = models.TextField(default="ok")
    source_address = models.CharField(max_length=100, blank=True)
    # Unique: two writers that raced for the same tip cannot both extend it,
    # so the chain stays one line (the loser retries on the new tip).
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.target_label} {self.outcome}"

    def canonical(self):
        """The bytes the hash covers: every recorded field and prev_hash, as sorted compact JSON."""
        return json.dumps({
            "time": self.time.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds"),
            "actor": self.actor_name, "action": self.action, "target_type": self.target_type,
            "target_id": self.target_id, "target_label": self.target_label, "parameters": self.parameters,
            "outcome": self.outcome, "source_address": self.source_address, "prev_hash": self.prev_hash,
        }, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def compute_hash(self):
        return hashlib.sha256(self.canonical()).hexdigest()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit entries are append-only: an entry cannot be changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit entries are append-only: they cannot be deleted.")


def sync_builtin_roles(role_model=Role):
    """Create or update the built-in roles from BUILTIN_ROLES (the migration and every migrate or flush call it)."""
    for name, (description, permissions) in BUILTIN_ROLES.items():
        role_model.objects.update_or_create(
            name=name, defaults={"description": description, "permissions": list(permissions), "builtin": True}
        )


def _seed_after_migrate(sender, apps=None, **kwargs):
    # A test database flush empties every table and then sends post_migrate
    # (without apps): the built-in roles come back, as after a real migrate.
    if sender.name != "domains":
        return
    try:
        role_model = (apps or sender.apps).get_model("domains", "Role")
    except LookupError:
        return  # migrating backwards past the roles' table
    sync_builtin_roles(role_model)


def install():
    """Seed the built-in roles after every migrate and test flush (called once from DomainsConfig.ready)."""
    post_migrate.connect(_seed_after_migrate, dispatch_uid="domains-builtin-roles")

__all__ = ["AuditEntry", "GENESIS_HASH", "Grant", "Role", "sync_builtin_roles"]
