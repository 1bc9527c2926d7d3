"""VAT rules, in one place for the price a customer is shown at checkout and the invoice
billing issues: rates per tax class and customer country, the serving provider entity's
settings (VAT-registered, list prices inclusive or exclusive), and reverse charge where the
customer's tax id says so.

Every line is rounded on its own, half-up to the currency's minor unit; totals are sums of
rounded lines (BRIEF.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from hostkeep.accounts.models import Customer, CustomerLegalEntity, ProviderLegalEntity
from hostkeep.catalog.models import TaxRate
from hostkeep.core.money import Money

HUNDRED = Decimal(100)
# Business customers with a VAT number elsewhere in the EU account for the VAT themselves.
EU_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class TaxContext:
    """What decides the VAT of a customer's lines, fixed when a quote or an invoice is made."""

    rates_by_class: dict[int, Decimal]
    reverse_charge: bool
    prices_include_tax: bool
    vat_registered: bool

    def rate_for(self, tax_class_id: int | None) -> Decimal:
        if not self.vat_registered or self.reverse_charge or tax_class_id is None:
            return Decimal(0)
        return self.rates_by_class.get(tax_class_id, Decimal(0))

    def split(self, amount: Money, tax_class_id: int | None) -> tuple[Decimal, Money, Money, Money]:
        """(rate, net, tax, gross) of one line priced at ``amount`` (a list figure)."""
        rate = self.rate_for(tax_class_id)
        return (rate, *split_line(amount, rate, prices_include_tax=self.prices_include_tax))


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


def tax_context(customer: Customer, entity: ProviderLegalEntity | None) -> TaxContext:
    """The VAT rules for ``customer`` served by ``entity``: the country and tax id come from the
    customer's default legal entity (else the account's country). Without any provider entity
    set up yet, list prices follow HOSTKEEP_PRICES_INCLUDE_TAX."""
    document_entity = CustomerLegalEntity.objects.filter(customer=customer).order_by("-is_default", "pk").first()
    tax_id = document_entity.tax_id if document_entity else ""
    country = document_entity.country if document_entity and document_entity.country else customer.country
    if entity is None:
        return TaxContext(
            rates_by_class=rates_for_country(country),
            reverse_charge=False,
            prices_include_tax=bool(getattr(settings, "PRICES_INCLUDE_TAX", False)),
            vat_registered=True,
        )
    return TaxContext(
        rates_by_class=rates_for_country(country),
        reverse_charge=reverse_charge_applies(entity, customer_country=country, customer_tax_id=tax_id),
        prices_include_tax=entity.prices_include_tax,
        vat_registered=entity.vat_registered,
    )


def quote_tax_context(customer: Customer) -> TaxContext:
    """The rules a checkout quote uses: those of the provider entity that serves new accounts
    (the default one), which is the entity billing assigns a customer's first invoice to."""
    entity = ProviderLegalEntity.objects.order_by("-is_default", "pk").first()
    return tax_context(customer, entity)
