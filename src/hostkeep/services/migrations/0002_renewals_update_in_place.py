"""Renewals rewrite a service in place. No index holds what a renewal moves (the period and
the due date), and on PostgreSQL every page of services keeps half its room free, so the new
version of a renewed row fits on its own page and is a HOT update: no index is touched. Half,
because the services created on one day share pages and renew in the same run, so a page
needs room for a new version of every row on it (last period's versions are pruned later).

A database migrated from an older layout gets the room on pages written from now on; to give
it to existing pages too, rewrite the table once (``VACUUM FULL services_service``, which
locks it) or let renewals spread the rows over time.
"""

import django.db.models.deletion
from django.db import migrations, models


FILLFACTOR = 50


def _set_fillfactor(value):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE services_service SET (fillfactor = {value})", params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_provider_documents'),
        ('catalog', '0002_promo_code_unique_message'),
        ('services', '0001_initial'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='service',
            name='services_se_status_bcbcaf_idx',
        ),
        migrations.AlterField(
            model_name='service',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='services', to='accounts.customer'),
        ),
        migrations.AlterField(
            model_name='service',
            name='next_due_date',
            field=models.DateField(verbose_name='next due date'),
        ),
        migrations.AddIndex(
            model_name='service',
            index=models.Index(fields=['status'], name='services_status'),
        ),
        migrations.RunPython(_set_fillfactor(FILLFACTOR), _set_fillfactor(100)),
    ]
