"""Builders shared by the payments tests and the gateways' integration tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Sum

from hostkeep.accounts.models import Contact
from hostkeep.accounts.permissions import Actor
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.core.money import Money
from hostkeep.ledger.models import LedgerEntry, LedgerTransaction
from hostkeep.ledger.selectors import accounts_out_of_step, customer_balance, unbalanced_transactions
from hostkeep.payments.models import GatewayAccount


def zar(value: object) -> Money:
    return Money(Decimal(str(value)), "ZAR")


def zar_contact(name: str = "Alpha Games", **kwargs: Any) -> Contact:
    return ContactFactory(customer__name=name, customer__currency="ZAR", customer__country="ZA", **kwargs)


def actor_of(contact: Contact) -> Actor:
    return actor_for_user(contact.user, customer_id=contact.customer_id)


def gateway_account(gateway: str, *, currencies: tuple[str, ...] = ("ZAR",), **kwargs: Any) -> GatewayAccount:
    return GatewayAccount.objects.create(
        gateway=gateway,
        label=kwargs.pop("label", gateway.title()),
        currencies=list(currencies),
        settings=kwargs.pop("settings", {}),
        credentials=kwargs.pop("credentials", {}),
        **kwargs,
    )


def balance(contact: Contact, currency: str = "ZAR") -> Money:
    return customer_balance(contact.customer, currency)


def payment_credits(customer_id: int) -> int:
    return LedgerTransaction.objects.filter(customer_id=customer_id, kind="payment").count()


def ledger_sound() -> None:
    """The ledger's invariants hold: every transaction balances, cached balances match entries."""
    assert unbalanced_transactions() == []
    assert accounts_out_of_step() == []


def clearing_total(currency: str = "ZAR") -> Decimal:
    total = LedgerEntry.objects.filter(account__kind="gateway_clearing", currency=currency).aggregate(t=Sum("amount"))
    return Decimal(total["t"] or 0)
