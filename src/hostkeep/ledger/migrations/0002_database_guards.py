"""The database guards the ledger: posted rows cannot be changed or deleted (SQLite and
PostgreSQL), and on PostgreSQL an INSERT that leaves a transaction's entries not summing to
zero per currency fails. The check is statement-level over the inserted rows (a transition
table), so the billing run's bulk inserts cost one aggregate per statement, not a query per
row; since entries are append-only, every later statement must balance on its own too."""

from django.db import migrations

SQLITE = [
    f"""CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""
    for table in ("ledger_ledgerentry", "ledger_ledgertransaction")
    for verb in ("update", "delete")
]
POSTGRESQL = [
    """CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_ledgerentry
       FOR EACH ROW EXECUTE FUNCTION core_refuse_change()""",
    """CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON ledger_ledgertransaction
       FOR EACH ROW EXECUTE FUNCTION core_refuse_change()""",
    """CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE unbalanced RECORD;
       BEGIN
         SELECT transaction_id, currency, SUM(amount) AS total INTO unbalanced FROM inserted
          GROUP BY transaction_id, currency HAVING SUM(amount) <> 0 LIMIT 1;
         IF FOUND THEN
           RAISE EXCEPTION 'ledger transaction % does not balance in %: %',
             unbalanced.transaction_id, unbalanced.currency, unbalanced.total;
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_ledgerentry
       REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_balanced()""",
]
SQLITE_DROP = [
    f"DROP TRIGGER {table}_no_{verb}"
    for table in ("ledger_ledgerentry", "ledger_ledgertransaction")
    for verb in ("update", "delete")
]
POSTGRESQL_DROP = [
    "DROP TRIGGER ledger_entry_balanced ON ledger_ledgerentry",
    "DROP TRIGGER ledger_entry_append_only ON ledger_ledgerentry",
    "DROP TRIGGER ledger_transaction_append_only ON ledger_ledgertransaction",
    "DROP FUNCTION ledger_check_balanced()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial"), ("core", "0002_audit_append_only")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        )
    ]
