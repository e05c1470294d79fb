"""Django app of the QEMU extras; it depends on domains/, never the reverse."""

from django.apps import AppConfig


class QemuExtrasConfig(AppConfig):
    name = "qemu_extras"
    verbose_name = "QEMU extras"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from domains.libvirt import events
        from qemu_extras.taints import cache as taint_cache

        # A start or stop ends a boot: its cached taint messages go with it.
        events.subscribe(taint_cache.on_lifecycle)
