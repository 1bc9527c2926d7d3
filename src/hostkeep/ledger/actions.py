"""Posting to the ledger: the only code that writes transactions and entries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from hostkeep.accounts.models import Customer
from hostkeep.core import clock
from hostkeep.core.bulk import update_rows
from hostkeep.core.errors import Conflict
from hostkeep.core.money import Money
from hostkeep.ledger.choices import PER_CUSTOMER, AccountKind, TransactionKind
from hostkeep.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction


class UnbalancedTransaction(ValueError):
    """Entries of one transaction do not sum to zero in some currency (a programming error)."""


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


def ledger_account(*, kind: str, currency: str, customer: Customer | int | None = None) -> LedgerAccount:
    """The account of that kind (and customer) in that currency, created on first use."""
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    if (kind in PER_CUSTOMER) != (customer_id is not None):
        raise ValueError(f"{kind} accounts {'need' if kind in PER_CUSTOMER else 'take no'} customer")
    lookup = {"kind": kind, "currency": currency, "customer_id": customer_id}
    account = LedgerAccount.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(**lookup)
    except IntegrityError:
        return LedgerAccount.objects.get(**lookup)


@dataclass(frozen=True)
class Posting:
    """A planned transaction: (account, signed amount) lines that must balance per currency."""

    kind: str
    description: str
    idempotency_key: str
    lines: Sequence[tuple[LedgerAccount, Money]]
    customer_id: int | None = None
    reference_type: str = ""
    reference_id: str = ""
    actor_label: str = ""
    reverses_id: int | None = None
    allow_overdraft: bool = False
    occurred_at: dt.datetime | None = field(default=None)

    def check_balanced(self) -> None:
        if not self.lines:
            raise UnbalancedTransaction("a transaction needs entries")
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for account, amount in self.lines:
            if amount.currency != account.currency:
                raise UnbalancedTransaction(f"{amount.currency} entry on a {account.currency} account")
            if amount.is_zero():
                raise UnbalancedTransaction("zero entries are not posted")
            totals[amount.currency] += amount.amount
        unbalanced = {currency: total for currency, total in totals.items() if total != 0}
        if unbalanced:
            raise UnbalancedTransaction(f"entries do not sum to zero: {unbalanced}")


def _deltas(postings: Iterable[Posting]) -> dict[int, Decimal]:
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    for posting in postings:
        for account, amount in posting.lines:
            deltas[account.pk] += amount.amount
    return deltas


def _guard_overdraft(postings: Sequence[Posting], deltas: dict[int, Decimal]) -> None:
    """Lock the touched accounts in pk order and refuse to take a customer balance below zero.

    A customer balance is credit-normal: its debit-positive cached balance must stay <= 0.
    """
    locked = {
        account.pk: account
        for account in LedgerAccount.objects.select_for_update().filter(pk__in=sorted(deltas)).order_by("pk")
    }
    overdraft_allowed = {
        account.pk for posting in postings if posting.allow_overdraft for account, _amount in posting.lines
    }
    for pk, delta in deltas.items():
        account = locked[pk]
        if (
            account.kind == AccountKind.CUSTOMER_BALANCE
            and delta > 0
            and pk not in overdraft_allowed
            and account.cached_balance + delta > 0
        ):
            raise InsufficientFunds(_("The balance does not cover this charge."))


def ledger_post(posting: Posting) -> LedgerTransaction:
    """Post one balanced transaction, once: a repeated idempotency key returns the first."""
    posting.check_balanced()
    with transaction.atomic():
        existing = LedgerTransaction.objects.filter(idempotency_key=posting.idempotency_key).first()
        if existing is not None:
            return existing
        deltas = _deltas([posting])
        _guard_overdraft([posting], deltas)
        try:
            with transaction.atomic():
                posted = LedgerTransaction.objects.create(
                    kind=posting.kind,
                    customer_id=posting.customer_id,
                    description=posting.description[:300],
                    occurred_at=posting.occurred_at or clock.now(),
                    idempotency_key=posting.idempotency_key,
                    reverses_id=posting.reverses_id,
                    reference_type=posting.reference_type,
                    reference_id=posting.reference_id,
                    actor_label=posting.actor_label[:254],
                )
        except IntegrityError:
            # The same key committed meanwhile (the row lock serialised us behind it), or the
            # original was already reversed.
            existing = LedgerTransaction.objects.filter(idempotency_key=posting.idempotency_key).first()
            if existing is not None:
                return existing
            raise Conflict(_("This transaction has already been reversed."), code="already_reversed") from None
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(transaction=posted, account=account, currency=amount.currency, amount=amount.amount)
                for account, amount in posting.lines
            ]
        )
        for pk, delta in deltas.items():
            LedgerAccount.objects.filter(pk=pk).update(cached_balance=F("cached_balance") + delta)
    return posted


def ledger_post_many(postings: Sequence[Posting]) -> list[LedgerTransaction]:
    """Post many transactions set-based (the billing run): one insert of transactions, one of
    entries, and one UPDATE of account balances per batch. The caller has already made the
    postings unique (e.g. by a unique charge per service period) and checked funds under lock."""
    if not postings:
        return []
    for posting in postings:
        posting.check_balanced()
    now = clock.now()
    with transaction.atomic():
        rows = LedgerTransaction.objects.bulk_create(
            [
                LedgerTransaction(
                    kind=p.kind,
                    customer_id=p.customer_id,
                    description=p.description[:300],
                    occurred_at=p.occurred_at or now,
                    idempotency_key=p.idempotency_key,
                    reference_type=p.reference_type,
                    reference_id=p.reference_id,
                    actor_label=p.actor_label[:254],
                )
                for p in postings
            ],
            batch_size=2000,
        )
        # One INSERT per batch of whole transactions: PostgreSQL checks balance per statement.
        batch: list[LedgerEntry] = []
        for row, posting in zip(rows, postings, strict=True):
            batch.extend(
                LedgerEntry(
                    transaction_id=row.pk, account_id=account.pk, currency=amount.currency, amount=amount.amount
                )
                for account, amount in posting.lines
            )
            if len(batch) >= 4000:
                LedgerEntry.objects.bulk_create(batch, batch_size=len(batch))
                batch = []
        if batch:
            LedgerEntry.objects.bulk_create(batch, batch_size=len(batch))
        apply_balance_deltas(_deltas(postings))
    return rows


def apply_balance_deltas(deltas: dict[int, Decimal]) -> None:
    """Move cached balances by ``deltas`` in one set-based UPDATE (see core.bulk.update_rows)."""
    update_rows(
        LedgerAccount,
        columns={"delta": "numeric"},
        assignments={"cached_balance": "t.cached_balance + v.delta"},
        rows=[(pk, delta) for pk, delta in sorted(deltas.items())],
    )


def ledger_reverse(
    *, transaction_id: int, idempotency_key: str, description: str, actor_label: str = "", allow_overdraft: bool = False
) -> LedgerTransaction:
    """Post the mirror image of a transaction; each transaction can be reversed once."""
    original = LedgerTransaction.objects.prefetch_related("entries__account").get(pk=transaction_id)
    lines = [(entry.account, Money(-entry.amount, entry.currency)) for entry in original.entries.all()]
    return ledger_post(
        Posting(
            kind=TransactionKind.REVERSAL,
            description=description,
            idempotency_key=idempotency_key,
            lines=lines,
            customer_id=original.customer_id,
            reference_type="ledger_transaction",
            reference_id=str(original.pk),
            actor_label=actor_label,
            reverses_id=original.pk,
            allow_overdraft=allow_overdraft,
        )
    )
