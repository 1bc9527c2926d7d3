"""Payments: gateway accounts with encrypted credentials, payments and refunds, saved methods,
auto-pay attempts, every incoming notification, gateway events (unique per gateway event id)
and bank-statement lines. Nothing here does I/O; the actions write these rows."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.models import Customer
from hostkeep.core.fields import AmountField, EncryptedJSONField
from hostkeep.ledger.models import LedgerTransaction
from hostkeep.payments.choices import (
    AutopayStatus,
    NotificationVerdict,
    PaymentKind,
    PaymentStatus,
    RefundStatus,
    StatementLineStatus,
)


class GatewayAccount(models.Model):
    """One configured gateway (a plug-in from the registry) with its credentials encrypted at
    rest. Several may be enabled at once; each serves the listed currencies and, when
    ``countries`` is not empty, only customers from those countries."""

    gateway = models.CharField(_("gateway"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    currencies = models.JSONField(_("currencies"), default=list)
    countries = models.JSONField(_("customer countries"), default=list, blank=True)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    credentials = EncryptedJSONField(_("credentials"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("gateway account")
        verbose_name_plural = _("gateway accounts")

    def __str__(self) -> str:
        return self.label


class GatewayCustomer(models.Model):
    """The gateway's own id for one of our customers (a Stripe Customer), made once."""

    account = models.ForeignKey(GatewayAccount, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    remote_id = models.CharField(max_length=120)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "customer"], name="gateway_customer_once")]

    def __str__(self) -> str:
        return self.remote_id


class SavedMethod(models.Model):
    """A payment method kept by the gateway as a token (never card data), for auto-pay."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payment_methods")
    account = models.ForeignKey(GatewayAccount, on_delete=models.PROTECT, related_name="saved_methods")
    token = models.CharField(max_length=200)
    gateway_customer_id = models.CharField(max_length=120, blank=True)
    label = models.CharField(_("method"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_default", "position", "id"]
        verbose_name = _("saved payment method")
        verbose_name_plural = _("saved payment methods")
        constraints = [models.UniqueConstraint(fields=["account", "token"], name="saved_method_token_once")]

    def __str__(self) -> str:
        return self.label


class Payment(models.Model):
    """Money asked for through one gateway account. It credits the customer's balance once:
    the gateway's transaction id is unique per account, and the ledger posting's key is the
    payment's. ``reference`` says what it is for (``invoice:123``, ``top-up``); billing settles
    invoices from the balance when it hears ``payment.received``."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    account = models.ForeignKey(GatewayAccount, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("kind"), max_length=16, choices=PaymentKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    currency = models.CharField(_("currency"), max_length=3)
    amount = AmountField(_("amount"))
    amount_received = AmountField(_("received"), default=0)
    received_currency = models.CharField(max_length=3, blank=True)
    amount_refunded = AmountField(_("refunded"), default=0)
    reference = models.CharField(_("reference"), max_length=120)
    description = models.CharField(_("description"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=160, unique=True)
    bank_reference = models.CharField(_("bank reference"), max_length=32, null=True, blank=True, unique=True)
    gateway_payment_id = models.CharField(max_length=120, blank=True, db_index=True)
    gateway_transaction_id = models.CharField(max_length=120, null=True, blank=True)
    redirect_url = models.TextField(blank=True)
    redirect_form = models.JSONField(default=list, blank=True)
    save_method = models.BooleanField(default=False)
    saved_method = models.ForeignKey(
        SavedMethod, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    autopay = models.ForeignKey(
        "AutopayAttempt", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    decline_reason = models.CharField(_("reason"), max_length=300, blank=True)
    staff_reason = models.CharField(max_length=500, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    ledger_transaction = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [models.Index(fields=["customer", "-created_at"]), models.Index(fields=["status", "updated_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "gateway_transaction_id"],
                condition=Q(gateway_transaction_id__isnull=False),
                name="payment_gateway_transaction_once",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0) & Q(amount_refunded__lte=models.F("amount_received")),
                name="payment_refund_within_received",
            ),
        ]

    def __str__(self) -> str:
        return f"P-{self.pk}"

    @property
    def number(self) -> str:
        return f"P-{self.pk:06d}"


class Refund(models.Model):
    """Money paid back for a payment, never more than it brought in. Its ledger posting is
    made when it is asked for (so the balance cannot be spent twice) and reversed if the
    gateway refuses."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    status = models.CharField(_("status"), max_length=12, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    currency = models.CharField(max_length=3)
    amount = AmountField(_("amount"))
    reason = models.CharField(_("reason"), max_length=500)
    idempotency_key = models.CharField(max_length=160, unique=True)
    gateway_refund_id = models.CharField(max_length=120, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    ledger_transaction = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"refund {self.pk} of payment {self.payment_id}"


class AutopayAttempt(models.Model):
    """One auto-pay of one thing (an invoice): the unique key makes a second charge for the
    same invoice impossible, however often billing asks."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=160, unique=True)
    reference = models.CharField(max_length=120)
    currency = models.CharField(max_length=3)
    amount = AmountField()
    status = models.CharField(max_length=12, choices=AutopayStatus.choices, default=AutopayStatus.PENDING)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.idempotency_key


class NotificationLog(models.Model):
    """Every request a gateway (or anyone) sent to a notification URL, with its verdict."""

    account = models.ForeignKey(GatewayAccount, null=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(db_index=True)
    source_ip = models.CharField(max_length=64, blank=True)
    headers = models.JSONField(default=dict)
    body = models.TextField(blank=True)
    verdict = models.CharField(max_length=16, choices=NotificationVerdict.choices)
    detail = models.CharField(max_length=500, blank=True)
    event_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} {self.verdict}"


class GatewayEventRecord(models.Model):
    """A gateway event applied once: inserted first, an IntegrityError means already done."""

    account = models.ForeignKey(GatewayAccount, on_delete=models.PROTECT, related_name="+")
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=80)
    payment = models.ForeignKey(Payment, null=True, on_delete=models.PROTECT, related_name="events")
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "event_id"], name="gateway_event_once")]

    def __str__(self) -> str:
        return self.event_id


class StatementImport(models.Model):
    """One bank statement file imported by staff."""

    account = models.ForeignKey(GatewayAccount, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    imported_at = models.DateTimeField()
    actor_label = models.CharField(max_length=254, blank=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return self.filename


class StatementLine(models.Model):
    """One credit line of a bank statement. ``fingerprint`` (the bank's line id, or date +
    amount + reference + occurrence) is unique, so importing the same file twice adds nothing."""

    statement = models.ForeignKey(StatementImport, on_delete=models.PROTECT, related_name="lines")
    fingerprint = models.CharField(max_length=200)
    booked_on = models.DateField()
    currency = models.CharField(max_length=3)
    amount = AmountField()
    reference = models.CharField(max_length=300, blank=True)
    payer = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=StatementLineStatus.choices)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["booked_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"], condition=~Q(status="duplicate"), name="statement_line_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.reference}"
