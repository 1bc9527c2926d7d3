"""Fixtures for usage: a pay-as-you-go plan metering two resources, live services of two
customers, and the people who may (or may not) post usage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.models import Customer
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import StaffFactory
from hostkeep.catalog.models import MeteredPrice, Plan
from hostkeep.catalog.tests.factories import minecraft_catalog
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service
from hostkeep.usage.models import UsageRecord

PERIOD_START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
PERIOD_END = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


def make_service(customer: Customer, plan: Plan, *, status: str = ServiceStatus.ACTIVE) -> Service:
    return Service.objects.create(
        customer=customer,
        product=plan.product,
        plan=plan,
        status=status,
        status_changed_at=PERIOD_START,
        currency="ZAR",
        period_unit="month",
        current_period_start=PERIOD_START,
        current_period_end=PERIOD_END,
        next_due_date=PERIOD_END.date(),
        recurring_amount=Decimal(0),
        paid_rate=Decimal(0),
        created_at=PERIOD_START,
    )


def record(service: Service, source_id: str, **changes: object) -> dict[str, object]:
    """A valid record of one server hour on 1 March 2026, with ``changes`` applied."""
    values: dict[str, object] = {
        "source_id": source_id,
        "service_id": service.pk,
        "resource": "server_hours",
        "quantity": "1.5",
        "period_start": "2026-03-01T10:00:00+02:00",
        "period_end": "2026-03-01T11:00:00+02:00",
    }
    values.update(changes)
    return values


def stored() -> list[tuple[str, int, str, Decimal, dt.datetime, dt.datetime]]:
    """Every stored record, by source id."""
    return list(
        UsageRecord.objects.order_by("source_id").values_list(
            "source_id", "service_id", "resource", "quantity", "period_start", "period_end"
        )
    )


@pytest.fixture
def catalog(db):
    catalog = minecraft_catalog()
    MeteredPrice.objects.create(
        plan=catalog["payg"], resource="ram_gb_hours", unit="GB-hour", currency="ZAR", unit_price=Decimal("0.05")
    )
    return catalog


@pytest.fixture
def service_a(catalog, owner_a) -> Service:
    return make_service(owner_a.customer, catalog["payg"])


@pytest.fixture
def service_b(catalog, owner_b) -> Service:
    return make_service(owner_b.customer, catalog["payg"])


@pytest.fixture
def engineer(db):
    return StaffFactory(role=StaffRole.ENGINEER)


@pytest.fixture
def engineer_actor(engineer):
    return actor_for_user(engineer.user)
