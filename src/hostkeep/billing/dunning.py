"""Collecting debts: reminders before renewal, overdue invoices, suspension after the
product's grace days, termination after its termination days, and unsuspension once the
customer has paid in full. Each step is recorded once (a unique key) and announced through
the outbox for notifications."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from hostkeep.billing.choices import OPEN_STATUSES, DunningStepKind, InvoiceKind, InvoiceStatus
from hostkeep.billing.models import DunningStep, Invoice, InvoiceLine
from hostkeep.core import clock
from hostkeep.core.actions import SYSTEM, outbox_emit
from hostkeep.services.bulk_actions import services_transition_bulk
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service


def _record(
    kind: str, key: str, *, at: dt.datetime, invoice_id: int | None = None, service_id: int | None = None
) -> bool:
    """Record a dunning step once; False if it was already recorded."""
    try:
        with transaction.atomic():
            DunningStep.objects.create(kind=kind, key=key, occurred_at=at, invoice_id=invoice_id, service_id=service_id)
    except IntegrityError:
        return False
    outbox_emit(
        topic=f"billing.dunning.{kind}", payload={"invoice_id": invoice_id, "service_id": service_id, "key": key}
    )
    return True


def _services_of_overdue(invoices: list[Invoice]) -> dict[int, list[int]]:
    """invoice -> services it bills; an invoice billing no service (a promised-payment debt)
    concerns every live service of the customer."""
    by_invoice: dict[int, list[int]] = defaultdict(list)
    for invoice_id, service_id in (
        InvoiceLine.objects.filter(invoice_id__in=[i.pk for i in invoices], service_id__isnull=False)
        .values_list("invoice_id", "service_id")
        .distinct()
    ):
        by_invoice[invoice_id].append(service_id)
    customers_needing_all = {i.customer_id for i in invoices if i.pk not in by_invoice}
    if customers_needing_all:
        live = Service.objects.filter(
            customer_id__in=customers_needing_all, status__in=[ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED]
        )
        by_customer: dict[int, list[int]] = defaultdict(list)
        for service_id, customer_id in live.values_list("pk", "customer_id"):
            by_customer[customer_id].append(service_id)
        for invoice in invoices:
            if invoice.pk not in by_invoice:
                by_invoice[invoice.pk] = by_customer.get(invoice.customer_id, [])
    return by_invoice


def dunning_run(*, at: dt.datetime) -> dict[str, int]:
    """One pass of dunning for the instant ``at``; safe to run twice."""
    today = at.astimezone(clock.provider_zone()).date()
    counts = {"overdue": 0, "suspended": 0, "terminated": 0, "reminders": 0}
    with transaction.atomic():
        newly_overdue = list(
            Invoice.objects.filter(
                kind=InvoiceKind.INVOICE,
                status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID],
                due_date__lt=today,
            ).values_list("pk", flat=True)
        )
        Invoice.objects.filter(pk__in=newly_overdue).update(status=InvoiceStatus.OVERDUE)
        for invoice_id in newly_overdue:
            if _record(DunningStepKind.OVERDUE, f"overdue:{invoice_id}", at=at, invoice_id=invoice_id):
                counts["overdue"] += 1

    overdue = list(Invoice.objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.OVERDUE))
    services_by_invoice = _services_of_overdue(overdue)
    service_rows = {
        row[0]: row
        for row in Service.objects.filter(
            pk__in={pk for ids in services_by_invoice.values() for pk in ids}
        ).values_list("pk", "status", "product__grace_days", "product__termination_days")
    }
    to_suspend: dict[int, int] = {}
    to_terminate: dict[int, int] = {}
    for invoice in overdue:
        late_days = (today - (invoice.due_date or today)).days
        for service_id in services_by_invoice.get(invoice.pk, []):
            _pk, status, grace, termination = service_rows[service_id]
            if status == ServiceStatus.SUSPENDED and late_days >= termination:
                to_terminate[service_id] = invoice.pk
            elif status == ServiceStatus.ACTIVE and late_days >= grace:
                to_suspend[service_id] = invoice.pk
    with transaction.atomic():
        moved = services_transition_bulk(
            service_ids=sorted(to_suspend),
            to=ServiceStatus.SUSPENDED,
            actor=SYSTEM,
            reason=_("Unpaid invoice past the grace period"),
        )
        for service_id in moved:
            _record(
                DunningStepKind.SUSPENDED,
                f"suspended:{service_id}:{to_suspend[service_id]}",
                at=at,
                invoice_id=to_suspend[service_id],
                service_id=service_id,
            )
        counts["suspended"] = len(moved)
    with transaction.atomic():
        moved = services_transition_bulk(
            service_ids=sorted(to_terminate),
            to=ServiceStatus.TERMINATED,
            actor=SYSTEM,
            reason=_("Unpaid invoice past the termination period"),
        )
        for service_id in moved:
            _record(
                DunningStepKind.TERMINATED,
                f"terminated:{service_id}",
                at=at,
                invoice_id=to_terminate[service_id],
                service_id=service_id,
            )
        counts["terminated"] = len(moved)
    counts["reminders"] = _reminders(at=at, today=today)
    return counts


def _reminders(*, at: dt.datetime, today: dt.date, days_before: int = 3) -> int:
    """Tell customers whose balance will not cover a renewal due within ``days_before`` days."""
    from hostkeep.ledger.selectors import customer_balance

    due_soon = list(
        Service.objects.filter(
            status=ServiceStatus.ACTIVE,
            auto_renew=True,
            cancel_at_period_end=False,
            next_due_date__gt=today,
            next_due_date__lte=today + dt.timedelta(days=days_before),
        )
        .exclude(period_unit="once")
        .values_list("pk", "customer_id", "currency", "recurring_amount", "next_due_date")
    )
    needed: dict[tuple[int, str], list[tuple[int, Decimal, dt.date]]] = defaultdict(list)
    for pk, customer_id, currency, amount, due in due_soon:
        needed[(customer_id, currency)].append((pk, amount, due))
    sent = 0
    for (customer_id, currency), items in needed.items():
        total = sum((amount for _pk, amount, _due in items), Decimal(0))
        if customer_balance(customer_id, currency).amount >= total:
            continue
        for pk, _amount, due in items:
            with transaction.atomic():
                if _record(DunningStepKind.REMINDER, f"reminder:{pk}:{due.isoformat()}", at=at, service_id=pk):
                    sent += 1
    return sent


def unsuspend_if_clear(*, customer_id: int, at: dt.datetime) -> list[int]:
    """After a payment: services suspended for debt come back once the customer owes nothing
    overdue; suspensions for other reasons (abuse, staff) stay."""
    if (
        Invoice.objects.filter(customer_id=customer_id, kind=InvoiceKind.INVOICE, status__in=OPEN_STATUSES)
        .filter(Q(status=InvoiceStatus.OVERDUE) | Q(due_date__lt=at.astimezone(clock.provider_zone()).date()))
        .exists()
    ):
        return []
    open_steps = DunningStep.objects.filter(
        kind=DunningStepKind.SUSPENDED,
        resolved_at__isnull=True,
        service__customer_id=customer_id,
        service__status=ServiceStatus.SUSPENDED,
    )
    service_ids = sorted(set(open_steps.values_list("service_id", flat=True)))
    moved = services_transition_bulk(
        service_ids=service_ids, to=ServiceStatus.ACTIVE, actor=SYSTEM, reason=_("Paid in full")
    )
    DunningStep.objects.filter(
        kind=DunningStepKind.SUSPENDED, resolved_at__isnull=True, service__customer_id=customer_id
    ).update(resolved_at=at)
    for service_id in moved:
        _record(DunningStepKind.UNSUSPENDED, f"unsuspended:{service_id}:{at.isoformat()}", at=at, service_id=service_id)
    return moved
