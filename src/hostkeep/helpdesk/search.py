"""Full-text search over ticket subjects and messages: PostgreSQL's own full-text search (GIN
expression indexes made by migration 0002 on PostgreSQL only) or SQLite's FTS5 (a virtual table
``helpdesk_search`` made by the same migration on SQLite only, kept up to date here).

Lists of found tickets are shown newest first, a page at a time, never ranked and never
counted in full. On PostgreSQL that allows two plans, and ``filter_tickets`` picks one from
the word frequencies ANALYZE keeps for the message index:

- a rare word: the GIN indexes give the few matching tickets, which are then sorted;
- a common word ("server" is in most messages): walking the tickets newest first (an index on
  ``updated_at, id``) and checking each one's messages stops after about a page, where the GIN
  path would have to collect and sort nearly every ticket.

Customers' searches never match internal notes, so a note's words cannot be probed for."""

from __future__ import annotations

import math
import re

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from hostkeep.helpdesk.choices import MessageKind

SUBJECT = "subject"
WORD = re.compile(r"\w+", re.UNICODE)
MESSAGE_INDEX = "helpdesk_message_fts"
# Walk the tickets newest first when at least this share of messages is expected to match
# every word. At 1% one ticket in ten (of ten messages) matches, so a page of 50 is found
# after about 500 tickets; rarer words are cheaper through the GIN index.
WALK_FROM_SHARE = 0.01


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
    """Narrow a ticket queryset (already scoped to the reader) to tickets whose subject, or one
    of whose messages, contains every word of ``query``. The caller orders newest first."""
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
    if expected_share(words) >= WALK_FROM_SHARE:
        # A correlated EXISTS over a UNION ALL cannot be turned into a join or a hashed set,
        # so PostgreSQL checks ticket by ticket in the order of the ticket index and stops
        # when the page is full.
        each_ticket = RawSQL(  # noqa: S611 - fixed SQL, parameters only
            "EXISTS (SELECT 1 FROM helpdesk_ticketmessage found WHERE found.ticket_id = helpdesk_ticket.id "  # noqa: S608
            f"AND found.kind IN ({placeholders}) "
            "AND to_tsvector('simple', found.body) @@ plainto_tsquery('simple', %s) "
            "UNION ALL SELECT 1 WHERE to_tsvector('simple', helpdesk_ticket.subject) @@ plainto_tsquery('simple', %s))",
            [*message_kinds, text, text],
            output_field=BooleanField(),
        )
        return queryset.filter(each_ticket)
    # The matching tickets' ids from both GIN indexes (one UNION, not two INs joined by OR),
    # gathered once into an array: PostgreSQL then reads just those tickets by primary key,
    # where a semi-join would read every ticket to hash them.
    matching = RawSQL(  # noqa: S611 - fixed SQL, parameters only
        "helpdesk_ticket.id = ANY(ARRAY(SELECT ticket_id FROM helpdesk_ticketmessage WHERE "  # noqa: S608
        f"to_tsvector('simple', body) @@ plainto_tsquery('simple', %s) AND kind IN ({placeholders}) "
        "UNION SELECT id FROM helpdesk_ticket WHERE to_tsvector('simple', subject) @@ plainto_tsquery('simple', %s)))",
        [text, *message_kinds, text],
        output_field=BooleanField(),
    )
    return queryset.filter(matching)


def expected_share(words: list[str]) -> float:
    """The share of messages expected to contain all ``words`` (as if independent), from the
    most common lexemes ANALYZE recorded for the message index. A word missing from that list
    is rarer than all of them; without statistics every word counts as rare."""
    lexemes = {word.lower() for word in words}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT elements.lexeme, elements.share FROM pg_stats, "
            "unnest(most_common_elems::text::text[], most_common_elem_freqs) AS elements(lexeme, share) "
            "WHERE schemaname = current_schema() AND tablename = %s AND elements.lexeme = ANY(%s)",
            [MESSAGE_INDEX, sorted(lexemes)],
        )
        shares = dict(cursor.fetchall())
    if len(shares) < len(lexemes):
        return 0.0
    return math.prod(float(share) for share in shares.values())
