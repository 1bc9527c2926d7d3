"""``hostkeep usage import FILE [--format csv|ndjson]``: import usage records in bulk.

The file (``-`` for standard input) is streamed, never loaded whole, and stored in chunks of
10,000 records, one transaction each; importing the same file again stores nothing twice.
Refused lines go to standard error with their line number and reason (the first 100, then a
count); on a terminal a progress line is kept up to date. The last line of standard output is
``usage import accepted=N duplicates=D refused=R seconds=S``. The exit status is 0 when the
file was read to its end, refusals or not; the summary says how many were refused.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.core.errors import HostkeepError
from hostkeep.usage import actions
from hostkeep.usage.actions import IngestResult, UsageRefusal

REFUSALS_SHOWN = 100
EXTENSIONS = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "ndjson"}


def guess_format(name: str) -> str | None:
    return EXTENSIONS.get(Path(name).suffix.lower())


class _Report:
    """Progress on a terminal (one line, rewritten per chunk) and the first refusals."""

    def __init__(self, stdout: OutputWrapper, stderr: OutputWrapper) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.on_terminal = stdout.isatty()
        self.started = time.monotonic()
        self.shown = 0
        self.progress_on_screen = False

    def refused(self, refusal: UsageRefusal) -> None:
        if self.shown >= REFUSALS_SHOWN:
            return
        self.shown += 1
        self.end_progress_line()
        label = f" ({refusal.source_id})" if refusal.source_id else ""
        self.stderr.write(f"line {refusal.position}{label}: {refusal.code}: {refusal.message}")

    def progress(self, result: IngestResult) -> None:
        if not self.on_terminal:
            return
        rate = result.records / max(time.monotonic() - self.started, 1e-9)
        self.stdout.write(
            f"\r{result.records:,} records read: {result.accepted:,} accepted, "
            f"{result.duplicates:,} duplicates, {result.refused:,} refused ({rate:,.0f}/s)",
            ending="",
        )
        self.stdout.flush()
        self.progress_on_screen = True

    def end_progress_line(self) -> None:
        if self.progress_on_screen:
            self.stdout.write("")
            self.progress_on_screen = False

    def finish(self, result: IngestResult) -> None:
        seconds = time.monotonic() - self.started
        self.end_progress_line()
        if result.refused > self.shown:
            self.stderr.write(f"... and {result.refused - self.shown:,} more refused records")
        self.stdout.write(
            f"usage import accepted={result.accepted} duplicates={result.duplicates} "
            f"refused={result.refused} seconds={seconds:.2f}"
        )


def _open(name: str) -> IO[str]:
    if name != "-":
        try:
            return open(name, encoding="utf-8-sig", newline="")  # the caller closes it
        except OSError as error:
            raise CommandError(f"cannot read {name}: {error.strerror}") from None
    binary = getattr(sys.stdin, "buffer", None)
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") if binary else sys.stdin


class Command(BaseCommand):
    help = "Usage records: `usage import FILE [--format csv|ndjson]` stores them in bulk, idempotently."

    def add_arguments(self, parser: Any) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        importing = commands.add_parser("import", help="Import usage records from a CSV or NDJSON file.")
        importing.add_argument("file", help="The file to read, or - for standard input.")
        importing.add_argument("--format", choices=actions.FILE_FORMATS, help="Default: from the file's extension.")
        importing.add_argument("--chunk-size", type=int, default=actions.CHUNK_SIZE, help="Records per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        file_format = options["format"] or (guess_format(name) if name != "-" else None)
        if file_format is None:
            raise CommandError(f"cannot tell the format of {name}; pass --format csv or --format ndjson")
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1")
        report = _Report(self.stdout, self.stderr)
        stream = _open(name)
        try:
            result = actions.usage_records_import_file(
                actor=SYSTEM_ACTOR,
                stream=stream,
                file_format=file_format,
                chunk_size=options["chunk_size"],
                refusals_kept=0,
                on_refusal=report.refused,
                on_progress=report.progress,
            )
        except HostkeepError as error:
            raise CommandError(error.message) from None
        except UnicodeDecodeError as error:
            raise CommandError(f"{name} is not UTF-8 text ({error.reason} at byte {error.start})") from None
        finally:
            if name != "-":
                stream.close()
        report.finish(result)
