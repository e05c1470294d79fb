"""Seed the built-in roles (Viewer, Console user, Operator, Power user, Administrator)."""

from django.db import migrations


def seed(apps, schema_editor):
    from domains.access.models import sync_builtin_roles

    # post_migrate runs the same after every migrate, so a changed role list reaches old databases too.
    sync_builtin_roles(apps.get_model("domains", "Role"))


def unseed(apps, schema_editor):
    apps.get_model("domains", "Role").objects.filter(builtin=True, grants__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("domains", "0002_grants_and_audit")]
    operations = [migrations.RunPython(seed, unseed)]
