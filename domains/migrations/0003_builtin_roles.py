"""Seed the built-in roles (Viewer, Console user, Operator, Power user, Administrator)."""

from django.db import migrations


def seed(apps, schema_editor):
    from domains.permission_names import BUILTIN_ROLES

    Role = apps.get_model("domains", "Role")
    for name, (description, permissions) in BUILTIN_ROLES.items():
        Role.objects.update_or_create(
            name=name, defaults={"description": description, "permissions": list(permissions), "builtin": True}
        )


def unseed(apps, schema_editor):
    apps.get_model("domains", "Role").objects.filter(builtin=True, grants__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("domains", "0002_grants_and_audit")]
    operations = [migrations.RunPython(seed, unseed)]
