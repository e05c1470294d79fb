"""Django app of the generic core: hosts, domains, the libvirt adapter, actions, API v1."""

from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "domains"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from domains import inventory  # noqa: F401  (attaches event sync to every connection)
