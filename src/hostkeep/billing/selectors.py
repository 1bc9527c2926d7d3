"""Reads of billing for the portal, the staff area and the API: invoices, the balance with its
history and the open promised payment, a customer's ledger, and accounts receivable by age.
Customer reads are scoped to the caller's account first; staff reads check the permission first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from hostkeep.accounts.models import Customer
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import customer_scope, get_scoped
from hostkeep.billing.actions import promised_payment_terms
from hostkeep.billing.choices import OPEN_STATUSES, InvoiceKind, InvoiceStatus, PromisedPaymentStatus
from hostkeep.billing.models import BillingRun, Invoice, PromisedPayment
from hostkeep.core import clock
from hostkeep.core.money import STORAGE_QUANTUM, Money
from hostkeep.ledger import selectors as ledger_selectors
from hostkeep.ledger.models import LedgerEntry, LedgerTransaction

AMOUNT = DecimalField(max_digits=19, decimal_places=4)


@dataclass(frozen=True)
class BillingSummary:
    """What the customer's billing page and ``GET /billing/balance`` show."""

    customer: Customer
    balance: Money
    promised_payment: PromisedPayment | None
    promised_payment_cap: Money
    promised_payment_days: int


def _open_promised_payment(customer: Customer) -> PromisedPayment | None:
    return PromisedPayment.objects.filter(customer=customer, status=PromisedPaymentStatus.OPEN).first()


def billing_summary_for_customer(actor: Actor) -> BillingSummary:
    customer = actor.require_customer(CustomerPermission.VIEW_BILLING)
    cap, days, _every = promised_payment_terms()
    return BillingSummary(
        customer=customer,
        balance=ledger_selectors.customer_balance(customer, customer.currency),
        promised_payment=_open_promised_payment(customer),
        promised_payment_cap=Money(cap, customer.currency),
        promised_payment_days=days,
    )


def balance_history_for_customer(actor: Actor) -> QuerySet[LedgerEntry]:
    """Balance movements, newest first, with ``change`` credit-positive (money in > 0)."""
    return ledger_selectors.history_for_customer(actor).annotate(
        change=Value(Decimal(0), output_field=AMOUNT) - F("amount")
    )


def invoices_for_customer(actor: Actor) -> QuerySet[Invoice]:
    """The caller's issued invoices and credit notes, newest first (drafts are not shown)."""
    return (
        customer_scope(Invoice.objects.all(), actor, CustomerPermission.VIEW_BILLING)
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("legal_entity", "credit_note_for")
        .order_by("-issued_at", "-id")
    )


def invoice_for_customer(actor: Actor, invoice_id: object) -> Invoice:
    """One of the caller's invoices with its lines; someone else's id is not found."""
    return get_scoped(invoices_for_customer(actor).prefetch_related("lines"), invoice_id)


# --- staff ---------------------------------------------------------------------------------


def invoices_for_staff(
    actor: Actor, *, status: str = "", customer_id: int | None = None, search: str = ""
) -> QuerySet[Invoice]:
    """Every customer's invoices, newest first; ``search`` matches a number or customer name."""
    actor.require(StaffPermission.VIEW_BILLING)
    queryset = (
        Invoice.objects.exclude(status=InvoiceStatus.DRAFT)
        .select_related("customer", "legal_entity", "credit_note_for")
        .order_by("-issued_at", "-id")
    )
    if status:
        queryset = queryset.filter(status=status)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if search:
        queryset = queryset.filter(Q(number__icontains=search) | Q(customer__name__icontains=search))
    return queryset


def invoice_for_staff(actor: Actor, invoice_id: object) -> Invoice:
    return get_scoped(invoices_for_staff(actor).prefetch_related("lines", "credit_notes"), invoice_id)


@dataclass(frozen=True)
class CustomerBilling:
    customer: Customer
    balance: Money
    promised_payment: PromisedPayment | None


def customer_billing_for_staff(actor: Actor, customer_id: object) -> CustomerBilling:
    actor.require(StaffPermission.VIEW_BILLING)
    customer = get_scoped(Customer.objects.all(), customer_id)
    return CustomerBilling(
        customer=customer,
        balance=ledger_selectors.customer_balance(customer, customer.currency),
        promised_payment=_open_promised_payment(customer),
    )


def ledger_for_staff(actor: Actor, customer_id: int) -> QuerySet[LedgerTransaction]:
    """A customer's ledger transactions with their entries and accounts, newest first."""
    return ledger_selectors.transactions_for_staff(actor, customer_id=customer_id)


def billing_runs_for_staff(actor: Actor) -> QuerySet[BillingRun]:
    actor.require(StaffPermission.VIEW_BILLING)
    return BillingRun.objects.order_by("-started_at", "-id")


# --- accounts receivable by age --------------------------------------------------------------

BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "over_90")


@dataclass
class ReceivableRow:
    """What one customer owes in one currency, split by days past due."""

    customer_id: int
    customer_name: str
    currency: str
    not_due: Decimal = Decimal(0)
    days_1_30: Decimal = Decimal(0)
    days_31_60: Decimal = Decimal(0)
    days_61_90: Decimal = Decimal(0)
    over_90: Decimal = Decimal(0)
    total: Decimal = Decimal(0)


@dataclass
class ReceivablesReport:
    at: dt.date
    rows: list[ReceivableRow] = field(default_factory=list)
    totals: list[ReceivableRow] = field(default_factory=list)  # one per currency, customer_id 0


def _bucket_filters(today: dt.date) -> dict[str, Q]:
    def days(n: int) -> dt.date:
        return today - dt.timedelta(days=n)

    return {
        "not_due": Q(due_date__isnull=True) | Q(due_date__gte=today),
        "days_1_30": Q(due_date__lt=today, due_date__gte=days(30)),
        "days_31_60": Q(due_date__lt=days(30), due_date__gte=days(60)),
        "days_61_90": Q(due_date__lt=days(60), due_date__gte=days(90)),
        "over_90": Q(due_date__lt=days(90)),
    }


def _exact(value: object) -> Decimal:
    # SQLite sums decimals as floats; the ledger's precision is four places.
    return Decimal(str(value or 0)).quantize(STORAGE_QUANTUM)


def receivables_by_age(actor: Actor, *, at: dt.date | None = None) -> ReceivablesReport:
    """Open invoices' unpaid amounts per customer and currency, in buckets of days past the
    due date, with totals per currency: one grouped query, however many invoices."""
    actor.require(StaffPermission.VIEW_BILLING)
    today = at or clock.today()
    outstanding = F("total") - F("amount_paid")
    sums = {
        name: Coalesce(Sum(outstanding, filter=condition, output_field=AMOUNT), Value(Decimal(0)), output_field=AMOUNT)
        for name, condition in _bucket_filters(today).items()
    }
    grouped = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, status__in=OPEN_STATUSES)
        .values("customer_id", "customer__name", "currency")
        .annotate(**sums)
        .order_by("currency", "customer__name", "customer_id")
    )
    report = ReceivablesReport(at=today)
    totals: dict[str, ReceivableRow] = {}
    for group in grouped:
        sums_of: dict[str, object] = dict(group)
        row = ReceivableRow(group["customer_id"], group["customer__name"], group["currency"])
        total = totals.setdefault(row.currency, ReceivableRow(0, "", row.currency))
        for name in BUCKETS:
            amount = _exact(sums_of[name])
            setattr(row, name, amount)
            setattr(total, name, getattr(total, name) + amount)
            row.total += amount
            total.total += amount
        if row.total:
            report.rows.append(row)
    report.totals = [totals[currency] for currency in sorted(totals) if totals[currency].total]
    return report
