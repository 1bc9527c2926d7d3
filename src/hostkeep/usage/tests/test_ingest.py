"""Storing usage records: exact values, idempotency by source id, and every refusal named with
its reason while the valid records around it are stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import StaffFactory
from hostkeep.core.errors import PermissionRefused, ValidationFailed
from hostkeep.core.models import AuditEvent
from hostkeep.services.choices import ServiceStatus
from hostkeep.usage.actions import (
    IngestResult,
    UsageRefusal,
    json_loads_exact,
    usage_records_bulk_import,
    usage_records_ingest,
)
from hostkeep.usage.models import UsageRecord
from hostkeep.usage.tests.conftest import make_service, record, stored

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def test_records_are_stored_exactly_with_instants_in_utc(service_a, engineer_actor):
    result = usage_records_ingest(
        actor=engineer_actor,
        records=[
            record(service_a, "panel-1"),
            record(
                service_a,
                "panel-2",
                resource="ram_gb_hours",
                quantity=Decimal("0.0001"),
                period_start="2026-03-01T08:00:00Z",
                period_end="2026-03-01T08:00:00Z",
            ),
            record(
                service_a,
                "panel-3",
                quantity=7,
                period_start=dt.datetime(2026, 3, 2, tzinfo=UTC),
                period_end="2026-03-02T01:30:00.250000+00:00",
            ),
        ],
    )
    assert result == IngestResult(accepted=3, duplicates=0, refused=0, refusals=[])
    assert stored() == [
        (
            "panel-1",
            service_a.pk,
            "server_hours",
            Decimal("1.5000"),
            dt.datetime(2026, 3, 1, 8, tzinfo=UTC),
            dt.datetime(2026, 3, 1, 9, tzinfo=UTC),
        ),
        (
            "panel-2",
            service_a.pk,
            "ram_gb_hours",
            Decimal("0.0001"),
            dt.datetime(2026, 3, 1, 8, tzinfo=UTC),
            dt.datetime(2026, 3, 1, 8, tzinfo=UTC),
        ),
        (
            "panel-3",
            service_a.pk,
            "server_hours",
            Decimal("7.0000"),
            dt.datetime(2026, 3, 2, tzinfo=UTC),
            dt.datetime(2026, 3, 2, 1, 30, 0, 250000, tzinfo=UTC),
        ),
    ]
    # What was written in bulk reads back through the ORM's own lookups.
    assert UsageRecord.objects.filter(period_start__gte=dt.datetime(2026, 3, 1, 8, tzinfo=UTC)).count() == 3
    assert UsageRecord.objects.filter(period_end__gt=dt.datetime(2026, 3, 2, 1, 30, tzinfo=UTC)).count() == 1


def test_a_record_sent_twice_is_stored_once_in_one_batch_and_across_batches(service_a, engineer_actor):
    first = usage_records_ingest(
        actor=engineer_actor,
        records=[
            record(service_a, "panel-1"),
            record(service_a, "panel-1", quantity="99"),
            record(service_a, "panel-2"),
        ],
    )
    assert (first.accepted, first.duplicates, first.refused) == (2, 1, 0)

    again = usage_records_ingest(
        actor=engineer_actor, records=[record(service_a, "panel-2"), record(service_a, "panel-3")]
    )

    assert (again.accepted, again.duplicates, again.refused) == (1, 1, 0)
    assert [row[0] for row in stored()] == ["panel-1", "panel-2", "panel-3"]
    # The first copy is the one kept; a later one with other values changes nothing.
    assert UsageRecord.objects.get(source_id="panel-1").quantity == Decimal("1.5000")


def test_chunks_count_duplicates_across_chunk_boundaries(service_a):
    rows = enumerate(
        [record(service_a, source_id) for source_id in ("a", "b", "a", "c", "b", "d", "d")],
        start=1,
    )
    result = usage_records_bulk_import(actor=SYSTEM_ACTOR, rows=rows, chunk_size=2)
    assert (result.accepted, result.duplicates, result.refused) == (4, 3, 0)
    assert UsageRecord.objects.count() == 4


REFUSALS = [
    ("negative", {"quantity": "-1"}, "quantity_negative", "quantity must not be negative."),
    (
        "absurd",
        {"quantity": "1000000000.0001"},
        "quantity_too_large",
        "quantity must be at most 1,000,000,000; this looks like a unit error.",
    ),
    (
        "absurd exponent",
        {"quantity": Decimal("1E+400")},
        "quantity_too_large",
        "quantity must be at most 1,000,000,000; this looks like a unit error.",
    ),
    ("NaN", {"quantity": Decimal("NaN")}, "quantity_not_a_number", "quantity must be a finite number, not NaN."),
    (
        "Infinity",
        {"quantity": Decimal("Infinity")},
        "quantity_not_a_number",
        "quantity must be a finite number, not Infinity.",
    ),
    ("nan as text", {"quantity": "nan"}, "quantity_not_a_number", "quantity must be a finite number, not nan."),
    ("float NaN", {"quantity": float("nan")}, "quantity_not_a_number", "quantity must be a finite number, not NaN."),
    ("non-numeric", {"quantity": "12 hours"}, "quantity_invalid", "quantity must be a decimal number."),
    ("underscored", {"quantity": "1_000"}, "quantity_invalid", "quantity must be a decimal number."),
    ("boolean", {"quantity": True}, "quantity_invalid", "quantity must be a decimal number."),
    ("missing quantity", {"quantity": None}, "quantity_invalid", "quantity must be a decimal number."),
    ("too precise", {"quantity": "0.00001"}, "quantity_too_precise", "quantity must have at most 4 decimal places."),
    (
        "wrong resource",
        {"resource": "disk_gb"},
        "resource_not_metered",
        "The plan of service {service} does not meter 'disk_gb'.",
    ),
    ("unknown service", {"service_id": 987654}, "service_not_found", "Service 987654 does not exist."),
    ("service id as words", {"service_id": "twelve"}, "service_id_invalid", "service_id must be a whole number."),
    (
        "another customer's service",
        {"customer_id": "{other_customer}"},
        "customer_mismatch",
        "Service {service} does not belong to customer {other_customer}.",
    ),
    (
        "naive timestamp",
        {"period_start": "2026-03-01T10:00:00"},
        "timestamp_naive",
        "period_start needs a time zone offset (e.g. +02:00 or Z).",
    ),
    (
        "date only",
        {"period_end": "2026-03-01"},
        "timestamp_naive",
        "period_end needs a time zone offset (e.g. +02:00 or Z).",
    ),
    (
        "not a timestamp",
        {"period_start": "yesterday"},
        "timestamp_invalid",
        "period_start must be an ISO 8601 date and time with an offset, e.g. 2026-03-01T10:00:00+02:00.",
    ),
    (
        "timestamp as a number",
        {"period_end": 1772352000},
        "timestamp_invalid",
        "period_end must be an ISO 8601 date and time with an offset, e.g. 2026-03-01T10:00:00+02:00.",
    ),
    (
        "impossible date",
        {"period_start": "2026-02-30T10:00:00+02:00"},
        "timestamp_invalid",
        "period_start must be an ISO 8601 date and time with an offset, e.g. 2026-03-01T10:00:00+02:00.",
    ),
    (
        "reversed period",
        {"period_start": "2026-03-01T12:00:00+02:00"},
        "period_reversed",
        "period_end must not be before period_start.",
    ),
    (
        "empty source id",
        {"source_id": ""},
        "source_id_invalid",
        "source_id must be text of 1 to 120 characters without control characters.",
    ),
    (
        "long source id",
        {"source_id": "x" * 121},
        "source_id_invalid",
        "source_id must be text of 1 to 120 characters without control characters.",
    ),
    (
        "source id with a tab",
        {"source_id": "panel\t2"},
        "source_id_invalid",
        "source_id must be text of 1 to 120 characters without control characters.",
    ),
    (
        "numeric source id",
        {"source_id": 17},
        "source_id_invalid",
        "source_id must be text of 1 to 120 characters without control characters.",
    ),
]


@pytest.mark.parametrize(("changes", "code", "message"), [case[1:] for case in REFUSALS], ids=[c[0] for c in REFUSALS])
def test_a_bad_record_is_refused_with_its_reason_and_its_neighbours_are_stored(
    service_a, service_b, engineer_actor, changes, code, message
):
    names = {"service": service_a.pk, "other_customer": service_b.customer_id}
    changes = {key: value.format(**names) if isinstance(value, str) else value for key, value in changes.items()}
    bad = {**record(service_a, "panel-bad"), **changes}

    result = usage_records_ingest(
        actor=engineer_actor, records=[record(service_a, "panel-1"), bad, record(service_a, "panel-3")]
    )

    source_id = changes.get("source_id", "panel-bad")
    assert result == IngestResult(
        accepted=2,
        duplicates=0,
        refused=1,
        refusals=[UsageRefusal(position=1, source_id=str(source_id)[:120], code=code, message=message.format(**names))],
    )
    assert [row[0] for row in stored()] == ["panel-1", "panel-3"]


@pytest.mark.parametrize("status", [ServiceStatus.TERMINATED, ServiceStatus.CANCELLED, ServiceStatus.PENDING])
def test_usage_of_a_service_that_is_not_live_is_refused(catalog, owner_a, service_a, engineer_actor, status):
    ended = make_service(owner_a.customer, catalog["payg"], status=status)
    result = usage_records_ingest(
        actor=engineer_actor, records=[record(ended, "panel-1"), record(service_a, "panel-2")]
    )
    assert result.refusals == [
        UsageRefusal(
            position=0,
            source_id="panel-1",
            code="service_not_live",
            message=f"Service {ended.pk} is {status}; usage is accepted only for active or suspended services.",
        )
    ]
    assert [row[0] for row in stored()] == ["panel-2"]


def test_a_suspended_service_still_reports_usage(catalog, owner_a, engineer_actor):
    suspended = make_service(owner_a.customer, catalog["payg"], status=ServiceStatus.SUSPENDED)
    result = usage_records_ingest(actor=engineer_actor, records=[record(suspended, "panel-1")])
    assert (result.accepted, result.refused) == (1, 0)


def test_a_record_that_is_not_an_object_is_refused(service_a, engineer_actor):
    result = usage_records_ingest(actor=engineer_actor, records=[["panel-1"], "panel-2", record(service_a, "ok")])
    assert [(refusal.position, refusal.code, refusal.message) for refusal in result.refusals] == [
        (0, "unreadable", "A record must be an object with named fields."),
        (1, "unreadable", "A record must be an object with named fields."),
    ]
    assert [row[0] for row in stored()] == ["ok"]


def test_numbers_from_json_and_python_floats_are_kept_exact(service_a, engineer_actor):
    posted = json_loads_exact(
        '[{"source_id": "a", "quantity": 0.1}, {"source_id": "b", "quantity": 2.675},'
        ' {"source_id": "c", "quantity": 1e3}, {"source_id": "d", "quantity": NaN}]'
    )
    records = [record(service_a, item["source_id"], quantity=item["quantity"]) for item in posted]
    records.append(record(service_a, "e", quantity=0.3))

    result = usage_records_ingest(actor=engineer_actor, records=records)

    assert [(refusal.source_id, refusal.code) for refusal in result.refusals] == [("d", "quantity_not_a_number")]
    assert dict(UsageRecord.objects.values_list("source_id", "quantity")) == {
        "a": Decimal("0.1000"),
        "b": Decimal("2.6750"),
        "c": Decimal("1000.0000"),
        "e": Decimal("0.3000"),
    }


@pytest.mark.parametrize("role", [StaffRole.ACCOUNTANT, StaffRole.MANAGER, StaffRole.SUPPORT_LINE_1])
def test_staff_without_provisioning_rights_cannot_post_usage(service_a, role):
    actor = actor_for_user(StaffFactory(role=role).user)
    with pytest.raises(PermissionRefused):
        usage_records_ingest(actor=actor, records=[record(service_a, "panel-1")])
    assert not UsageRecord.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="usage.").exists()


def test_a_customer_cannot_post_usage_even_for_their_own_service(owner_a, service_a):
    with pytest.raises(PermissionRefused):
        usage_records_ingest(actor=actor_for_user(owner_a.user), records=[record(service_a, "panel-1")])
    assert not UsageRecord.objects.exists()


def test_admins_and_line_3_may_post_usage(service_a, admin):
    line_3 = actor_for_user(StaffFactory(role=StaffRole.SUPPORT_LINE_3).user)
    assert usage_records_ingest(actor=actor_for_user(admin.user), records=[record(service_a, "a")]).accepted == 1
    assert usage_records_ingest(actor=line_3, records=[record(service_a, "b")]).accepted == 1


def test_more_than_the_api_limit_in_one_call_is_refused_whole(service_a, engineer_actor):
    with pytest.raises(ValidationFailed) as refused:
        usage_records_ingest(actor=engineer_actor, records=[record(service_a, f"r{n}") for n in range(10_001)])
    assert refused.value.code == "too_many_records"
    assert not UsageRecord.objects.exists()


def test_one_audit_entry_per_batch_that_stored_something(service_a, engineer_actor, engineer):
    usage_records_ingest(actor=engineer_actor, records=[record(service_a, "a"), record(service_a, "b", quantity="-1")])
    usage_records_ingest(actor=engineer_actor, records=[record(service_a, "a")])  # only a duplicate: nothing moved

    entries = list(AuditEvent.objects.filter(action="usage.ingest").values("actor_user_id", "detail"))
    assert entries == [
        {
            "actor_user_id": engineer.user_id,
            "detail": {"accepted": 1, "duplicates": 0, "refused": 1, "first_position": 0, "last_position": 1},
        }
    ]


def test_source_ids_with_backslashes_quotes_and_other_scripts_are_stored_as_sent(service_a, engineer_actor):
    source_ids = ["panel\\1\\n", 'quote"d', "it's", "ünïcode-☃-счётчик", "x" * 120, "trailing space "]
    result = usage_records_ingest(actor=engineer_actor, records=[record(service_a, sid) for sid in source_ids])
    assert (result.accepted, result.refused) == (6, 0)
    assert sorted(UsageRecord.objects.values_list("source_id", flat=True)) == sorted(source_ids)
    again = usage_records_ingest(actor=engineer_actor, records=[record(service_a, sid) for sid in source_ids])
    assert (again.accepted, again.duplicates) == (0, 6)
