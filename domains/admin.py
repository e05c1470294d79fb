"""Django admin for hosts and domains (users and groups come with django.contrib.auth)."""

from django.contrib import admin

from domains.access.models import AuditEntry, Grant, Role
from domains.hosts.models import Host
from domains.lifecycle.models import Domain


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = ["name", "uri", "enabled", "embedded"]
    list_filter = ["enabled", "embedded"]
    search_fields = ["name", "uri"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "host", "uuid", "gone", "changed"]
    list_filter = ["host", "gone"]
    search_fields = ["name", "uuid"]
    readonly_fields = ["host", "uuid", "name", "gone", "first_seen", "changed"]

    def has_add_permission(self, request):
        return False  # rows come from libvirt, never typed in


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "builtin"]
    search_fields = ["name"]

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.builtin  # built-in roles are documented: they stay as documented

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.builtin


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["role", "user", "group", "domain", "host"]
    list_filter = ["role"]

    def has_add_permission(self, request):
        return False  # grants go through do_grant/do_revoke (no escalation, audited, sessions closed)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only and hash-chained."""

    list_display = ["time", "actor_name", "action", "target_label", "outcome", "source_address"]
    list_filter = ["outcome"]
    search_fields = ["actor_name", "action", "target_label"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
