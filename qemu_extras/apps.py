"""Django app of the QEMU extras; it depends on domains/, never the reverse."""

from django.apps import AppConfig


class QemuExtrasConfig(AppConfig):
    name = "qemu_extras"
    verbose_name = "QEMU extras"
    default_auto_field = "django.db.models.BigAutoField"
