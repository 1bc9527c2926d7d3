"""Full-text search: GIN expression indexes on PostgreSQL, an FTS5 table on SQLite. Each
statement runs only on its own database (see helpdesk/search.py)."""

from django.db import migrations

POSTGRESQL = [
    "CREATE INDEX IF NOT EXISTS helpdesk_message_fts ON helpdesk_ticketmessage USING gin (to_tsvector('simple', body))",
    "CREATE INDEX IF NOT EXISTS helpdesk_ticket_fts ON helpdesk_ticket USING gin (to_tsvector('simple', subject))",
]
POSTGRESQL_REVERSE = ["DROP INDEX IF EXISTS helpdesk_message_fts", "DROP INDEX IF EXISTS helpdesk_ticket_fts"]
SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS helpdesk_search USING fts5("
    "body, ticket_id UNINDEXED, kind UNINDEXED, tokenize='unicode61 remove_diacritics 2')",
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS helpdesk_search"]


def forwards(apps, schema_editor):
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    statements = {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
