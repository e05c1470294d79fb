# Joins the jobs and storage-pools branches' migrations (both 0009); the lead may fold this into a renumbering.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("domains", "0009_jobs"),
        ("domains", "0009_storage_pools"),
    ]

    operations = []
