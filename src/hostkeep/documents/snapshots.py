"""The frozen data of a document: plain JSON values (amounts as strings, dates as ISO), read
once at issue. A PDF is drawn from this alone, which is what makes it reproducible."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from hostkeep.accounts.models import Customer, CustomerLegalEntity, ProviderLegalEntity
from hostkeep.billing.choices import InvoiceStatus
from hostkeep.billing.models import Invoice, InvoiceLine
from hostkeep.core import clock
from hostkeep.core.money import Money
from hostkeep.documents import storage
from hostkeep.ledger.choices import AccountKind
from hostkeep.ledger.models import LedgerEntry

Snapshot = dict[str, Any]

# What counts as rendered for an act: issued invoices and credit notes, never drafts or void ones.
ACTED_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID, InvoiceStatus.OVERDUE)


def _text(value: Decimal | int) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def provider_part(entity: ProviderLegalEntity) -> Snapshot:
    return {
        "id": entity.pk,
        "code": entity.short_code,
        "name": entity.name,
        "name_ru": entity.name_ru or entity.name,
        "registration_number": entity.registration_number,
        "tax_id": entity.tax_id,
        "country": entity.country,
        "address": entity.address,
        "address_ru": entity.address_ru or entity.address,
        "bank_details": entity.bank_details,
        "bank_details_ru": entity.bank_details_ru or entity.bank_details,
        "vat_registered": entity.vat_registered,
        "signer_name": entity.signer_name,
        "signer_position": entity.signer_position,
        "signer_name_ru": entity.signer_name_ru or entity.signer_name,
        "signer_position_ru": entity.signer_position_ru or entity.signer_position,
        "logo": storage.asset_store(entity.logo),
        "stamp": storage.asset_store(entity.stamp),
        "signature": storage.asset_store(entity.signature),
    }


def customer_part(
    customer: Customer, *, legal_entity: CustomerLegalEntity | None = None, name: str = "", tax_id: str = ""
) -> Snapshot:
    """The customer as documents name it: its default legal entity when it has one."""
    entity = legal_entity
    if entity is None:
        entity = CustomerLegalEntity.objects.filter(customer=customer).order_by("-is_default", "pk").first()
    return {
        "id": customer.pk,
        "name": name or (entity.name if entity else customer.name),
        "tax_id": tax_id or (entity.tax_id if entity else ""),
        "registration_number": entity.registration_number if entity else "",
        "address": entity.address if entity else "",
        "country": (entity.country if entity and entity.country else customer.country),
    }


def base(*, kind: str, number: str, language: str, at: dt.datetime, provider: Snapshot, customer: Snapshot) -> Snapshot:
    local = at.astimezone(clock.provider_zone())
    return {
        "kind": kind,
        "number": number,
        "language": language,
        "issued_at": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "issued_on": local.date().isoformat(),
        "provider": provider,
        "customer": customer,
    }


def _line_period(line: InvoiceLine) -> str:
    if line.period_start is None or line.period_end is None:
        return ""
    zone = clock.provider_zone()
    start = line.period_start.astimezone(zone).date()
    end = (line.period_end.astimezone(zone) - dt.timedelta(microseconds=1)).date()
    return f"{start.isoformat()}/{end.isoformat()}"


def invoice_part(invoice: Invoice) -> Snapshot:
    lines = [
        {
            "description": line.description,
            "period": _line_period(line),
            "quantity": str(Decimal(line.quantity).normalize()),
            "unit_price": _text(line.unit_price),
            "net": _text(line.net),
            "tax_rate": str(Decimal(line.tax_rate).quantize(Decimal("0.01"))),
            "tax": _text(line.tax),
            "gross": _text(line.gross),
        }
        for line in invoice.lines.all()
    ]
    return {
        "currency": invoice.currency,
        "lines": lines,
        "net_total": _text(invoice.net_total),
        "tax_total": _text(invoice.tax_total),
        "total": _text(invoice.total),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else "",
        "reverse_charge": invoice.reverse_charge,
        "credit_note_for": invoice.credit_note_for.number if invoice.credit_note_for else "",
        "tax_rates": sorted({line["tax_rate"] for line in lines}),
    }


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The provider-local month as an instant range [start, end)."""
    zone = clock.provider_zone()
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def act_part(invoices: list[Invoice], *, currency: str) -> Snapshot:
    """The lines of a month's invoices and credit notes (the latter negative) for one act."""
    lines = []
    net = tax = gross = Decimal(0)
    for invoice in invoices:
        for line in invoice.lines.all():
            lines.append(
                {
                    "description": line.description,
                    "invoice": invoice.number or "",
                    "period": _line_period(line),
                    "quantity": str(Decimal(line.quantity).normalize()),
                    "net": _text(line.net),
                    "tax_rate": str(Decimal(line.tax_rate).quantize(Decimal("0.01"))),
                    "tax": _text(line.tax),
                    "gross": _text(line.gross),
                }
            )
            net += line.net
            tax += line.tax
            gross += line.gross
    return {
        "currency": currency,
        "lines": lines,
        "net_total": _text(net),
        "tax_total": _text(tax),
        "total": _text(gross),
        "invoices": [invoice.number for invoice in invoices],
    }


def invoices_for_act(customer_id: int, entity_id: int, start: dt.datetime, end: dt.datetime) -> list[Invoice]:
    return list(
        Invoice.objects.filter(
            customer_id=customer_id,
            legal_entity_id=entity_id,
            status__in=ACTED_STATUSES,
            issued_at__gte=start,
            issued_at__lt=end,
        )
        .prefetch_related("lines")
        .order_by("issued_at", "id")
    )


def statement_part(customer: Customer, *, currency: str, start: dt.date, end: dt.date) -> Snapshot:
    """Mutual settlements for [start, end] (provider-local dates): what the customer owed at
    the start, each invoice (debit) and payment or credit (credit), and what it owes at the end.

    A customer's position is its receivable minus its balance held by the provider; a
    settlement from the balance moves both and so nets to nothing here.
    """
    zone = clock.provider_zone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    entries = LedgerEntry.objects.filter(
        account__customer=customer,
        account__currency=currency,
        account__kind__in=(AccountKind.RECEIVABLE, AccountKind.CUSTOMER_BALANCE),
    )
    opening = entries.filter(transaction__occurred_at__lt=since).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    moves = (
        entries.filter(transaction__occurred_at__gte=since, transaction__occurred_at__lt=until)
        .values("transaction_id", "transaction__occurred_at", "transaction__description")
        .annotate(total=Sum("amount"))
        .exclude(Q(total=0))
        .order_by("transaction__occurred_at", "transaction_id")
    )
    lines = []
    debit_total = credit_total = Decimal(0)
    for move in moves:
        amount = Money(move["total"], currency).rounded().amount
        if amount == 0:
            continue
        debit = amount if amount > 0 else Decimal(0)
        credit = -amount if amount < 0 else Decimal(0)
        debit_total += debit
        credit_total += credit
        lines.append(
            {
                "date": move["transaction__occurred_at"].astimezone(zone).date().isoformat(),
                "description": move["transaction__description"],
                "debit": _text(debit) if debit else "",
                "credit": _text(credit) if credit else "",
            }
        )
    opening = Money(opening, currency).rounded().amount
    closing = opening + debit_total - credit_total
    return {
        "currency": currency,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "opening": _text(opening),
        "closing": _text(closing),
        "debit_total": _text(debit_total),
        "credit_total": _text(credit_total),
        "lines": lines,
        "total": _text(closing),
    }
