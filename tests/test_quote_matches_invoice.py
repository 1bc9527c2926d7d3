"""The price a customer is shown at checkout is the price billing invoices: one set of VAT
rules (catalog.tax) for the quote and the invoice, whatever the provider entity's settings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hostkeep.accounts.models import CustomerLegalEntity, ProviderLegalEntity
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.billing.models import Invoice
from hostkeep.catalog.models import TaxRate
from hostkeep.catalog.tests.factories import minecraft_catalog
from hostkeep.core.outbox import deliver_pending
from hostkeep.services import actions

pytestmark = pytest.mark.django_db


def order_and_invoice(country: str, *, tax_id: str = "", rates: dict[str, Decimal] | None = None):
    catalog = minecraft_catalog()
    for rate_country, rate in (rates or {}).items():
        TaxRate.objects.create(tax_class=catalog["iron"].product.tax_class, country=rate_country, rate=rate)
    contact = ContactFactory(customer__currency="ZAR", customer__country=country)
    if tax_id:
        CustomerLegalEntity.objects.create(
            customer=contact.customer, name="Buyer GmbH", tax_id=tax_id, country=country, is_default=True
        )
    actor = actor_for_user(contact.user)
    actions.cart_add(actor=actor, plan_id=catalog["iron"].pk, option_values={"ram_gb": 2, "location": "cpt"})
    order = actions.checkout(actor=actor)
    deliver_pending()
    return order, Invoice.objects.get(customer=contact.customer)


def test_inclusive_list_prices_quote_and_invoice_the_same_gross():
    ProviderLegalEntity.objects.create(
        name="Villager", short_code="tvp", country="ZA", prices_include_tax=True, is_default=True
    )
    order, invoice = order_and_invoice("ZA")
    # Iron 200 + Cape Town 10 + setup 50 = 260 including 15 % VAT: 33.91 of it is tax.
    assert (order.total, order.tax_total) == (Decimal("260.0000"), Decimal("33.9100"))
    assert (invoice.total, invoice.tax_total) == (order.total, order.tax_total)


def test_reverse_charge_is_quoted_as_it_is_invoiced():
    # A French business with a VAT number buying from a German entity accounts for VAT itself.
    ProviderLegalEntity.objects.create(name="Villager EU", short_code="eu", country="DE", is_default=True)
    order, invoice = order_and_invoice("FR", tax_id="FR12345678901", rates={"FR": Decimal(20)})
    assert order.tax_total == Decimal("0.0000")
    assert (invoice.total, invoice.tax_total) == (order.total, Decimal("0.0000"))


def test_an_entity_that_charges_no_vat_quotes_none():
    ProviderLegalEntity.objects.create(
        name="Small", short_code="sm", country="ZA", vat_registered=False, is_default=True
    )
    order, invoice = order_and_invoice("ZA")
    assert (order.total, order.tax_total) == (Decimal("260.0000"), Decimal("0.0000"))
    assert (invoice.total, invoice.tax_total) == (order.total, order.tax_total)
