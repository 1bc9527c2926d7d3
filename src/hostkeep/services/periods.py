"""Billing periods and renewal dates, counted in the provider's time zone (BRIEF.md).

A monthly period started on day D renews on day D of the next month, or on that month's
last day where D does not exist, and returns to D afterwards (31 Jan -> 28/29 Feb -> 31 Mar);
the same for 29 February on yearly periods. Month and day periods run between local
midnights, so a DST change moves no due date; hour periods are plain instants.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from hostkeep.catalog.choices import PeriodUnit
from hostkeep.core import clock
from hostkeep.core.money import STORAGE_QUANTUM, Money


def add_months(day: dt.date, months: int, *, anchor_day: int) -> dt.date:
    """``day`` moved by ``months``, landing on ``anchor_day`` or the month's last day."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(anchor_day, last))


def local_midnight(day: dt.date) -> dt.datetime:
    """The instant a local date starts in the provider's zone, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=clock.provider_zone())


def period_end(start: dt.datetime, *, unit: str, count: int, anchor_day: int) -> dt.datetime:
    """The end of a period that starts at ``start`` (which is a local midnight for months and days)."""
    if unit == PeriodUnit.HOUR:
        return start + dt.timedelta(hours=count)
    local_start = start.astimezone(clock.provider_zone()).date()
    if unit == PeriodUnit.DAY:
        return local_midnight(local_start + dt.timedelta(days=count))
    if unit == PeriodUnit.MONTH:
        return local_midnight(add_months(local_start, count, anchor_day=anchor_day))
    raise ValueError(f"a {unit!r} period does not renew")


def first_period(at: dt.datetime, *, unit: str, count: int) -> tuple[dt.datetime, dt.datetime, int]:
    """(start, end, anchor day) of the first period of a service started at ``at``."""
    if unit == PeriodUnit.HOUR:
        start = at.replace(minute=0, second=0, microsecond=0)
        return start, start + dt.timedelta(hours=count), 0
    local_day = at.astimezone(clock.provider_zone()).date()
    start = local_midnight(local_day)
    unit_for_end = unit if unit != PeriodUnit.ONCE else PeriodUnit.MONTH
    return start, period_end(start, unit=unit_for_end, count=count, anchor_day=local_day.day), local_day.day


def renewal_dates(start: dt.date, *, unit: str, count: int, periods: int) -> list[dt.date]:
    """The next ``periods`` due dates of a service started on ``start`` (for pages and tests)."""
    begin = local_midnight(start)
    dates = []
    current = begin
    for _ in range(periods):
        current = period_end(current, unit=unit, count=count, anchor_day=start.day)
        dates.append(current.astimezone(clock.provider_zone()).date())
    return dates


def share_left(at: dt.datetime, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """(seconds left, seconds in the period) at ``at``; clamped to the period.

    Counted in UTC: Python subtracts two datetimes of the same zone by wall clock, which
    would hide the hour a DST change adds or removes.
    """
    at, start, end = (moment.astimezone(dt.UTC) for moment in (at, start, end))
    total = int((end - start).total_seconds())
    left = int((end - max(min(at, end), start)).total_seconds())
    return left, total


def prorate(rate: Money, *, seconds_left: int, seconds_total: int) -> Money:
    """``rate`` times the share of the period left, to 4 places, half-up."""
    if seconds_total <= 0:
        return Money.zero(rate.currency)
    exact = rate.amount * Decimal(seconds_left) / Decimal(seconds_total)
    return Money(exact.quantize(STORAGE_QUANTUM, rounding=ROUND_HALF_UP), rate.currency)
