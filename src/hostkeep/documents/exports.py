"""CSV exports for accountants: invoices, payments and acts of a period.

Every text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, or a tab or carriage return) is prefixed with an apostrophe (OWASP's CSV injection
advice), so a customer name like ``=HYPERLINK(...)`` stays text. Amounts are written as
plain decimals from the server, never as formulas, and are not prefixed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.utils.translation import gettext as _

from hostkeep.accounts.permissions import Actor, StaffPermission
from hostkeep.billing.choices import InvoiceStatus
from hostkeep.billing.models import Invoice
from hostkeep.core import clock
from hostkeep.core.errors import ValidationFailed
from hostkeep.documents.choices import DocumentKind
from hostkeep.documents.models import Document
from hostkeep.ledger.choices import AccountKind, TransactionKind
from hostkeep.ledger.models import LedgerEntry

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORTS = ("invoices", "payments", "acts")


def neutralise(value: object) -> str | Decimal | int:
    """A cell as written: text that could start a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end < start:
        raise ValidationFailed(_("The period ends before it starts."), fields={"end": [_("Before the start.")]})
    zone = clock.provider_zone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    )


def _local(moment: dt.datetime | None) -> str:
    return moment.astimezone(clock.provider_zone()).date().isoformat() if moment else ""


def invoices_csv(since: dt.datetime, until: dt.datetime) -> Iterator[str]:
    invoices = (
        Invoice.objects.exclude(status=InvoiceStatus.DRAFT)
        .filter(issued_at__gte=since, issued_at__lt=until)
        .select_related("legal_entity")
        .order_by("legal_entity_id", "issued_at", "id")
    )
    header = [
        "number",
        "kind",
        "issued",
        "due",
        "status",
        "legal_entity",
        "customer_id",
        "customer",
        "customer_tax_id",
        "customer_country",
        "currency",
        "net",
        "vat",
        "total",
        "paid",
    ]
    rows = (
        [
            invoice.number,
            invoice.kind,
            _local(invoice.issued_at),
            invoice.due_date.isoformat() if invoice.due_date else "",
            invoice.status,
            invoice.legal_entity.short_code,
            invoice.customer_id,
            invoice.customer_name,
            invoice.customer_tax_id,
            invoice.customer_country,
            invoice.currency,
            invoice.net_total,
            invoice.tax_total,
            invoice.total,
            invoice.amount_paid,
        ]
        for invoice in invoices.iterator(chunk_size=2000)
    )
    return _csv(header, rows)


def payments_csv(since: dt.datetime, until: dt.datetime) -> Iterator[str]:
    """Money received from customers: top-ups and payments credited to their balance."""
    entries = (
        LedgerEntry.objects.filter(
            account__kind=AccountKind.CUSTOMER_BALANCE,
            transaction__kind__in=(TransactionKind.TOP_UP, TransactionKind.PAYMENT),
            transaction__occurred_at__gte=since,
            transaction__occurred_at__lt=until,
        )
        .select_related("transaction", "account__customer")
        .order_by("transaction__occurred_at", "id")
    )
    header = ["date", "transaction", "kind", "customer_id", "customer", "description", "currency", "amount"]
    rows = (
        [
            _local(entry.transaction.occurred_at),
            entry.transaction_id,
            entry.transaction.kind,
            entry.account.customer_id,
            entry.account.customer.name if entry.account.customer else "",
            entry.transaction.description,
            entry.currency,
            -entry.amount,
        ]
        for entry in entries.iterator(chunk_size=2000)
    )
    return _csv(header, rows)


def acts_csv(since: dt.datetime, until: dt.datetime) -> Iterator[str]:
    documents = (
        Document.objects.filter(kind=DocumentKind.ACT, issued_at__gte=since, issued_at__lt=until)
        .select_related("legal_entity", "customer", "replaces")
        .order_by("legal_entity_id", "number", "language")
    )
    header = [
        "number",
        "language",
        "issued",
        "period_start",
        "period_end",
        "legal_entity",
        "customer_id",
        "customer",
        "currency",
        "net",
        "vat",
        "total",
        "corrects",
        "sha256",
    ]
    rows = (
        [
            document.number,
            document.language,
            _local(document.issued_at),
            document.period_start,
            document.period_end,
            document.legal_entity.short_code,
            document.customer_id,
            document.snapshot.get("customer", {}).get("name", document.customer.name),
            document.currency,
            Decimal(document.snapshot.get("net_total", "0")),
            Decimal(document.snapshot.get("tax_total", "0")),
            document.total,
            document.replaces.number if document.replaces else "",
            document.checksum,
        ]
        for document in documents.iterator(chunk_size=500)
    )
    return _csv(header, rows)


def export_csv(*, actor: Actor, name: str, start: dt.date, end: dt.date) -> Iterator[str]:
    """The lines of one export for [start, end] (provider-local dates), streamed."""
    actor.require(StaffPermission.VIEW_BILLING)
    since, until = _bounds(start, end)
    if name == "invoices":
        return invoices_csv(since, until)
    if name == "payments":
        return payments_csv(since, until)
    if name == "acts":
        return acts_csv(since, until)
    raise ValidationFailed(_("Unknown export."))
