"""Billing dates for PayFast subscriptions (South African time, calendar months)."""

from __future__ import annotations

import datetime as dt

SOUTH_AFRICA = dt.timezone(dt.timedelta(hours=2), "SAST")
FREQUENCY_MONTHS = {3: 1, 4: 3, 5: 6, 6: 12}
FREQUENCY_DAYS = {1: 1, 2: 7}


def add_period(day: dt.date, frequency: int) -> dt.date:
    """The next billing date: 1 daily, 2 weekly, 3 monthly, 4 quarterly, 5 biannual, 6 annual."""
    if frequency in FREQUENCY_DAYS:
        return day + dt.timedelta(days=FREQUENCY_DAYS[frequency])
    months = day.month - 1 + FREQUENCY_MONTHS[frequency]
    year, month = day.year + months // 12, months % 12 + 1
    for last_day in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise ValueError(f"cannot add a period to {day}")
