import datetime as dt
from decimal import Decimal

import pytest

from hostkeep.catalog.choices import PeriodUnit
from hostkeep.core.money import Money
from hostkeep.services import periods

D = dt.date


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (D(2026, 1, 31), [D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 31), D(2026, 6, 30)]),
        (D(2028, 1, 31), [D(2028, 2, 29), D(2028, 3, 31), D(2028, 4, 30), D(2028, 5, 31), D(2028, 6, 30)]),
        (D(2026, 1, 30), [D(2026, 2, 28), D(2026, 3, 30), D(2026, 4, 30), D(2026, 5, 30), D(2026, 6, 30)]),
        (D(2026, 12, 15), [D(2027, 1, 15), D(2027, 2, 15), D(2027, 3, 15), D(2027, 4, 15), D(2027, 5, 15)]),
    ],
)
def test_monthly_renewals_keep_the_day_or_the_months_last_day(settings, start, expected):
    settings.TIME_ZONE = "Africa/Johannesburg"
    assert periods.renewal_dates(start, unit=PeriodUnit.MONTH, count=1, periods=5) == expected


def test_29_february_yearly_renews_on_28_february_and_returns_in_leap_years(settings):
    settings.TIME_ZONE = "Africa/Johannesburg"
    dates = periods.renewal_dates(D(2028, 2, 29), unit=PeriodUnit.MONTH, count=12, periods=5)
    assert dates == [D(2029, 2, 28), D(2030, 2, 28), D(2031, 2, 28), D(2032, 2, 29), D(2033, 2, 28)]


def test_quarterly_and_half_yearly_periods(settings):
    settings.TIME_ZONE = "UTC"
    assert periods.renewal_dates(D(2026, 11, 30), unit=PeriodUnit.MONTH, count=3, periods=4) == [
        D(2027, 2, 28),
        D(2027, 5, 30),
        D(2027, 8, 30),
        D(2027, 11, 30),
    ]
    assert periods.renewal_dates(D(2026, 8, 31), unit=PeriodUnit.MONTH, count=6, periods=3) == [
        D(2027, 2, 28),
        D(2027, 8, 31),
        D(2028, 2, 29),
    ]


def test_a_dst_change_does_not_shift_the_due_date(settings):
    settings.TIME_ZONE = "Europe/Madrid"  # clocks go forward on 29 March 2026 and back on 25 October
    start = D(2026, 3, 15)
    assert periods.renewal_dates(start, unit=PeriodUnit.MONTH, count=1, periods=8) == [
        D(2026, 4, 15),
        D(2026, 5, 15),
        D(2026, 6, 15),
        D(2026, 7, 15),
        D(2026, 8, 15),
        D(2026, 9, 15),
        D(2026, 10, 15),
        D(2026, 11, 15),
    ]
    begin = periods.local_midnight(D(2026, 3, 15))
    end = periods.period_end(begin, unit=PeriodUnit.MONTH, count=1, anchor_day=15)
    assert end.hour == 0
    assert periods.share_left(begin, begin, end) == (31 * 86400 - 3600, 31 * 86400 - 3600)  # one hour fewer
    assert periods.renewal_dates(D(2026, 10, 24), unit=PeriodUnit.DAY, count=1, periods=2) == [
        D(2026, 10, 25),
        D(2026, 10, 26),
    ]


def test_proration_by_seconds_is_exact_to_four_places():
    left, total = periods.share_left(
        dt.datetime(2026, 1, 11, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
    )
    assert (left, total) == (21 * 86400, 31 * 86400)
    assert periods.prorate(Money(Decimal("100"), "ZAR"), seconds_left=left, seconds_total=total).amount == Decimal(
        "67.7419"
    )
    assert periods.prorate(Money(Decimal("100"), "ZAR"), seconds_left=0, seconds_total=total).amount == 0
