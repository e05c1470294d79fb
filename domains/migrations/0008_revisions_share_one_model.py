# One Revision base for definition and daemon settings revisions: the tables and their rows stay; daemon revisions gain rollback_of.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('domains', '0007_console_ticket_moves_in'),
    ]

    operations = [
        migrations.AddField(
            model_name='daemonsettingsrevision',
            name='rollback_of',
            field=models.PositiveIntegerField(blank=True, help_text='The revision number restored.', null=True),
        ),
        migrations.AlterField(
            model_name='daemonsettingsrevision',
            name='reason',
            field=models.CharField(choices=[('console', 'changed in the console'), ('api', 'changed through the API'), ('reapplied-after-restart', 're-applied after the daemon restarted'), ('rollback', 'rolled back to an earlier revision')], max_length=30),
        ),
    ]
