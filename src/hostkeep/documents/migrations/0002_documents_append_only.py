"""The database refuses to change or delete an issued document or an offer acceptance
(SQLite and PostgreSQL), whichever path tries: the ORM, a queryset update or raw SQL."""

from django.db import migrations

TABLES = ("documents_document", "documents_contractacceptance")
SQLITE = [
    f"""CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""
    for table in TABLES
    for verb in ("update", "delete")
]
POSTGRESQL = [
    f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION core_refuse_change()"""
    for table in TABLES
]
SQLITE_DROP = [f"DROP TRIGGER {table}_no_{verb}" for table in TABLES for verb in ("update", "delete")]
POSTGRESQL_DROP = [f"DROP TRIGGER {table}_append_only ON {table}" for table in TABLES]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial"), ("core", "0002_audit_append_only")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        )
    ]
