"""Bank transfers: importing a bank statement (CSV) and matching its credit lines to the
payments customers started with a bank reference.

Each line is inserted first under a unique fingerprint (the bank's line id, or date + amount +
reference + its occurrence in the file), so importing the same statement twice credits
nothing twice. A line whose reference names a waiting payment and whose amount is what is
still owed completes it; less is a part payment (credited, the payment waits for the rest);
more, or a reference nobody is waiting for, waits for staff, who assign it to a customer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hostkeep.accounts.models import Customer
from hostkeep.accounts.permissions import Actor, StaffPermission
from hostkeep.accounts.selectors import get_scoped
from hostkeep.core import clock
from hostkeep.core.actions import audit_record
from hostkeep.core.errors import Conflict, ValidationFailed
from hostkeep.core.money import MINOR_UNITS, Money
from hostkeep.payments.actions import _credit, _reason
from hostkeep.payments.choices import PaymentKind, PaymentStatus, StatementLineStatus
from hostkeep.payments.interface import Capability, gateways
from hostkeep.payments.models import GatewayAccount, Payment, StatementImport, StatementLine

REFERENCE = re.compile(r"HK\s*(\d{8})", re.IGNORECASE)
COLUMNS = {"date", "amount"}


def _parse(content: str, default_currency: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    header = {name.strip().lower() for name in reader.fieldnames or []}
    if not header >= COLUMNS:
        raise ValidationFailed(
            _("The statement needs the columns date and amount (and reference, currency, payer, id)."),
            fields={"file": [_("Missing columns.")]},
        )
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {key.strip().lower(): (value or "").strip() for key, value in raw.items() if key}
        try:
            row["date"] = dt.date.fromisoformat(row["date"]).isoformat()
            amount = Decimal(row["amount"].replace(" ", "").replace(",", ""))
        except (ValueError, InvalidOperation):
            raise ValidationFailed(
                _("Line %(line)s: the date (YYYY-MM-DD) or amount cannot be read.") % {"line": number},
                fields={"file": [_("Unreadable line.")]},
            ) from None
        row["currency"] = (row.get("currency") or default_currency).upper()
        if row["currency"] not in MINOR_UNITS:
            raise ValidationFailed(_("Line %(line)s: unknown currency.") % {"line": number})
        if amount <= 0:
            continue  # money going out is not a payment
        row["amount"] = str(amount)
        row["reference"] = row.get("reference") or row.get("description") or ""
        rows.append(row)
    return rows


def statement_import(*, actor: Actor, account_id: object, filename: str, content: str) -> StatementImport:
    """Staff import a bank statement; returns it with counts per line status."""
    actor.require(StaffPermission.MANAGE_BILLING)
    account = get_scoped(GatewayAccount.objects.all(), account_id)
    if Capability.OFFLINE not in gateways.get(account.gateway).capabilities:
        raise ValidationFailed(_("Statements are imported into a bank transfer account."))
    rows = _parse(content, account.currencies[0] if account.currencies else "ZAR")
    seen: Counter[tuple[str, str, str]] = Counter()
    with transaction.atomic():
        statement = StatementImport.objects.create(
            account=account, filename=filename[:200], imported_at=clock.now(), actor_label=actor.audit().label
        )
        for row in rows:
            identity = (row["date"], row["amount"], row["reference"])
            seen[identity] += 1
            if row.get("id"):
                fingerprint = f"{account.pk}:id:{row['id']}"
            else:
                fingerprint = f"{account.pk}:{row['date']}:{row['amount']}:{row['reference']}:{seen[identity]}"
            _import_line(statement, row, fingerprint[:200])
        counts = Counter(statement.lines.values_list("status", flat=True))
        statement.counts = dict(counts)
        statement.save(update_fields=["counts"])
        audit_record(
            actor=actor.audit(),
            action="payments.statement_imported",
            object_type="statement",
            object_id=statement.pk,
            detail={"filename": filename, "counts": statement.counts},
        )
    return statement


def _import_line(statement: StatementImport, row: dict[str, str], fingerprint: str) -> StatementLine:
    line = StatementLine(
        statement=statement,
        fingerprint=fingerprint,
        booked_on=dt.date.fromisoformat(row["date"]),
        currency=row["currency"],
        amount=Decimal(row["amount"]),
        reference=row["reference"][:300],
        payer=row.get("payer", "")[:200],
        status=StatementLineStatus.UNMATCHED,
    )
    try:
        with transaction.atomic():
            line.save()
    except IntegrityError:
        line.pk = None
        line.status = StatementLineStatus.DUPLICATE
        line.duplicate_of = StatementLine.objects.exclude(status=StatementLineStatus.DUPLICATE).get(
            fingerprint=fingerprint
        )
        line.save()
        return line
    _match(line, statement.account)
    return line


def _match(line: StatementLine, account: GatewayAccount) -> None:
    found = REFERENCE.search(line.reference.replace("-", ""))
    if found is None:
        return
    payment = (
        Payment.objects.select_for_update()
        .filter(account=account, bank_reference=f"HK{found.group(1)}", currency=line.currency)
        .first()
    )
    if payment is None:
        return
    line.payment = payment
    remaining = payment.amount - payment.amount_received
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.PARTIALLY_PAID) or line.amount > remaining:
        line.status = StatementLineStatus.REVIEW
        line.save(update_fields=["payment", "status"])
        return
    now = clock.now()
    _credit(payment, Money(line.amount, line.currency), key=f"payment:{payment.pk}:line:{line.pk}")
    if payment.amount_received >= payment.amount:
        payment.status = PaymentStatus.SUCCEEDED
        payment.succeeded_at = now
        line.status = StatementLineStatus.MATCHED
    else:
        payment.status = PaymentStatus.PARTIALLY_PAID
        line.status = StatementLineStatus.PARTIAL
    payment.gateway_transaction_id = None
    payment.updated_at = now
    payment.save()
    line.save(update_fields=["payment", "status"])


def statement_line_assign(*, actor: Actor, line_id: object, customer_id: object, reason: str) -> StatementLine:
    """Staff decide whose money an unmatched (or more than asked) line is: it becomes a bank
    payment of that customer and credits the balance."""
    actor.require(StaffPermission.MANAGE_BILLING)
    reason = _reason(reason)
    with transaction.atomic():
        line = get_scoped(StatementLine.objects.select_for_update().select_related("statement__account"), line_id)
        if line.status not in (StatementLineStatus.UNMATCHED, StatementLineStatus.REVIEW):
            raise Conflict(_("This line is already settled."), code="line_settled")
        customer = get_scoped(Customer.objects.all(), customer_id)
        if customer.currency != line.currency:
            raise ValidationFailed(_("The customer is billed in another currency."))
        now = clock.now()
        payment = Payment.objects.create(
            customer=customer,
            account=line.statement.account,
            kind=PaymentKind.BANK_TRANSFER,
            status=PaymentStatus.SUCCEEDED,
            currency=line.currency,
            amount=line.amount,
            reference=f"statement-line:{line.pk}",
            description=line.reference[:200] or _("Bank transfer"),
            idempotency_key=f"statement-line:{line.pk}",
            staff_reason=reason,
            actor_label=actor.audit().label,
            created_at=now,
            updated_at=now,
            succeeded_at=now,
        )
        _credit(payment, Money(line.amount, line.currency), key=f"payment:{payment.pk}", actor=actor.audit())
        payment.save()
        line.payment = payment
        line.status = StatementLineStatus.ASSIGNED
        line.save(update_fields=["payment", "status"])
    return line
