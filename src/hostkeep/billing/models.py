"""Invoices and their lines, the claim that makes each service period billed once, billing
profiles, promised payments, dunning steps and billing runs."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.models import Customer, ProviderLegalEntity
from hostkeep.billing.choices import (
    BillingMode,
    DunningStepKind,
    InvoiceKind,
    InvoiceStatus,
    LineKind,
    PromisedPaymentStatus,
)
from hostkeep.core.fields import AmountField
from hostkeep.ledger.models import LedgerTransaction
from hostkeep.services.models import Service


class BillingProfile(models.Model):
    """How a customer is billed: prepaid or postpaid, auto-pay, and which provider entity serves it."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="billing_profile")
    mode = models.CharField(_("billing"), max_length=10, choices=BillingMode.choices, default=BillingMode.PREPAID)
    autopay = models.BooleanField(_("auto-pay with a saved method"), default=False)
    legal_entity = models.ForeignKey(
        ProviderLegalEntity, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")

    def __str__(self) -> str:
        return f"{self.customer} ({self.mode})"


class Invoice(models.Model):
    """An invoice or credit note. Its number is gapless per provider entity and year and is
    given when it is issued; its total always equals what the ledger posted for it."""

    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    number = models.CharField(_("number"), max_length=40, null=True, blank=True)
    # Indexed by the unique (legal entity, number) and by (customer, status), not on their own.
    legal_entity = models.ForeignKey(
        ProviderLegalEntity, on_delete=models.PROTECT, related_name="invoices", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices", db_index=False)
    status = models.CharField(_("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    currency = models.CharField(_("currency"), max_length=3)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    due_date = models.DateField(_("due"), null=True, blank=True)  # indexed with the status
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    net_total = AmountField(_("net"), default=0)
    tax_total = AmountField(_("VAT"), default=0)
    total = AmountField(_("total"), default=0)
    amount_paid = AmountField(_("paid"), default=0)
    reverse_charge = models.BooleanField(_("reverse charge"), default=False)
    customer_name = models.CharField(max_length=300, blank=True)
    customer_tax_id = models.CharField(max_length=64, blank=True)
    customer_country = models.CharField(max_length=2, blank=True)
    credit_note_for = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes", db_index=False
    )
    issue_transaction = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_key = models.CharField(max_length=120, null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        # Every index costs each of the billing run's inserts: columns that are mostly empty
        # (the billing run's invoices have no source key and credit nothing) are indexed only
        # where they are set, which is all their lookups need.
        indexes = [
            models.Index(fields=["customer", "status"]),
            models.Index(fields=["status", "due_date"]),
            models.Index(
                fields=["credit_note_for"], condition=Q(credit_note_for__isnull=False), name="invoice_credit_note_for"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"], condition=Q(source_key__isnull=False), name="invoice_source_key_once"
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "number"],
                condition=Q(number__isnull=False),
                name="invoice_number_unique_per_entity",
            ),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="invoice_paid_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number or f"draft #{self.pk}"


class InvoiceLine(models.Model):
    """A line, with its net, VAT rate and VAT each rounded half-up to the currency's minor unit
    (the invoice totals are sums of these rounded figures)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=19, decimal_places=4, default=1)
    unit_price = AmountField()
    net = AmountField()
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    tax = AmountField(default=0)
    gross = AmountField()
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invoice_id", "id"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return self.description


class ServicePeriodCharge(models.Model):
    """The claim that a service's period is billed: unique per service and period start, and
    inserted before anything else in the billing run's transaction, so two runs, a retry or a
    restart after a crash bill each period exactly once."""

    # The unique (service, period start) is the service's index; nothing looks up by run.
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+", db_index=False)
    period_start = models.DateTimeField()
    run_key = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("service period charge")
        verbose_name_plural = _("service period charges")
        constraints = [models.UniqueConstraint(fields=["service", "period_start"], name="service_period_billed_once")]

    def __str__(self) -> str:
        return f"{self.service_id} @ {self.period_start:%Y-%m-%d}"


class PromisedPayment(models.Model):
    """Temporary credit a customer took; at most one open per customer (a database rule)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="promised_payments")
    currency = models.CharField(max_length=3)
    amount = AmountField()
    status = models.CharField(max_length=10, choices=PromisedPaymentStatus.choices, default=PromisedPaymentStatus.OPEN)
    taken_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    credit_transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-taken_at"]
        verbose_name = _("promised payment")
        verbose_name_plural = _("promised payments")
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(status="open"), name="one_open_promised_payment"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} until {self.expires_at:%Y-%m-%d}"


class DunningStep(models.Model):
    """One step of collecting a debt, recorded once per invoice (or service) and kind; each is
    also an outbox event for notifications."""

    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=DunningStepKind.choices)
    occurred_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    key = models.CharField(max_length=160, unique=True)

    class Meta:
        verbose_name = _("dunning step")
        verbose_name_plural = _("dunning steps")

    def __str__(self) -> str:
        return self.key


class BillingRun(models.Model):
    """One run of billing for an instant, with its progress (for restarts and the staff view)."""

    key = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    services_renewed = models.PositiveIntegerField(default=0)
    invoices_issued = models.PositiveIntegerField(default=0)
    paid_from_balance = models.PositiveIntegerField(default=0)
    suspended = models.PositiveIntegerField(default=0)
    terminated = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")

    def __str__(self) -> str:
        return f"{self.key} @ {self.at:%Y-%m-%d %H:%M}"
