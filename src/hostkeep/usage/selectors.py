"""Reads of usage: totals per service and resource over billing periods, for rating."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, Sum

from hostkeep.core.money import STORAGE_QUANTUM
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
