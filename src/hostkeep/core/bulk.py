"""Set-based writes for jobs that touch many rows (the billing run, usage import).

``allocate_ids`` takes primary keys up front, so rows that refer to each other can be written
with COPY (PostgreSQL) or one prepared statement (SQLite) without reading anything back.
Django's ``bulk_create`` spends most of its time in Python per row; this path does not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``, taken inside the current transaction."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT array_agg(nextval(pg_get_serial_sequence(%s, %s))) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return list(cursor.fetchone()[0])
        # SQLite: the write lock of the IMMEDIATE transaction is held, so max(id) is stable.
        cursor.execute(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"')  # noqa: S608 - model metadata
        start = cursor.fetchone()[0] + 1
        sequence_floor = _sqlite_sequence(cursor, table)
        start = max(start, sequence_floor + 1)
        return list(range(start, start + count))


def _sqlite_sequence(cursor: Any, table: str) -> int:
    cursor.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='sqlite_sequence'")
    if cursor.fetchone() is None:
        return 0
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows (values in ``fields`` order, attribute names such as ``customer_id``)."""
    meta = model._meta
    columns = [_concrete(meta, name).column for name in fields]
    table = meta.db_table
    column_list = ", ".join(f'"{column}"' for column in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f'COPY "{table}" ({column_list}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        adapters = [_sqlite_adapter(_concrete(meta, name)) for name in fields]
        placeholders = ", ".join(["%s"] * len(columns))
        prepared = []
        for row in rows:
            prepared.append([adapt(value) for adapt, value in zip(adapters, row, strict=True)])
            count += 1
        cursor.executemany(f'INSERT INTO "{table}" ({column_list}) VALUES ({placeholders})', prepared)  # noqa: S608
    return count


def _is_plain(meta: Any, name: str) -> bool:
    try:
        meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _concrete(meta: Any, name: str) -> models.Field[Any, Any]:
    """The concrete field behind an attribute name (``customer_id`` -> the ``customer`` FK)."""
    found = meta.get_field(name if _is_plain(meta, name) else name.removesuffix("_id"))
    if not isinstance(found, models.Field):
        raise TypeError(f"{name} is not a concrete column")
    return found


def _sqlite_adapter(field: models.Field[Any, Any]) -> Any:
    ops = connection.ops
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return ops.adapt_datetimefield_value
    if internal == "DateField":
        return ops.adapt_datefield_value
    if internal == "DecimalField":
        return lambda value: None if value is None else str(value)
    if internal == "JSONField":
        # Already-serialised JSON text passes through; Python objects are serialised.
        return lambda value: value if isinstance(value, str) else field.get_db_prep_value(value, connection)
    return lambda value: value


def update_rows(
    model: type[models.Model], *, columns: dict[str, str], assignments: dict[str, str], rows: Sequence[Sequence[Any]]
) -> None:
    """Update many rows by primary key in one statement per batch.

    ``columns`` names and SQL-types the values of each row after its ``id`` (e.g.
    ``{"delta": "numeric"}``); ``assignments`` maps a column of the table to an SQL
    expression over the table ``t`` and the values ``v`` (e.g. ``"t.cached_balance + v.delta"``).
    PostgreSQL: COPY into a temporary table, then ``UPDATE ... FROM`` it. SQLite: the same
    UPDATE with a correlated VALUES row, run as one prepared statement for all rows.
    """
    if not rows:
        return
    table = model._meta.db_table
    names = list(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            temp = f"tmp_update_{table}"
            definition = ", ".join(["id bigint"] + [f"{name} {kind}" for name, kind in columns.items()])
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {temp} ({definition}) ON COMMIT DROP")
            cursor.execute(f"TRUNCATE {temp}")
            with cursor.cursor.copy(f"COPY {temp} (id, {', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"ANALYZE {temp}")  # without statistics the planner may scan the whole table
            sets = ", ".join(f"{column} = {expression}" for column, expression in assignments.items())
            cursor.execute(f"UPDATE {table} AS t SET {sets} FROM {temp} AS v WHERE t.id = v.id")  # noqa: S608
            return
        # SQLite: one prepared UPDATE per row, the values bound in order of appearance.
        order: list[int] = []

        def bind(match: re.Match[str]) -> str:
            order.append(names.index(match.group(1)))
            return "%s"

        sets = ", ".join(
            f"{column} = {re.sub(r'v\.(\w+)', bind, expression).replace('t.', '')}"
            for column, expression in assignments.items()
        )
        cursor.executemany(
            f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608 - model metadata
            [[_sqlite_value(row[1:][index]) for index in order] + [row[0]] for row in rows],
        )


def _sqlite_value(value: Any) -> Any:
    """Values as Django stores them in SQLite (UTC datetimes without offset, exact decimals)."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
