"""PostgreSQL only: the COPY path is the one taken, and two imports racing over the same
source ids (sent in opposite orders, which deadlocked before rows were inserted in source id
order) store each record once, with counts that add up."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.usage import actions
from hostkeep.usage.models import UsageRecord
from hostkeep.usage.tests.conftest import record

pytestmark = pytest.mark.postgresql


@pytest.mark.django_db
def test_the_postgresql_path_streams_with_copy(service_a, monkeypatch):
    statements: list[str] = []
    real_copy = type(connection.cursor().cursor).copy

    def spy(cursor, statement, *args, **kwargs):
        statements.append(str(statement))
        return real_copy(cursor, statement, *args, **kwargs)

    monkeypatch.setattr(type(connection.cursor().cursor), "copy", spy)
    result = actions.usage_records_ingest(actor=SYSTEM_ACTOR, records=[record(service_a, "a"), record(service_a, "b")])
    assert (result.accepted, statements) == (
        2,
        ["COPY usage_import_chunk (service_id, resource, quantity, period_start, period_end, source_id) FROM STDIN"],
    )


@pytest.mark.django_db(transaction=True)
def test_two_imports_racing_over_the_same_source_ids_store_each_once(service_a):
    shared = [record(service_a, f"shared-{n:04d}") for n in range(2000)]
    batches = [
        [*shared, *(record(service_a, f"first-{n}") for n in range(100))],
        [*reversed(shared), *(record(service_a, f"second-{n}") for n in range(100))],
    ]
    start = threading.Barrier(2)
    results: list[actions.IngestResult] = []
    errors: list[BaseException] = []

    def run(batch: list[dict[str, object]]) -> None:
        try:
            start.wait()
            results.append(actions.usage_records_bulk_import(actor=SYSTEM_ACTOR, rows=enumerate(batch), chunk_size=400))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(result.accepted for result in results) == 2200
    assert sum(result.duplicates for result in results) == 2000
    assert UsageRecord.objects.count() == 2200
