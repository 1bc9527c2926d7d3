"""Reads of usage: totals per service and resource over billing periods, for rating."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import customer_scope, get_scoped
from hostkeep.catalog.models import MeteredPrice
from hostkeep.core.errors import ValidationFailed
from hostkeep.core.money import STORAGE_QUANTUM
from hostkeep.services.models import Service
from hostkeep.usage.models import UsageRecord


def usage_totals(periods: list[tuple[int, dt.datetime, dt.datetime]]) -> dict[tuple[int, str], Decimal]:
    """Total quantity per (service, resource) of records starting inside each service's
    period [start, end). One grouped query per batch of services, never one per service."""
    totals: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for first in range(0, len(periods), 500):
        batch = periods[first : first + 500]
        condition = Q()
        for service_id, start, end in batch:
            condition |= Q(service_id=service_id, period_start__gte=start, period_start__lt=end)
        rows = UsageRecord.objects.filter(condition).values("service_id", "resource").annotate(total=Sum("quantity"))
        for row in rows:
            totals[(row["service_id"], row["resource"])] += Decimal(row["total"]).quantize(STORAGE_QUANTUM)
    return dict(totals)


def usage_records_for_staff(
    actor: Actor, *, service_id: int | None = None, resource: str = "", since: dt.datetime | None = None
) -> QuerySet[UsageRecord]:
    """Stored records, oldest period first; ``since`` keeps periods starting at or after it."""
    actor.require(StaffPermission.VIEW_CUSTOMERS)
    queryset = UsageRecord.objects.order_by("period_start", "id")
    if service_id is not None:
        queryset = queryset.filter(service_id=service_id)
    if resource:
        queryset = queryset.filter(resource=resource)
    if since is not None:
        if since.tzinfo is None:
            message = _("since needs a time zone offset (e.g. +02:00 or Z).")
            raise ValidationFailed(message, fields={"since": [message]})
        queryset = queryset.filter(period_start__gte=since)
    return queryset


@dataclass(frozen=True)
class UsageTotal:
    resource: str
    unit: str
    quantity: Decimal


@dataclass(frozen=True)
class ServiceUsage:
    """A service's usage in its current period: every metered resource of its plan (zero when
    nothing was reported), then any other resource that has records."""

    service_id: int
    period_start: dt.datetime
    period_end: dt.datetime
    totals: list[UsageTotal]


def service_usage_for_customer(actor: Actor, service_id: object) -> ServiceUsage:
    """The caller's own service's usage totals; another customer's service is not found."""
    service = get_scoped(
        customer_scope(
            Service.objects.only("pk", "plan_id", "current_period_start", "current_period_end"),
            actor,
            CustomerPermission.VIEW_SERVICES,
        ),
        service_id,
    )
    totals = usage_totals([(service.pk, service.current_period_start, service.current_period_end)])
    units: dict[str, str] = {}
    for resource, unit in (
        MeteredPrice.objects.filter(plan_id=service.plan_id).order_by("resource", "id").values_list("resource", "unit")
    ):
        units.setdefault(resource, unit)
    reported = sorted(resource for service_pk, resource in totals if service_pk == service.pk)
    return ServiceUsage(
        service_id=service.pk,
        period_start=service.current_period_start,
        period_end=service.current_period_end,
        totals=[
            UsageTotal(
                resource=resource,
                unit=units.get(resource, ""),
                quantity=totals.get((service.pk, resource), Decimal(0)).quantize(STORAGE_QUANTUM),
            )
            for resource in [*units, *(name for name in reported if name not in units)]
        ],
    )
