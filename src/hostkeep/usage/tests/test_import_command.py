"""``hostkeep usage import``: CSV and NDJSON files (or standard input) stored idempotently,
refused lines reported with their number and reason, a summary as the last line."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import translation

from hostkeep.usage.models import UsageRecord
from hostkeep.usage.tests.conftest import record, stored

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r"usage import accepted=(\d+) duplicates=(\d+) refused=(\d+) seconds=\d+\.\d\d")


def import_file(*arguments: str) -> tuple[tuple[int, int, int], str, str]:
    """Run the command; the counts from its last line, its whole stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    call_command("usage", "import", *arguments, stdout=out, stderr=err)
    last_line = out.getvalue().rstrip("\n").splitlines()[-1]
    match = SUMMARY.fullmatch(last_line)
    assert match, last_line
    accepted, duplicates, refused = (int(group) for group in match.groups())
    return (accepted, duplicates, refused), out.getvalue(), err.getvalue()


def write_ndjson(path: Path, records: list[dict[str, object]], *, extra_lines: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(item) for item in records]
    for index, text in sorted((extra_lines or {}).items()):
        lines.insert(index, text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ndjson_round_trip_and_a_second_import_stores_nothing_twice(service_a, service_b, tmp_path):
    records = [
        record(service_a, "a-1", quantity=0.1),
        record(service_a, "a-2", resource="ram_gb_hours", quantity="2.5"),
        record(service_b, "b-1", quantity=3, period_start="2026-03-05T00:00:00Z", period_end="2026-03-05T01:00:00Z"),
        record(service_a, "a-1", quantity=0.1),  # the same record again in the same file
    ]
    path = write_ndjson(tmp_path / "usage.ndjson", records)

    counts, out, err = import_file(str(path))

    assert counts == (3, 1, 0)
    assert err == ""
    assert out.count("\n") == 1  # not a terminal: no progress line, only the summary
    assert stored() == [
        (
            "a-1",
            service_a.pk,
            "server_hours",
            Decimal("0.1000"),
            dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC),
            dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
        ),
        (
            "a-2",
            service_a.pk,
            "ram_gb_hours",
            Decimal("2.5000"),
            dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC),
            dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
        ),
        (
            "b-1",
            service_b.pk,
            "server_hours",
            Decimal("3.0000"),
            dt.datetime(2026, 3, 5, tzinfo=dt.UTC),
            dt.datetime(2026, 3, 5, 1, tzinfo=dt.UTC),
        ),
    ]

    again, _out, _err = import_file(str(path))
    assert again == (0, 4, 0)
    assert UsageRecord.objects.count() == 3


def test_csv_round_trip_with_a_column_order_of_its_own(service_a, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text(
        "\ufeffsource_id,period_start,period_end,service_id,resource,quantity,note\n"
        f"c-1,2026-03-01T10:00:00+02:00,2026-03-01T11:00:00+02:00,{service_a.pk},server_hours,1.25,first\n"
        "\n"
        f'"c,2",2026-03-01T11:00:00+02:00,2026-03-01T12:00:00+02:00,{service_a.pk},ram_gb_hours,4,"quoted, id"\n',
        encoding="utf-8",
    )

    counts, _out, err = import_file(str(path))

    assert (counts, err) == ((2, 0, 0), "")
    assert [(row[0], row[2], row[3]) for row in stored()] == [
        ("c,2", "ram_gb_hours", Decimal("4.0000")),
        ("c-1", "server_hours", Decimal("1.2500")),
    ]
    assert import_file(str(path))[0] == (0, 2, 0)


def test_refused_lines_go_to_stderr_with_their_number_and_reason(service_a, tmp_path):
    records = [
        record(service_a, "ok-1"),
        record(service_a, "neg", quantity="-2"),
        record(service_a, "ok-2"),
        record(service_a, "other", resource="disk_gb"),
    ]
    path = write_ndjson(tmp_path / "usage.jsonl", records, extra_lines={2: "{not json"})

    counts, _out, err = import_file(str(path))

    assert counts == (2, 0, 3)
    assert err.splitlines() == [
        "line 2 (neg): quantity_negative: quantity must not be negative.",
        "line 3: unreadable: Not valid JSON: "
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        f"line 5 (other): resource_not_metered: The plan of service {service_a.pk} does not meter 'disk_gb'.",
    ]
    assert [row[0] for row in stored()] == ["ok-1", "ok-2"]


def test_csv_lines_with_the_wrong_number_of_fields_are_refused_alone(service_a, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text(
        "service_id,resource,quantity,period_start,period_end,source_id\n"
        f"{service_a.pk},server_hours,1,2026-03-01T10:00:00Z,2026-03-01T11:00:00Z,c-1\n"
        f"{service_a.pk},server_hours,1,2026-03-01T10:00:00Z\n"
        f"{service_a.pk},server_hours,NaN,2026-03-01T10:00:00Z,2026-03-01T11:00:00Z,c-3\n"
        f"{service_a.pk},server_hours,2,2026-03-01T11:00:00Z,2026-03-01T12:00:00Z,c-4\n",
        encoding="utf-8",
    )
    counts, _out, err = import_file(str(path))
    assert counts == (2, 0, 2)
    assert err.splitlines() == [
        "line 3: unreadable: The line has 4 fields; the header has 6.",
        "line 4 (c-3): quantity_not_a_number: quantity must be a finite number, not NaN.",
    ]


def test_only_the_first_100_refusals_are_listed_then_a_count(service_a, tmp_path):
    path = write_ndjson(tmp_path / "usage.ndjson", [record(service_a, f"bad-{n}", quantity="-1") for n in range(130)])
    counts, _out, err = import_file(str(path), "--chunk-size", "7")
    lines = err.splitlines()
    assert counts == (0, 0, 130)
    assert len(lines) == 101
    assert lines[0] == "line 1 (bad-0): quantity_negative: quantity must not be negative."
    assert lines[99] == "line 100 (bad-99): quantity_negative: quantity must not be negative."
    assert lines[100] == "... and 30 more refused records"
    assert not UsageRecord.objects.exists()


def test_small_chunks_give_the_same_result_as_one(service_a, tmp_path):
    ids = ["a", "b", "a", "c", "b", "d", "e", "e", "f"]
    path = write_ndjson(tmp_path / "usage.ndjson", [record(service_a, source_id) for source_id in ids])
    assert import_file(str(path), "--chunk-size", "2")[0] == (6, 3, 0)
    assert [row[0] for row in stored()] == ["a", "b", "c", "d", "e", "f"]


def test_standard_input_with_a_format(service_a, monkeypatch):
    text = "\n".join(json.dumps(record(service_a, f"s-{n}")) for n in range(3))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert import_file("-", "--format", "ndjson")[0] == (3, 0, 0)


def test_the_format_must_be_known(tmp_path):
    path = tmp_path / "usage.txt"
    path.write_text("")
    with pytest.raises(
        CommandError, match=r"cannot tell the format of .*usage\.txt; pass --format csv or --format ndjson"
    ):
        call_command("usage", "import", str(path))
    with pytest.raises(CommandError, match="cannot tell the format of -"):
        call_command("usage", "import", "-")


def test_a_csv_header_without_a_needed_column_refuses_the_file(service_a, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text(
        f"service_id,resource,amount,period_start,period_end,source_id\n{service_a.pk},server_hours,1,,,x\n"
    )
    with pytest.raises(CommandError) as refused:
        call_command("usage", "import", str(path))
    assert str(refused.value) == (
        "The CSV header must name the columns service_id, resource, quantity, period_start, period_end, source_id; "
        "missing: quantity."
    )
    assert not UsageRecord.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"cannot read .*nothing\.csv: No such file or directory"):
        call_command("usage", "import", str(tmp_path / "nothing.csv"))


def test_an_empty_file_imports_nothing(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "empty.ndjson").write_text("\n\n")
    assert import_file(str(tmp_path / "empty.csv"))[0] == (0, 0, 0)
    assert import_file(str(tmp_path / "empty.ndjson"))[0] == (0, 0, 0)


def _ndjson_line(values: dict[str, object]) -> str:
    """JSON with Decimal values written as the exact numbers they are (1E+400, NaN)."""
    marked = {key: f"<decimal {value}>" if isinstance(value, Decimal) else value for key, value in values.items()}
    line = json.dumps(marked)
    for value in values.values():
        if isinstance(value, Decimal):
            line = line.replace(f'"<decimal {value}>"', str(value))
    return line


def test_a_file_gets_the_verdicts_the_api_gives_the_same_records(service_a, service_b, tmp_path):
    """The file path (read ahead and checked in a thread, in chunks) and the API path (checked
    in one go) apply one set of rules: same refusals, same words, same rows stored. The test
    runs on SQLite and on PostgreSQL, whose writers differ."""
    from hostkeep.accounts.permissions import SYSTEM_ACTOR
    from hostkeep.usage.actions import json_loads_exact, usage_records_ingest
    from hostkeep.usage.tests.test_ingest import REFUSALS

    names = {"service": service_a.pk, "other_customer": service_b.customer_id}
    records: list[dict[str, object]] = []
    for number, (_label, changes, _code, _message) in enumerate(REFUSALS):
        filled = {key: value.format(**names) if isinstance(value, str) else value for key, value in changes.items()}
        records.append(record(service_a, f"good-{number}", quantity=number))
        records.append({**record(service_a, f"bad-{number}"), **filled})
    records.append(record(service_a, "good-0"))  # a duplicate
    lines = [_ndjson_line(item) for item in records]

    with transaction.atomic():
        through_the_api = usage_records_ingest(actor=SYSTEM_ACTOR, records=[json_loads_exact(line) for line in lines])
        rows_from_the_api = stored()
        transaction.set_rollback(True)
    assert not UsageRecord.objects.exists()
    path = tmp_path / "usage.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    counts, _out, err = import_file(str(path), "--chunk-size", "3")

    api = (through_the_api.accepted, through_the_api.duplicates, through_the_api.refused)
    assert counts == api == (len(REFUSALS), 1, len(REFUSALS))
    expected = [
        f"line {refusal.position + 1}"
        + (f" ({refusal.source_id})" if refusal.source_id else "")
        + f": {refusal.code}: {refusal.message}"
        for refusal in through_the_api.refusals
    ]
    assert err.splitlines() == expected
    assert stored() == rows_from_the_api


def test_refusals_from_the_reader_thread_are_in_the_callers_language(service_a, tmp_path):
    path = write_ndjson(tmp_path / "usage.ndjson", [record(service_a, "n", quantity="-1")])
    with translation.override("ru"):
        russian = import_file(str(path))[2]
    with translation.override("en"):
        english = import_file(str(path))[2]
    with translation.override("ru"):
        expected = translation.gettext("quantity must not be negative.")
    assert expected != "quantity must not be negative."
    assert russian == f"line 1 (n): quantity_negative: {expected}\n"
    assert english == "line 1 (n): quantity_negative: quantity must not be negative.\n"
