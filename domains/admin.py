"""Django admin for hosts and domains (users and groups come with django.contrib.auth)."""

from django.contrib import admin

from domains.models import Domain, Host


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
