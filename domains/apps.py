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
        from domains.access import logins, permissions  # noqa: F401
        from domains.daemon import actions as daemon_actions  # noqa: F401
        from domains.definitions import events as definition_events  # noqa: F401
        from domains.lifecycle import inventory  # noqa: F401
        from domains.access.models import Grant, Role

        permissions.connect_cache_invalidation(Grant, Role)
