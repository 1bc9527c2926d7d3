"""Fewer index entries per posted transaction (the customer is indexed with the date, the
idempotency key needs no LIKE index), and on PostgreSQL ledger accounts keep half of each
page free: a posting moves only ``cached_balance``, which no index holds, so with room on the
page the new version is a HOT update that touches no index. Half, because the accounts of
customers who signed up together share pages and the billing run moves all of them at once.

A database migrated from an older layout gets the room on pages written from now on
(``VACUUM FULL ledger_ledgeraccount`` gives it to the existing ones).
"""

import django.db.models.deletion
from django.db import migrations, models


FILLFACTOR = 50


def _set_fillfactor(value):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE ledger_ledgeraccount SET (fillfactor = {value})", params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_provider_documents'),
        ('ledger', '0002_database_guards'),
    ]

    operations = [
        migrations.AlterField(
            model_name='ledgertransaction',
            name='customer',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.customer'),
        ),
        migrations.AlterField(
            model_name='ledgertransaction',
            name='idempotency_key',
            field=models.CharField(max_length=120),
        ),
        migrations.AddConstraint(
            model_name='ledgertransaction',
            constraint=models.UniqueConstraint(fields=('idempotency_key',), name='ledger_transaction_posted_once'),
        ),
        migrations.RunPython(_set_fillfactor(FILLFACTOR), _set_fillfactor(100)),
    ]
