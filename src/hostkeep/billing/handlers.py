"""Billing's outbox subscribers: an order is invoiced when placed; a plan change is charged
or credited by the prorated amount services recorded; an issued invoice is auto-paid when the
customer asked for it; money received pays open invoices from the balance."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from hostkeep.billing.actions import (
    PlannedLine,
    invoice_create,
    invoices_settle,
    promised_payment_repay_if_covered,
)
from hostkeep.billing.choices import OPEN_STATUSES, InvoiceKind, LineKind
from hostkeep.billing.models import BillingProfile, Invoice
from hostkeep.core import clock
from hostkeep.core.money import Money
from hostkeep.core.outbox import Handler
from hostkeep.payments.autopay import autopay_start
from hostkeep.services.models import Order, ServiceChange


def invoice_order(payload: dict[str, Any]) -> None:
    """The first payment of an order: one line per ordered unit, as priced at checkout."""
    order = (
        Order.objects.select_related("customer")
        .prefetch_related("lines__product", "lines__service")
        .get(pk=payload["order_id"])
    )
    lines = [
        PlannedLine(
            kind=LineKind.SERVICE_PERIOD,
            description=_("%(item)s, first period (order %(number)s)")
            % {"item": line.description, "number": order.number},
            amount=Money(line.first_amount, order.currency),
            tax_class_id=line.product.tax_class_id,
            service_id=line.service.pk if hasattr(line, "service") else None,
            period_start=line.service.current_period_start if hasattr(line, "service") else None,
            period_end=line.service.current_period_end if hasattr(line, "service") else None,
        )
        for line in order.lines.all()
        if line.first_amount > 0
    ]
    if lines:
        invoice_create(customer=order.customer, currency=order.currency, lines=lines, source_key=f"order:{order.pk}")


@transaction.atomic
def bill_service_change(payload: dict[str, Any]) -> None:
    """Charge an upgrade (an invoice) or credit a downgrade (a credit note to the balance)."""
    change = (
        ServiceChange.objects.select_for_update()
        .select_related("service__customer", "service__product")
        .get(pk=payload["change_id"])
    )
    if change.billed_at is not None or change.amount == 0:
        return
    service = change.service
    line = PlannedLine(
        kind=LineKind.PRORATION,
        description=_("Plan change of %(service)s for the rest of the period") % {"service": str(service)},
        amount=Money(abs(change.amount), change.currency),
        tax_class_id=service.product.tax_class_id,
        service_id=service.pk,
        period_start=change.occurred_at,
        period_end=service.current_period_end,
    )
    if change.amount > 0:
        invoice_create(
            customer=service.customer, currency=change.currency, lines=[line], source_key=f"service-change:{change.pk}"
        )
    else:
        negative = PlannedLine(**{**line.__dict__, "amount": Money(change.amount, change.currency)})
        invoice_create(
            customer=service.customer,
            currency=change.currency,
            lines=[negative],
            source_key=f"service-change:{change.pk}",
            kind=InvoiceKind.CREDIT_NOTE,
        )
    ServiceChange.objects.filter(pk=change.pk).update(billed_at=clock.now())


def autopay_issued_invoice(payload: dict[str, Any]) -> None:
    """An invoice still owed after the balance paid what it could: charge the customer's saved
    methods, once per invoice (the attempt's key is the invoice)."""
    invoice = Invoice.objects.filter(pk=payload["invoice_id"], kind=InvoiceKind.INVOICE).first()
    if invoice is None or invoice.status not in OPEN_STATUSES:
        return
    if not BillingProfile.objects.filter(customer_id=invoice.customer_id, autopay=True).exists():
        return
    due = invoice.total - invoice.amount_paid
    if due <= 0:
        return
    autopay_start(
        customer_id=invoice.customer_id,
        amount=Money(due, invoice.currency),
        reference=f"invoice:{invoice.pk}",
        idempotency_key=f"invoice:{invoice.pk}",
    )


@transaction.atomic
def settle_after_payment(payload: dict[str, Any]) -> None:
    """Money reached the balance (any gateway, a bank line, staff): end a promised payment it
    covers and pay open invoices, oldest first; paying in full also unsuspends."""
    promised_payment_repay_if_covered(customer_id=payload["customer_id"], currency=payload["currency"])
    invoices_settle(customer_id=payload["customer_id"], currency=payload["currency"])


HANDLERS: dict[str, list[Handler]] = {
    "order.placed": [invoice_order],
    "service.changed": [bill_service_change],
    "invoice.issued": [autopay_issued_invoice],
    "payment.received": [settle_after_payment],
}
