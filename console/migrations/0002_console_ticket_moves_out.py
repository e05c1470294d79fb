"""ConsoleTicket moves to domains/consoles (domains 0007); its table stays as it is."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("console", "0001_console_tickets"),
        ("domains", "0007_console_ticket_moves_in"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ConsoleTicket")],
            database_operations=[],
        ),
    ]
