"""Writes of billing: invoices (issue, settle, void, credit notes), top-ups, manual staff
operations and promised payments. The billing run (run.py) and dunning (dunning.py) use these
for single rows and their own set-based paths for many."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hostkeep.accounts.models import Customer, CustomerLegalEntity, ProviderLegalEntity
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import get_scoped
from hostkeep.billing.choices import (
    OPEN_STATUSES,
    BillingMode,
    InvoiceKind,
    InvoiceStatus,
    LineKind,
    PromisedPaymentStatus,
)
from hostkeep.billing.models import BillingProfile, Invoice, InvoiceLine, PromisedPayment
from hostkeep.billing.tax import split_line, tax_context
from hostkeep.core import clock
from hostkeep.core.actions import audit_record, outbox_emit, sequence_next
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.core.money import MINOR_UNITS, Money
from hostkeep.ledger.actions import Posting, ledger_account, ledger_post, ledger_reverse
from hostkeep.ledger.choices import AccountKind, TransactionKind
from hostkeep.ledger.models import LedgerAccount
from hostkeep.ledger.selectors import customer_balance


def default_legal_entity() -> ProviderLegalEntity:
    entity = ProviderLegalEntity.objects.order_by("-is_default", "pk").first()
    if entity is None:
        raise Conflict(_("Set up the provider's legal entity before billing."), code="no_legal_entity")
    return entity


def billing_profile(customer: Customer | int) -> BillingProfile:
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    profile = BillingProfile.objects.select_related("legal_entity").filter(customer_id=customer_id).first()
    if profile is not None:
        return profile
    try:
        with transaction.atomic():
            return BillingProfile.objects.create(customer_id=customer_id, legal_entity=default_legal_entity())
    except IntegrityError:
        return BillingProfile.objects.select_related("legal_entity").get(customer_id=customer_id)


@dataclass(frozen=True)
class PlannedLine:
    """A line before tax: ``amount`` is the list figure (net or gross as the entity prices)."""

    kind: str
    description: str
    amount: Money
    tax_class_id: int | None = None
    service_id: int | None = None
    quantity: Decimal = Decimal(1)
    period_start: dt.datetime | None = None
    period_end: dt.datetime | None = None
    tax_rate: Decimal | None = None  # fixed rate (a credit note repeats the original's)


def invoice_number(entity: ProviderLegalEntity, kind: str, year: int, value: int) -> str:
    prefix = "CN" if kind == InvoiceKind.CREDIT_NOTE else "INV"
    return f"{entity.short_code.upper()}-{prefix}-{year}-{value:06d}"


def _post_issue(invoice: Invoice, *, at: dt.datetime) -> None:
    """Ledger for an issued invoice: what the customer owes (receivable), revenue and VAT; a
    credit note is the mirror image and credits the customer's balance instead."""
    currency = invoice.currency
    total = Money(invoice.total, currency)
    net = Money(invoice.net_total, currency)
    tax = Money(invoice.tax_total, currency)
    # A credit note's totals are already below zero, so the same signs credit the balance.
    credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
    debit_account = ledger_account(
        kind=AccountKind.CUSTOMER_BALANCE if credit_note else AccountKind.RECEIVABLE,
        currency=currency,
        customer=invoice.customer_id,
    )
    lines = [
        (debit_account, total),
        (ledger_account(kind=AccountKind.REVENUE, currency=currency), -net),
    ]
    if not tax.is_zero():
        lines.append((ledger_account(kind=AccountKind.TAX_PAYABLE, currency=currency), -tax))
    lines = [(account, amount) for account, amount in lines if not amount.is_zero()]
    if not lines:
        return
    posted = ledger_post(
        Posting(
            kind=TransactionKind.INVOICE,
            description=_("Invoice %(number)s") % {"number": invoice.number},
            idempotency_key=f"invoice-issue:{invoice.pk}",
            lines=lines,
            customer_id=invoice.customer_id,
            reference_type="invoice",
            reference_id=str(invoice.pk),
            occurred_at=at,
        )
    )
    Invoice.objects.filter(pk=invoice.pk).update(issue_transaction=posted)


@transaction.atomic
def invoice_create(
    *,
    customer: Customer,
    currency: str,
    lines: list[PlannedLine],
    source_key: str,
    at: dt.datetime | None = None,
    due_date: dt.date | None = None,
    kind: str = InvoiceKind.INVOICE,
    credit_note_for: Invoice | None = None,
    settle: bool = True,
) -> Invoice:
    """Create and issue an invoice once per ``source_key`` (an order, a plan change, a manual
    charge...), post it to the ledger, and pay it from the balance where the balance covers it."""
    at = at or clock.now()
    existing = Invoice.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing
    if not lines:
        raise ValidationFailed(_("An invoice needs at least one line."))
    profile = billing_profile(customer)
    entity = profile.legal_entity or default_legal_entity()
    context = tax_context(customer, entity)
    document_entity = CustomerLegalEntity.objects.filter(customer=customer).order_by("-is_default", "pk").first()
    invoice = Invoice(
        kind=kind,
        legal_entity=entity,
        customer=customer,
        currency=currency,
        status=InvoiceStatus.ISSUED,
        issued_at=at,
        created_at=at,
        source_key=source_key,
        credit_note_for=credit_note_for,
        due_date=due_date or (at.astimezone(clock.provider_zone()).date()),
        reverse_charge=context.reverse_charge,
        customer_name=document_entity.name if document_entity else customer.name,
        customer_tax_id=document_entity.tax_id if document_entity else "",
        customer_country=(document_entity.country if document_entity and document_entity.country else customer.country),
    )
    year = at.astimezone(clock.provider_zone()).year
    series = "credit_note" if kind == InvoiceKind.CREDIT_NOTE else "invoice"
    invoice.number = invoice_number(entity, kind, year, sequence_next(scope=f"{series}:{entity.pk}:{year}"))
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:
        return Invoice.objects.get(source_key=source_key)
    rows = []
    for planned in lines:
        rate = planned.tax_rate if planned.tax_rate is not None else context.rate_for(planned.tax_class_id)
        net, tax, gross = split_line(planned.amount, rate, prices_include_tax=context.prices_include_tax)
        unit_price = planned.amount.amount / planned.quantity if planned.quantity else planned.amount.amount
        rows.append(
            InvoiceLine(
                invoice=invoice,
                kind=planned.kind,
                service_id=planned.service_id,
                description=planned.description[:300],
                quantity=planned.quantity,
                unit_price=unit_price,
                net=net.amount,
                tax_rate=rate,
                tax=tax.amount,
                gross=gross.amount,
                period_start=planned.period_start,
                period_end=planned.period_end,
            )
        )
    InvoiceLine.objects.bulk_create(rows)
    invoice.net_total = sum((row.net for row in rows), Decimal(0))
    invoice.tax_total = sum((row.tax for row in rows), Decimal(0))
    invoice.total = sum((row.gross for row in rows), Decimal(0))
    if invoice.total < 0 and kind == InvoiceKind.INVOICE:
        raise ValidationFailed(_("An invoice cannot total less than zero; issue a credit note."))
    if kind == InvoiceKind.CREDIT_NOTE:
        invoice.status = InvoiceStatus.PAID
        invoice.amount_paid = abs(invoice.total)  # a credit note totals below zero; it is settled in full
        invoice.paid_at = at
    elif invoice.total == 0:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = at
    invoice.save(update_fields=["net_total", "tax_total", "total", "status", "amount_paid", "paid_at"])
    _post_issue(invoice, at=at)
    outbox_emit(topic="invoice.issued", payload={"invoice_id": invoice.pk, "customer_id": customer.pk})
    if invoice.status == InvoiceStatus.PAID and kind == InvoiceKind.INVOICE:
        outbox_emit(topic="invoice.paid", payload={"invoice_id": invoice.pk, "customer_id": customer.pk})
    if (settle and kind == InvoiceKind.INVOICE and billing_profile(customer).mode == BillingMode.PREPAID) or (
        settle and kind == InvoiceKind.CREDIT_NOTE
    ):
        invoices_settle(customer_id=customer.pk, currency=currency, at=at)
    invoice.refresh_from_db()
    return invoice


@transaction.atomic
def invoices_settle(*, customer_id: int, currency: str, at: dt.datetime | None = None) -> list[Invoice]:
    """Pay open invoices from the customer's balance, oldest first (partly where the balance
    runs out). Returns the invoices that became fully paid."""
    from hostkeep.billing.dunning import unsuspend_if_clear

    at = at or clock.now()
    balance_account = ledger_account(kind=AccountKind.CUSTOMER_BALANCE, currency=currency, customer=customer_id)
    receivable = ledger_account(kind=AccountKind.RECEIVABLE, currency=currency, customer=customer_id)
    locked = LedgerAccount.objects.select_for_update().get(pk=balance_account.pk)
    available = -locked.cached_balance
    paid: list[Invoice] = []
    open_invoices = (
        Invoice.objects.select_for_update()
        .filter(customer_id=customer_id, currency=currency, kind=InvoiceKind.INVOICE, status__in=OPEN_STATUSES)
        .order_by("issued_at", "pk")
    )
    for invoice in open_invoices:
        if available <= 0:
            break
        remaining = invoice.total - invoice.amount_paid
        pay = min(remaining, available)
        if pay <= 0:
            continue
        amount = Money(pay, currency)
        ledger_post(
            Posting(
                kind=TransactionKind.SETTLEMENT,
                description=_("Invoice %(number)s paid from balance") % {"number": invoice.number},
                idempotency_key=f"settle:{invoice.pk}:{invoice.amount_paid}",
                customer_id=customer_id,
                lines=[(balance_account, amount), (receivable, -amount)],
                reference_type="invoice",
                reference_id=str(invoice.pk),
                occurred_at=at,
            )
        )
        available -= pay
        invoice.amount_paid += pay
        if invoice.amount_paid >= invoice.total:
            invoice.status = InvoiceStatus.PAID
            invoice.paid_at = at
            paid.append(invoice)
            outbox_emit(topic="invoice.paid", payload={"invoice_id": invoice.pk, "customer_id": customer_id})
        else:
            invoice.status = InvoiceStatus.PARTIALLY_PAID
        invoice.save(update_fields=["amount_paid", "status", "paid_at"])
    if paid:
        unsuspend_if_clear(customer_id=customer_id, at=at)
    return paid


def _money(value: object, currency: str, field: str = "amount") -> Money:
    try:
        amount = Money(Decimal(str(value)), currency)
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationFailed(_("Enter an amount."), fields={field: [_("Not a number.")]}) from None
    places = MINOR_UNITS[currency]
    if amount.amount <= 0 or amount.amount != amount.rounded().amount or amount.amount.adjusted() > 9:
        raise ValidationFailed(
            _("Enter a positive amount with at most %(places)s decimals.") % {"places": places},
            fields={field: [_("Not a valid amount.")]},
        )
    return amount


@transaction.atomic
def balance_top_up(
    *,
    customer: Customer,
    amount: Money,
    idempotency_key: str,
    description: str,
    source: str = AccountKind.GATEWAY_CLEARING,
    actor_label: str = "",
    reference: tuple[str, str] = ("", ""),
) -> None:
    """Money arrived for the customer (a payment, a bank transfer, a staff credit): credit the
    balance once per key, end a promised payment it covers, and pay open invoices."""
    balance = ledger_account(kind=AccountKind.CUSTOMER_BALANCE, currency=amount.currency, customer=customer)
    ledger_post(
        Posting(
            kind=TransactionKind.TOP_UP if source == AccountKind.GATEWAY_CLEARING else TransactionKind.CREDIT,
            description=description,
            idempotency_key=idempotency_key,
            customer_id=customer.pk,
            lines=[(ledger_account(kind=source, currency=amount.currency), amount), (balance, -amount)],
            reference_type=reference[0],
            reference_id=reference[1],
            actor_label=actor_label,
        )
    )
    promised_payment_repay_if_covered(customer_id=customer.pk, currency=amount.currency)
    invoices_settle(customer_id=customer.pk, currency=amount.currency)


def _staff_customer(actor: Actor, customer_id: object) -> Customer:
    actor.require(StaffPermission.MANAGE_BILLING)
    return get_scoped(Customer.objects.all(), customer_id)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), fields={"reason": [_("Required.")]})
    return reason[:500]


def manual_credit(*, actor: Actor, customer_id: object, amount: object, reason: str, key: str) -> None:
    """Staff credit a customer's balance (goodwill, a payment taken outside Hostkeep)."""
    customer = _staff_customer(actor, customer_id)
    reason = _reason(reason)
    money = _money(amount, customer.currency)
    balance_top_up(
        customer=customer,
        amount=money,
        idempotency_key=f"manual-credit:{key}",
        description=_("Credit: %(reason)s") % {"reason": reason},
        source=AccountKind.ADJUSTMENTS,
        actor_label=actor.audit().label,
    )
    audit_record(
        actor=actor.audit(),
        action="billing.manual_credit",
        customer_id=customer.pk,
        detail={"amount": str(money.amount), "currency": money.currency, "reason": reason},
    )


def manual_charge(*, actor: Actor, customer_id: object, amount: object, reason: str, key: str) -> Invoice:
    """Staff charge a one-off amount: an invoice, paid from the balance where it covers it."""
    customer = _staff_customer(actor, customer_id)
    reason = _reason(reason)
    money = _money(amount, customer.currency)
    invoice = invoice_create(
        customer=customer,
        currency=money.currency,
        source_key=f"manual-charge:{key}",
        lines=[PlannedLine(kind=LineKind.ONE_OFF, description=reason, amount=money)],
    )
    audit_record(
        actor=actor.audit(),
        action="billing.manual_charge",
        customer_id=customer.pk,
        object_type="invoice",
        object_id=invoice.pk,
        detail={"amount": str(money.amount), "reason": reason},
    )
    return invoice


@transaction.atomic
def manual_refund(*, actor: Actor, customer_id: object, amount: object, reason: str, key: str) -> None:
    """Staff pay money back out of the customer's balance (never more than the balance)."""
    customer = _staff_customer(actor, customer_id)
    reason = _reason(reason)
    money = _money(amount, customer.currency)
    balance = ledger_account(kind=AccountKind.CUSTOMER_BALANCE, currency=money.currency, customer=customer)
    ledger_post(
        Posting(
            kind=TransactionKind.REFUND,
            description=_("Refund: %(reason)s") % {"reason": reason},
            idempotency_key=f"manual-refund:{key}",
            customer_id=customer.pk,
            actor_label=actor.audit().label,
            lines=[(balance, money), (ledger_account(kind=AccountKind.REFUNDS, currency=money.currency), -money)],
        )
    )
    audit_record(
        actor=actor.audit(),
        action="billing.manual_refund",
        customer_id=customer.pk,
        detail={"amount": str(money.amount), "reason": reason},
    )


@transaction.atomic
def invoice_void(*, actor: Actor, invoice_id: object, reason: str) -> Invoice:
    """Void an issued invoice nothing has been paid on: its ledger posting is reversed."""
    actor.require(StaffPermission.MANAGE_BILLING)
    reason = _reason(reason)
    invoice = get_scoped(Invoice.objects.select_for_update(), invoice_id)
    if invoice.status not in OPEN_STATUSES or invoice.amount_paid:
        raise Conflict(
            _("Only an unpaid open invoice can be voided; issue a credit note instead."), code="invalid_state"
        )
    if invoice.issue_transaction_id:
        ledger_reverse(
            transaction_id=invoice.issue_transaction_id,
            idempotency_key=f"invoice-void:{invoice.pk}",
            description=_("Invoice %(number)s voided") % {"number": invoice.number},
            actor_label=actor.audit().label,
        )
    invoice.status = InvoiceStatus.VOID
    invoice.save(update_fields=["status"])
    audit_record(
        actor=actor.audit(),
        action="invoice.void",
        customer_id=invoice.customer_id,
        object_type="invoice",
        object_id=invoice.pk,
        detail={"reason": reason},
    )
    return invoice


def credit_note_for_invoice(*, actor: Actor, invoice_id: object, reason: str) -> Invoice:
    """A credit note for a whole paid invoice; the amount goes back to the customer's balance."""
    actor.require(StaffPermission.MANAGE_BILLING)
    reason = _reason(reason)
    original = get_scoped(Invoice.objects.select_related("customer").prefetch_related("lines"), invoice_id)
    if original.kind != InvoiceKind.INVOICE or original.status != InvoiceStatus.PAID:
        raise Conflict(_("Only a paid invoice can be credited."), code="invalid_state")
    lines = [
        PlannedLine(
            kind=line.kind,
            description=line.description,
            service_id=line.service_id,
            amount=Money(-(line.gross if original.legal_entity.prices_include_tax else line.net), original.currency),
            tax_rate=line.tax_rate,
            quantity=line.quantity,
        )
        for line in original.lines.all()
    ]
    note = invoice_create(
        customer=original.customer,
        currency=original.currency,
        lines=lines,
        source_key=f"credit-note:{original.pk}",
        kind=InvoiceKind.CREDIT_NOTE,
        credit_note_for=original,
    )
    audit_record(
        actor=actor.audit(),
        action="invoice.credit_note",
        customer_id=original.customer_id,
        object_type="invoice",
        object_id=note.pk,
        detail={"for": original.number, "reason": reason},
    )
    return note


# Promised payment -------------------------------------------------------------------------


def promised_payment_terms() -> tuple[Decimal, int, int]:
    """(cap, days it lasts, days between two) from settings."""
    return (
        Decimal(str(getattr(settings, "PROMISED_PAYMENT_CAP", "500"))),
        int(getattr(settings, "PROMISED_PAYMENT_DAYS", 3)),
        int(getattr(settings, "PROMISED_PAYMENT_EVERY_DAYS", 30)),
    )


@transaction.atomic
def promised_payment_take(*, actor: Actor, amount: object) -> PromisedPayment:
    """The customer takes temporary credit: capped, for N days, at most once every M days,
    never with another one open (a database rule), and it pays open invoices at once."""
    customer = actor.require_customer(CustomerPermission.PAY)
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    money = _money(amount, customer.currency)
    cap, days, every = promised_payment_terms()
    if money.amount > cap:
        raise ValidationFailed(
            _("A promised payment can be at most %(cap)s.") % {"cap": Money(cap, money.currency)},
            fields={"amount": [_("Above the limit.")]},
        )
    now = clock.now()
    if PromisedPayment.objects.filter(customer=customer, status=PromisedPaymentStatus.OPEN).exists():
        raise Conflict(_("A promised payment is already open."), code="promised_payment_open")
    last = PromisedPayment.objects.filter(customer=customer).order_by("-taken_at").first()
    if last is not None and last.taken_at > now - dt.timedelta(days=every):
        raise Conflict(
            _("A promised payment can be taken once every %(days)s days.") % {"days": every},
            code="promised_payment_too_soon",
        )
    balance = ledger_account(kind=AccountKind.CUSTOMER_BALANCE, currency=money.currency, customer=customer)
    promised = ledger_account(kind=AccountKind.PROMISED_CREDIT, currency=money.currency, customer=customer)
    posted = ledger_post(
        Posting(
            kind=TransactionKind.PROMISED_PAYMENT,
            description=_("Promised payment"),
            idempotency_key=f"promise:{customer.pk}:{now.isoformat()}",
            customer_id=customer.pk,
            lines=[(promised, money), (balance, -money)],
            actor_label=actor.audit().label,
        )
    )
    try:
        with transaction.atomic():
            promise = PromisedPayment.objects.create(
                customer=customer,
                currency=money.currency,
                amount=money.amount,
                taken_at=now,
                expires_at=now + dt.timedelta(days=days),
                credit_transaction=posted,
            )
    except IntegrityError:
        raise Conflict(_("A promised payment is already open."), code="promised_payment_open") from None
    audit_record(
        actor=actor.audit(),
        action="billing.promised_payment",
        customer_id=customer.pk,
        object_type="promised_payment",
        object_id=promise.pk,
        detail={"amount": str(money.amount)},
    )
    outbox_emit(topic="billing.promised_payment_taken", payload={"promised_payment_id": promise.pk})
    invoices_settle(customer_id=customer.pk, currency=money.currency, at=now)
    return promise


def _end_promise(promise: PromisedPayment, *, status: str, at: dt.datetime) -> None:
    ledger_reverse(
        transaction_id=promise.credit_transaction_id,
        idempotency_key=f"promise-end:{promise.pk}",
        description=_("Promised payment ended"),
        allow_overdraft=True,
    )
    PromisedPayment.objects.filter(pk=promise.pk).update(status=status, ended_at=at)


@transaction.atomic
def promised_payment_repay_if_covered(*, customer_id: int, currency: str) -> bool:
    """After money arrives: end an open promise as repaid if the balance now covers it."""
    promise = (
        PromisedPayment.objects.select_for_update()
        .filter(customer_id=customer_id, currency=currency, status=PromisedPaymentStatus.OPEN)
        .first()
    )
    if promise is None or customer_balance(customer_id, currency).amount < promise.amount:
        return False
    _end_promise(promise, status=PromisedPaymentStatus.REPAID, at=clock.now())
    return True


@transaction.atomic
def promised_payment_expire(*, promise_id: int, at: dt.datetime) -> PromisedPayment:
    """An expired promise is taken back; what the balance cannot cover becomes a debt invoice
    due at once, which dunning then treats like any other debt."""
    promise = PromisedPayment.objects.select_for_update().select_related("customer").get(pk=promise_id)
    if promise.status != PromisedPaymentStatus.OPEN:
        return promise
    _end_promise(promise, status=PromisedPaymentStatus.EXPIRED, at=at)
    shortfall = -customer_balance(promise.customer_id, promise.currency).amount
    if shortfall > 0:
        money = Money(shortfall, promise.currency)
        balance = ledger_account(
            kind=AccountKind.CUSTOMER_BALANCE, currency=money.currency, customer=promise.customer_id
        )
        receivable = ledger_account(kind=AccountKind.RECEIVABLE, currency=money.currency, customer=promise.customer_id)
        # Move the overdraft from the balance onto an invoice the customer owes.
        ledger_post(
            Posting(
                kind=TransactionKind.ADJUSTMENT,
                description=_("Unpaid promised payment"),
                idempotency_key=f"promise-debt:{promise.pk}",
                customer_id=promise.customer_id,
                lines=[(receivable, money), (balance, -money)],
            )
        )
        entity = billing_profile(promise.customer).legal_entity or default_legal_entity()
        year = at.astimezone(clock.provider_zone()).year
        debt = Invoice.objects.create(
            kind=InvoiceKind.INVOICE,
            legal_entity=entity,
            customer=promise.customer,
            currency=money.currency,
            status=InvoiceStatus.ISSUED,
            issued_at=at,
            created_at=at,
            source_key=f"promise-debt:{promise.pk}",
            due_date=at.astimezone(clock.provider_zone()).date(),
            net_total=money.amount,
            total=money.amount,
            customer_name=promise.customer.name,
            customer_country=promise.customer.country,
            number=invoice_number(
                entity, InvoiceKind.INVOICE, year, sequence_next(scope=f"invoice:{entity.pk}:{year}")
            ),
        )
        InvoiceLine.objects.create(
            invoice=debt,
            kind=LineKind.DEBT,
            description=_("Unpaid promised payment"),
            unit_price=money.amount,
            net=money.amount,
            gross=money.amount,
        )
    outbox_emit(topic="billing.promised_payment_expired", payload={"promised_payment_id": promise.pk})
    promise.refresh_from_db()
    return promise
