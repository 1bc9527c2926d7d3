"""Writes of usage: records reported by panels (the API) or imported from files (the CLI).

Every record is checked (the rules are in ``checks``) before anything is written, and a
refused record never stops the valid ones around it. Valid records are inserted set-based
and idempotently by ``source_id``: on PostgreSQL they are streamed with COPY into a
temporary table and moved with ``INSERT ... SELECT ... ON CONFLICT (source_id) DO NOTHING``;
on SQLite they are inserted with ``executemany`` and the same conflict clause. A record
sent twice, in one batch or in two, is stored once and counted as a duplicate. Large inputs
are taken in chunks, one transaction per chunk, so memory stays flat however long the file
is; a file is read and parsed a few chunks ahead, in a thread, while the database stores
the chunk before.
"""

from __future__ import annotations

import csv
import datetime as dt
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO

from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from hostkeep.accounts.permissions import Actor, StaffPermission
from hostkeep.core import clock
from hostkeep.core.actions import audit_record
from hostkeep.core.errors import ValidationFailed
from hostkeep.usage.checks import (
    RecordChecker,
    Refused,
    ShapedRecord,
    UnreadableRecord,
    UsageRefusal,
    json_loads_exact,
    not_valid_json,
)
from hostkeep.usage.models import UsageRecord

__all__ = ["IngestResult", "UsageRefusal", "json_loads_exact"]  # and the actions below

API_BATCH_LIMIT = 10_000  # records in one API request
CHUNK_SIZE = 10_000  # records per transaction of a bulk import
_READ_AHEAD_CHUNKS = 3  # chunks a file is read ahead of the database
FILE_FORMATS = ("csv", "ndjson")
CSV_COLUMNS = ("service_id", "resource", "quantity", "period_start", "period_end", "source_id")

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


@dataclass(slots=True)
class IngestResult:
    """What happened to a batch: stored, already there (counted once), refused and why.

    ``refusals`` keeps the first ``refusals_kept`` refusals (all of them for the API);
    ``refused`` counts every one.
    """

    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    refusals: list[UsageRefusal] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.accepted + self.duplicates + self.refused


# --- writers: one chunk of checked rows in, the number of rows actually inserted out --------


def _columns() -> tuple[str, str]:
    quote = connection.ops.quote_name
    table = quote(UsageRecord._meta.db_table)
    column = {field.name: str(field.column) for field in UsageRecord._meta.concrete_fields}
    names = ", ".join(
        quote(column[name])
        for name in ("service", "resource", "quantity", "period_start", "period_end", "source_id", "received_at")
    )
    return table, names


def _copy_text(value: str) -> str:
    """A value in COPY's text format (backslash, tab and line breaks escaped)."""
    return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value


def _write_postgresql(rows: list[tuple[int, str, str, str, str, str]], received_at: dt.datetime) -> int:
    """COPY the rows into a temporary table, then move them in one statement; rows whose
    source_id is already stored (or repeated in this chunk) are skipped by the unique index.
    Rows go in source_id order, so two imports racing over the same ids wait for each other
    instead of deadlocking."""
    table, columns = _columns()
    lines = [
        f"{service_id}\t{_copy_text(resource)}\t{quantity}\t{start}\t{end}\t{_copy_text(source_id)}\n"
        for service_id, resource, quantity, start, end, source_id in rows
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE usage_import_chunk (service_id bigint, resource text, quantity numeric, "
            "period_start timestamptz, period_end timestamptz, source_id text) ON COMMIT DROP"
        )
        with cursor.cursor.copy(
            "COPY usage_import_chunk (service_id, resource, quantity, period_start, period_end, source_id) FROM STDIN"
        ) as copy:
            for first in range(0, len(lines), 2_000):
                copy.write("".join(lines[first : first + 2_000]))
        cursor.execute(
            f"INSERT INTO {table} ({columns}) "  # noqa: S608 - names come from the model, values are parameters
            "SELECT service_id, resource, quantity, period_start, period_end, source_id, %s "
            "FROM usage_import_chunk ORDER BY source_id ON CONFLICT (source_id) DO NOTHING",
            [received_at],
        )
        inserted: int = cursor.rowcount
        cursor.execute("DROP TABLE usage_import_chunk")
    return inserted


def _write_sqlite(rows: list[tuple[int, str, str, str, str, str]], received_at: dt.datetime) -> int:
    """One executemany in the caller's transaction; the unique index skips stored source_ids
    (only that conflict: any other violation is an error, never a silent skip)."""
    table, columns = _columns()
    received = str(received_at.astimezone(dt.UTC).replace(tzinfo=None))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s) "  # noqa: S608 - names from the model
            "ON CONFLICT (source_id) DO NOTHING",
            [(*row, received) for row in rows],
        )
        inserted: int = cursor.rowcount
    return inserted


# --- actions --------------------------------------------------------------------------------


def usage_records_bulk_import(
    *,
    actor: Actor,
    rows: Iterable[tuple[int, object]],
    chunk_size: int = CHUNK_SIZE,
    refusals_kept: int | None = 100,
    on_refusal: Callable[[UsageRefusal], None] | None = None,
    on_progress: Callable[[IngestResult], None] | None = None,
    audit_action: str = "usage.import",
) -> IngestResult:
    """Store usage records given as ``(position, record)`` pairs, chunk by chunk.

    Each chunk is checked in memory by ``RecordChecker``, then written in one transaction
    with one audit entry (when it stored anything); what a committed chunk stored stays stored
    if a later one fails. Invariants: a source_id is stored at most once (the unique index
    decides, never a prior SELECT); a refused record leaves no row; ``accepted + duplicates +
    refused`` equals the records read. Only staff who manage provisioning (or the system) may
    do this.
    """
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    checker = RecordChecker(connection.vendor)
    iterator = iter(rows)
    return _import_chunks(
        actor=actor,
        checker=checker,
        chunks=(
            [checker.shape(position, record) for position, record in chunk]
            for chunk in iter(lambda: list(islice(iterator, chunk_size)), [])
        ),
        refusals_kept=refusals_kept,
        on_refusal=on_refusal,
        on_progress=on_progress,
        audit_action=audit_action,
    )


def _import_chunks(
    *,
    actor: Actor,
    checker: RecordChecker,
    chunks: Iterable[list[ShapedRecord]],
    refusals_kept: int | None,
    on_refusal: Callable[[UsageRefusal], None] | None,
    on_progress: Callable[[IngestResult], None] | None,
    audit_action: str,
) -> IngestResult:
    """Each chunk of shaped records: its services read, each record decided, the good ones
    written in one transaction with one audit entry when it stored anything."""
    write = _write_postgresql if connection.vendor == "postgresql" else _write_sqlite
    result = IngestResult()
    for shaped in chunks:
        checker.load_services(shaped)
        good: list[tuple[int, str, str, str, str, str]] = []
        refused_before = result.refused
        for record in shaped:
            try:
                if record.refused is not None:
                    raise record.refused
                good.append(checker.decide(record))
            except Refused as refused:
                result.refused += 1
                entry = UsageRefusal(
                    position=record.position, source_id=record.source_id, code=refused.code, message=refused.message
                )
                if refusals_kept is None or len(result.refusals) < refusals_kept:
                    result.refusals.append(entry)
                if on_refusal is not None:
                    on_refusal(entry)
        inserted = 0
        if good:
            with transaction.atomic():
                inserted = write(good, clock.now())
                if inserted:
                    audit_record(
                        actor=actor.audit(),
                        action=audit_action,
                        object_type="usage_record",
                        detail={
                            "accepted": inserted,
                            "duplicates": len(good) - inserted,
                            "refused": result.refused - refused_before,
                            "first_position": shaped[0].position,
                            "last_position": shaped[-1].position,
                        },
                    )
        result.accepted += inserted
        result.duplicates += len(good) - inserted
        if on_progress is not None:
            on_progress(result)
    return result


def _read_ahead[T](rows: Iterator[T], chunk_size: int) -> Iterator[list[T]]:
    """Chunks of ``rows``, read and parsed by a thread a few chunks ahead of the caller, so
    that parsing the next chunks (Python work) overlaps the database storing this one (the
    thread runs while the caller waits on the database). An error while reading, such as a
    bad CSV header or a byte that is not UTF-8, is raised here when its turn comes."""
    chunks: queue.Queue[tuple[list[T] | None, BaseException | None]] = queue.Queue(maxsize=_READ_AHEAD_CHUNKS)
    stop = threading.Event()
    language = translation.get_language()

    def put(item: tuple[list[T] | None, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def read() -> None:
        if language:  # the refusals' words, in the caller's language
            translation.activate(language)
        else:
            translation.deactivate_all()
        try:
            while chunk := list(islice(rows, chunk_size)):
                if not put((chunk, None)):
                    return
            put((None, None))
        except BaseException as error:  # handed to the caller, raised there
            put((None, error))

    reader = threading.Thread(target=read, name="usage-import-reader", daemon=True)
    reader.start()
    try:
        while True:
            chunk, error = chunks.get()
            if error is not None:
                raise error
            if chunk is None:
                return
            yield chunk
    finally:
        stop.set()
        reader.join(timeout=5)


def usage_records_ingest(*, actor: Actor, records: Iterable[object]) -> IngestResult:
    """Store one API request's records (at most ``API_BATCH_LIMIT``) in one transaction and
    say, for each refused one, its index in the request and why. See the bulk import for the
    checks and invariants."""
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    batch = list(records)
    if len(batch) > API_BATCH_LIMIT:
        raise ValidationFailed(
            _("At most %(limit)s records per request; send the rest in further requests.")
            % {"limit": f"{API_BATCH_LIMIT:,}"},
            code="too_many_records",
        )
    return usage_records_bulk_import(
        actor=actor,
        rows=enumerate(batch),
        chunk_size=max(len(batch), 1),
        refusals_kept=None,
        audit_action="usage.ingest",
    )


def usage_records_import_file(
    *,
    actor: Actor,
    stream: IO[str],
    file_format: str,
    chunk_size: int = CHUNK_SIZE,
    refusals_kept: int | None = 100,
    on_refusal: Callable[[UsageRefusal], None] | None = None,
    on_progress: Callable[[IngestResult], None] | None = None,
) -> IngestResult:
    """Import a CSV (with a header naming the columns) or NDJSON (one JSON object per line)
    stream, read line by line, never whole. Refusals carry the line number. A CSV header
    that lacks a column refuses the whole file before anything is stored."""
    if file_format not in FILE_FORMATS:
        raise ValidationFailed(_("The format must be csv or ndjson."), code="unknown_format")
    actor.require(StaffPermission.MANAGE_PROVISIONING)
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    rows = ndjson_records(stream) if file_format == "ndjson" else _csv_rows(stream)
    checker = RecordChecker(connection.vendor)
    return _import_chunks(
        actor=actor,
        checker=checker,
        chunks=_read_ahead((checker.shape(position, record) for position, record in rows), chunk_size),
        refusals_kept=refusals_kept,
        on_refusal=on_refusal,
        on_progress=on_progress,
        audit_action="usage.import",
    )


def ndjson_records(stream: IO[str]) -> Iterator[tuple[int, object]]:
    """``(line number, record)`` for each line that is not blank; a line that is not JSON
    becomes an ``UnreadableRecord``."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield number, json_loads_exact(line)
        except (ValueError, RecursionError) as error:
            yield number, UnreadableRecord(not_valid_json(error))


def _csv_rows(stream: IO[str]) -> Iterator[tuple[int, object]]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        return
    names = [name.strip().lstrip("\ufeff") for name in header]
    missing = [name for name in CSV_COLUMNS if name not in names]
    if missing:
        raise ValidationFailed(
            _("The CSV header must name the columns %(columns)s; missing: %(missing)s.")
            % {"columns": ", ".join(CSV_COLUMNS), "missing": ", ".join(missing)},
            code="csv_header_invalid",
        )
    width = len(names)
    while True:
        line_before = reader.line_num
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield reader.line_num, UnreadableRecord(_("Not valid CSV: %(error)s") % {"error": error})
            if reader.line_num == line_before:
                return  # the reader cannot move past this point
            continue
        if not values or (len(values) == 1 and not values[0].strip()):
            continue
        if len(values) != width:
            reason = _("The line has %(found)s fields; the header has %(expected)s.") % {
                "found": len(values),
                "expected": width,
            }
            yield reader.line_num, UnreadableRecord(reason)
            continue
        yield reader.line_num, dict(zip(names, values, strict=True))
