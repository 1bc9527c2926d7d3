"""The VAT rules billing applies: the same ones the checkout quote uses, kept in
``catalog.tax`` so a customer is never shown one figure and invoiced another."""

from hostkeep.catalog.tax import (
    EU_COUNTRIES,
    HUNDRED,
    TaxContext,
    rates_for_country,
    reverse_charge_applies,
    split_line,
    tax_context,
)

__all__ = [
    "EU_COUNTRIES",
    "HUNDRED",
    "TaxContext",
    "rates_for_country",
    "reverse_charge_applies",
    "split_line",
    "tax_context",
]
