"""ConsoleTicket moves from the site's app to domains/consoles: the same table, now this app's model."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("domains", "0006_daemon_settings"),
        ("console", "0001_console_tickets"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ConsoleTicket",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("kind", models.CharField(choices=[("serial", "serial console"),
                                                           ("vnc", "graphical console (VNC)")], max_length=10)),
                        ("created", models.DateTimeField()),
                        ("expires", models.DateTimeField()),
                        ("used", models.DateTimeField(blank=True, null=True)),
                        ("domain", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                     to="domains.domain")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                   to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "console_consoleticket"},
                ),
            ],
            database_operations=[],
        ),
    ]
