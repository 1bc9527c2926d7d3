"""Reads of the ledger: balances (cached and derived) and a customer's history."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum

from hostkeep.accounts.models import Customer
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.core.money import STORAGE_QUANTUM, Money
from hostkeep.ledger.choices import AccountKind
from hostkeep.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction


def customer_balance(customer: Customer | int, currency: str) -> Money:
    """Money the customer has with the provider (the cached figure, kept with every entry)."""
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    cached = (
        LedgerAccount.objects.filter(kind=AccountKind.CUSTOMER_BALANCE, customer_id=customer_id, currency=currency)
        .values_list("cached_balance", flat=True)
        .first()
    )
    return Money(-(cached or Decimal(0)), currency)


def customer_balance_from_entries(customer: Customer | int, currency: str) -> Money:
    """The same figure derived from the entries alone (the source of truth)."""
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    total = LedgerEntry.objects.filter(
        account__kind=AccountKind.CUSTOMER_BALANCE, account__customer_id=customer_id, currency=currency
    ).aggregate(total=Sum("amount"))["total"]
    return Money(-(total or Decimal(0)), currency)


def accounts_out_of_step() -> list[tuple[int, Decimal, Decimal]]:
    """Accounts whose cached balance differs from the sum of their entries (should be none)."""
    sums = dict(
        LedgerEntry.objects.values("account_id").annotate(total=Sum("amount")).values_list("account_id", "total")
    )
    drift = []
    for pk, cached in LedgerAccount.objects.values_list("pk", "cached_balance"):
        # SQLite sums decimals as floats; compare at the ledger's precision.
        derived = Decimal(sums.get(pk) or 0).quantize(STORAGE_QUANTUM)
        if derived != cached:
            drift.append((pk, cached, derived))
    return drift


def unbalanced_transactions() -> list[tuple[int, str, Decimal]]:
    """(transaction, currency, sum) for every transaction that does not sum to zero (none)."""
    rows = LedgerEntry.objects.values("transaction_id", "currency").annotate(total=Sum("amount"))
    return [
        (row["transaction_id"], row["currency"], row["total"])
        for row in rows
        if Decimal(row["total"]).quantize(STORAGE_QUANTUM) != 0
    ]


def history_for_customer(actor: Actor) -> QuerySet[LedgerEntry]:
    """The customer's balance movements, newest first."""
    customer = actor.require_customer(CustomerPermission.VIEW_BILLING)
    return (
        LedgerEntry.objects.filter(account__kind=AccountKind.CUSTOMER_BALANCE, account__customer=customer)
        .select_related("transaction")
        .order_by("-transaction__occurred_at", "-id")
    )


def transactions_for_staff(actor: Actor, *, customer_id: int) -> QuerySet[LedgerTransaction]:
    actor.require(StaffPermission.VIEW_BILLING)
    return (
        LedgerTransaction.objects.filter(customer_id=customer_id)
        .prefetch_related("entries__account")
        .order_by("-occurred_at", "-id")
    )
