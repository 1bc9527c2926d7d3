"""Full-text search over ticket subjects and messages: PostgreSQL's own full-text search (GIN
expression indexes made by migration 0002 on PostgreSQL only) or SQLite's FTS5 (a virtual table
``helpdesk_search`` made by the same migration on SQLite only, kept up to date here).

Customers' searches never match internal notes, so a note's words cannot be probed for."""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from hostkeep.helpdesk.choices import MessageKind

SUBJECT = "subject"
WORD = re.compile(r"\w+", re.UNICODE)


def _sqlite() -> bool:
    return connection.vendor == "sqlite"


def index_message(message: object) -> None:
    if not _sqlite():
        return  # PostgreSQL indexes the column itself
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO helpdesk_search (body, ticket_id, kind) VALUES (%s, %s, %s)",
            [message.body, message.ticket_id, message.kind],  # type: ignore[attr-defined]
        )


def index_subject(ticket: object) -> None:
    if not _sqlite():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO helpdesk_search (body, ticket_id, kind) VALUES (%s, %s, %s)",
            [ticket.subject, ticket.pk, SUBJECT],  # type: ignore[attr-defined]
        )


def _words(query: str) -> list[str]:
    return WORD.findall(query or "")[:12]


def filter_tickets[T: QuerySet](queryset: T, query: str, *, include_notes: bool) -> T:  # type: ignore[type-arg]
    """Narrow a ticket queryset (already scoped to the reader) to tickets whose subject or
    messages contain every word of ``query``."""
    words = _words(query)
    if not words:
        return queryset
    kinds = [SUBJECT, MessageKind.REPLY, *([MessageKind.NOTE] if include_notes else [])]
    if _sqlite():
        match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
        placeholders = ", ".join(["%s"] * len(kinds))
        sql = f"SELECT ticket_id FROM helpdesk_search WHERE helpdesk_search MATCH %s AND kind IN ({placeholders})"  # noqa: S608
        return queryset.filter(id__in=RawSQL(sql, [match, *kinds]))  # noqa: S611 - parameters only
    text = " ".join(words)
    message_kinds = [kind for kind in kinds if kind != SUBJECT]
    placeholders = ", ".join(["%s"] * len(message_kinds))
    # One subquery with UNION (not two INs joined by OR), so PostgreSQL can use a semi-join
    # fed by both GIN indexes instead of a per-row subplan.
    matching = RawSQL(  # noqa: S611 - fixed SQL, parameters only
        "SELECT ticket_id FROM helpdesk_ticketmessage WHERE to_tsvector('simple', body) "  # noqa: S608
        f"@@ plainto_tsquery('simple', %s) AND kind IN ({placeholders}) "
        "UNION SELECT id FROM helpdesk_ticket WHERE to_tsvector('simple', subject) @@ plainto_tsquery('simple', %s)",
        [text, *message_kinds, text],
    )
    return queryset.filter(id__in=matching)
