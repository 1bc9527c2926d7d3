"""The double-entry ledger. Every change of a customer's money is one LedgerTransaction whose
entries sum to zero per currency; nothing updates or deletes a posted row (the database
refuses it); a mistake is corrected by a reversal pointing at the original."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.models import Customer
from hostkeep.core.fields import AmountField
from hostkeep.ledger.choices import AccountKind, TransactionKind


class LedgerAccount(models.Model):
    """An account of the ledger: per customer and currency for balance, receivable and
    promised credit; one per currency for the provider's own accounts.

    ``cached_balance`` (debit-positive sum of its entries) is moved in the same transaction
    as every entry, under the account's row lock; ``ledger_verify_balances`` rebuilds it from
    the entries and the tests check both agree.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(_("currency"), max_length=3)
    cached_balance = AmountField(_("balance"), default=0)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "customer", "currency"], condition=Q(customer__isnull=False), name="ledger_account_once"
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"], condition=Q(customer__isnull=True), name="ledger_provider_account_once"
            ),
        ]

    def __str__(self) -> str:
        owner = f" #{self.customer_id}" if self.customer_id else ""
        return f"{self.get_kind_display()}{owner} {self.currency}"


class LedgerTransaction(models.Model):
    """One balanced movement of money. ``idempotency_key`` makes a retried post a no-op; a
    reversal points at what it reverses, and a transaction can be reversed only once."""

    kind = models.CharField(_("kind"), max_length=24, choices=TransactionKind.choices)
    # Indexed with the date, (customer, -occurred_at), which the customer's history reads.
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    description = models.CharField(_("description"), max_length=300)
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    idempotency_key = models.CharField(max_length=120)  # unique below, without a LIKE index
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    reference_type = models.CharField(max_length=40, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        indexes = [models.Index(fields=["customer", "-occurred_at"])]
        constraints = [models.UniqueConstraint(fields=["idempotency_key"], name="ledger_transaction_posted_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class LedgerEntry(models.Model):
    """One side of a transaction: a debit (> 0) or a credit (< 0) on one account."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    currency = models.CharField(max_length=3)
    amount = AmountField()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.account_id}"
