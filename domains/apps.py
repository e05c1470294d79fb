"""Django app of the generic core: hosts, domains, the libvirt adapter, actions, API v1."""

from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "domains"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Modules that attach themselves when imported, in one place:
        # libvirt event listeners on every connection (row sync, external
        # revisions, daemon keepers) and signal receivers (login auditing,
        # permission cache invalidation).
        from domains import daemon_actions, definition_events, inventory, login_guard, permissions  # noqa: F401
        from domains.access_models import Grant, Role

        permissions.connect_cache_invalidation(Grant, Role)
