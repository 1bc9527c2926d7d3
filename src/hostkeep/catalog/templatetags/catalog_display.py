"""How the catalogue's periods and amounts read on pages (``{% load catalog_display %}``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hostkeep.catalog.choices import PeriodUnit
from hostkeep.core.money import Money

register = template.Library()


def period_label(unit: str, count: int) -> str:
    """'1 month', '3 months', '1 year', '5 days', 'one-time'."""
    if unit == PeriodUnit.ONCE:
        return _("one-time")
    if unit == PeriodUnit.MONTH and count % 12 == 0:
        years = count // 12
        return ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
    if unit == PeriodUnit.MONTH:
        return ngettext("%(count)d month", "%(count)d months", count) % {"count": count}
    if unit == PeriodUnit.DAY:
        return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}
    return ngettext("%(count)d hour", "%(count)d hours", count) % {"count": count}


@register.filter
def period(priced: Any) -> str:
    """The billing period of anything with ``period_unit`` and ``period_count``."""
    return period_label(priced.period_unit, priced.period_count)


@register.filter
def money(amount: Money | Decimal | None, currency: str = "") -> str:
    """An amount rounded as a document shows it: ``{{ money_value|money }}`` or
    ``{{ decimal_value|money:currency }}``."""
    if amount is None:
        return ""
    value = amount if isinstance(amount, Money) else Money(amount, currency)
    return str(value)
