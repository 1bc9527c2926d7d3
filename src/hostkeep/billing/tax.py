"""VAT per provider entity and customer country, inclusive or exclusive, with reverse charge.

Every line is rounded on its own, half-up to the currency's minor unit; invoice totals are
sums of rounded lines (BRIEF.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hostkeep.accounts.models import ProviderLegalEntity
from hostkeep.core.money import Money

HUNDRED = Decimal(100)
# Business customers with a VAT number elsewhere in the EU account for the VAT themselves.
EU_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class TaxContext:
    """What decides the VAT of a customer's lines, fixed when an invoice is made."""

    rates_by_class: dict[int, Decimal]
    reverse_charge: bool
    prices_include_tax: bool
    vat_registered: bool

    def rate_for(self, tax_class_id: int | None) -> Decimal:
        if not self.vat_registered or self.reverse_charge or tax_class_id is None:
            return Decimal(0)
        return self.rates_by_class.get(tax_class_id, Decimal(0))


def reverse_charge_applies(entity: ProviderLegalEntity, *, customer_country: str, customer_tax_id: str) -> bool:
    country = (customer_country or "").upper()
    return bool(
        customer_tax_id
        and country
        and country != entity.country.upper()
        and country in EU_COUNTRIES
        and entity.country.upper() in EU_COUNTRIES
    )


def rates_for_country(country: str) -> dict[int, Decimal]:
    """tax class -> rate for a customer country (its own rate, else the class's fallback)."""
    from hostkeep.catalog.models import TaxRate

    rates: dict[int, Decimal] = {}
    fallback: dict[int, Decimal] = {}
    for tax_class_id, rate_country, rate in TaxRate.objects.values_list("tax_class_id", "country", "rate"):
        if rate_country == (country or "").upper():
            rates[tax_class_id] = rate
        elif rate_country == "":
            fallback[tax_class_id] = rate
    return {**fallback, **rates}


def split_line(amount: Money, rate: Decimal, *, prices_include_tax: bool) -> tuple[Money, Money, Money]:
    """(net, tax, gross) of one line, each rounded half-up to the minor unit."""
    if prices_include_tax:
        gross = amount.rounded()
        tax = Money(gross.amount * rate / (HUNDRED + rate), amount.currency).rounded()
        return gross - tax, tax, gross
    net = amount.rounded()
    tax = Money(net.amount * rate / HUNDRED, amount.currency).rounded()
    return net, tax, net + tax
