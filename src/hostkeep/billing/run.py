"""The billing run: for an instant, renew every due service, rate its usage, issue invoices,
post the ledger, pay from balances, then move dunning.

It works in chunks of customers, one transaction per chunk, set-based inside: the due
services of a chunk are first *claimed* with one ``INSERT ... SELECT ... ON CONFLICT DO
NOTHING RETURNING`` into a table unique per (service, period start); only claimed services
are billed. So a run started twice, two overlapping runs, or a run killed halfway and started
again bill each service period exactly once: a killed chunk's claims roll back with it.
Everything else in a chunk is a handful of queries and bulk writes, never a query per
service. On PostgreSQL the chunk is priced and written by the database itself
(``run_postgresql``: ``INSERT ... SELECT`` and ``UPDATE ... FROM`` over temporary tables);
the portable path below, used on SQLite, prices in Python and writes in bulk, and a test on
PostgreSQL checks that both bill exactly the same. Ranges of customers can be given to
several workers at once.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from hostkeep.accounts.models import Customer, CustomerLegalEntity, ProviderLegalEntity
from hostkeep.billing.actions import default_legal_entity, invoice_number, promised_payment_expire
from hostkeep.billing.choices import BillingMode, InvoiceKind, InvoiceStatus, LineKind, PromisedPaymentStatus
from hostkeep.billing.dunning import dunning_run
from hostkeep.billing.models import BillingProfile, BillingRun, Invoice, InvoiceLine, PromisedPayment
from hostkeep.billing.run_postgresql import renew_chunk_postgresql
from hostkeep.billing.tax import HUNDRED, rates_for_country, reverse_charge_applies
from hostkeep.catalog.choices import PricingModel
from hostkeep.catalog.models import MeteredPrice, Plan, Product
from hostkeep.core import clock
from hostkeep.core.actions import SYSTEM, sequence_reserve
from hostkeep.core.bulk import allocate_ids, insert_rows, update_rows
from hostkeep.core.models import OutboxEvent
from hostkeep.core.money import MINOR_UNITS, STORAGE_QUANTUM
from hostkeep.ledger.actions import apply_balance_deltas, ledger_account
from hostkeep.ledger.choices import AccountKind, TransactionKind
from hostkeep.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from hostkeep.services.bulk_actions import services_transition_bulk
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service, ServiceAddon
from hostkeep.services.periods import period_end
from hostkeep.usage.models import UsageRecord

Progress = Callable[[int], None]
METERED = (PricingModel.PAY_AS_YOU_GO, PricingModel.ALLOCATION_POOL, PricingModel.HYBRID)


def _round(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-MINOR_UNITS[currency]), rounding="ROUND_HALF_UP")


@dataclass
class _Line:
    kind: str
    service_id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal
    rate: Decimal
    tax: Decimal
    gross: Decimal
    period_start: dt.datetime | None
    period_end: dt.datetime | None


@dataclass
class _Draft:
    customer_id: int
    currency: str
    entity: ProviderLegalEntity
    mode: str
    due_date: dt.date
    customer_name: str
    tax_id: str
    country: str
    reverse_charge: bool
    lines: list[_Line] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal(0))

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return sum((line.gross for line in self.lines), Decimal(0))


@dataclass
class ChunkResult:
    renewed: int = 0
    invoices: int = 0
    paid_from_balance: int = 0


def _claim(lo: int, hi: int, at: dt.datetime, run_key: str) -> list[int]:
    """Claim the due services of customers [lo, hi); returns the ids this run now owns."""
    services = Service._meta.db_table
    sql = (
        "INSERT INTO billing_serviceperiodcharge (service_id, period_start, run_key) "  # noqa: S608 - fixed names
        f"SELECT id, current_period_end, %s FROM {services} "
        "WHERE customer_id >= %s AND customer_id < %s AND status = %s AND auto_renew "
        "AND NOT cancel_at_period_end AND period_unit <> 'once' AND current_period_end <= %s "
        "ON CONFLICT (service_id, period_start) DO NOTHING RETURNING service_id"
    )
    moment: Any = at if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_key, lo, hi, ServiceStatus.ACTIVE, moment])
        return sorted(row[0] for row in cursor.fetchall())


class _Context:
    """What a run needs about customers, plans and taxes, loaded once per chunk or per run."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at
        self.today = at.astimezone(clock.provider_zone()).date()
        self.default_entity = default_legal_entity()
        self.entities = {entity.pk: entity for entity in ProviderLegalEntity.objects.all()}
        self.metered: dict[tuple[int, str], list[MeteredPrice]] = defaultdict(list)
        for price in MeteredPrice.objects.all():
            self.metered[(price.plan_id, price.currency)].append(price)
        self._rates: dict[str, dict[int, Decimal]] = {}

    def rates(self, country: str) -> dict[int, Decimal]:
        if country not in self._rates:
            self._rates[country] = rates_for_country(country)
        return self._rates[country]


def _claimed_rows(service_ids: list[int]) -> list[tuple[Any, ...]]:
    """The fields pricing needs for each claimed service, in one query per 5,000 services."""
    services, plans, products = Service._meta.db_table, Plan._meta.db_table, Product._meta.db_table
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for first in range(0, len(service_ids), 5000):
            ids = service_ids[first : first + 5000]
            cursor.execute(
                "SELECT s.id, s.customer_id, s.plan_id, p.name, p.pricing_model, r.name, r.tax_class_id, "  # noqa: S608
                "s.currency, s.period_unit, s.period_count, s.anchor_day, s.current_period_start, "
                f"s.current_period_end, s.recurring_amount FROM {services} s JOIN {plans} p ON p.id = s.plan_id "
                f"JOIN {products} r ON r.id = s.product_id WHERE s.id IN ({', '.join(['%s'] * len(ids))})",
                ids,
            )
            rows.extend(cursor.fetchall())
    if connection.vendor != "postgresql":  # SQLite hands back text and floats
        rows = [
            (*row[:11], _aware(row[11]), _aware(row[12]), Decimal(str(row[13])).quantize(STORAGE_QUANTUM))
            for row in rows
        ]
    return rows


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


def _usage_of_current_periods(service_ids: list[int]) -> dict[tuple[int, str], Decimal]:
    """Usage per (service, resource) recorded within each service's current period: one
    grouped join per 5,000 services (usage's own table, read the way usage.selectors does)."""
    usage_table, services = UsageRecord._meta.db_table, Service._meta.db_table
    totals: dict[tuple[int, str], Decimal] = {}
    with connection.cursor() as cursor:
        for first in range(0, len(service_ids), 5000):
            ids = service_ids[first : first + 5000]
            cursor.execute(
                f"SELECT u.service_id, u.resource, SUM(u.quantity) FROM {usage_table} u "  # noqa: S608
                f"JOIN {services} s ON s.id = u.service_id WHERE u.service_id IN ({', '.join(['%s'] * len(ids))}) "
                "AND u.period_start >= s.current_period_start AND u.period_start < s.current_period_end "
                "GROUP BY u.service_id, u.resource",
                ids,
            )
            for service_id, resource, total in cursor.fetchall():
                totals[(service_id, resource)] = Decimal(str(total)).quantize(STORAGE_QUANTUM)
    return totals


def _drafts(context: _Context, service_ids: list[int]) -> tuple[dict[tuple[int, str], _Draft], list[tuple[Any, ...]]]:
    """Price the claimed services in memory; returns invoice drafts per customer and currency
    (an invoice has one currency) and the new period of each service."""
    rows = _claimed_rows(service_ids)
    addons: dict[int, Decimal] = {}
    customer_ids = sorted({row[1] for row in rows})
    customers: dict[int, tuple[str, str]] = {}
    profiles: dict[int, tuple[str, int | None]] = {}
    documents: dict[int, tuple[str, str, str]] = {}
    with connection.cursor() as cursor:
        for first in range(0, len(service_ids), 5000):
            ids = service_ids[first : first + 5000]
            cursor.execute(
                f"SELECT service_id, SUM(recurring_amount) FROM {ServiceAddon._meta.db_table} "  # noqa: S608
                f"WHERE cancelled_at IS NULL AND service_id IN ({', '.join(['%s'] * len(ids))}) GROUP BY service_id",
                ids,
            )
            addons.update((service_id, Decimal(total)) for service_id, total in cursor.fetchall())
        for first in range(0, len(customer_ids), 5000):
            ids = customer_ids[first : first + 5000]
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(f"SELECT id, name, country FROM {Customer._meta.db_table} WHERE id IN ({marks})", ids)  # noqa: S608
            customers.update((pk, (name, country)) for pk, name, country in cursor.fetchall())
            cursor.execute(
                f"SELECT customer_id, mode, legal_entity_id FROM {BillingProfile._meta.db_table} "  # noqa: S608
                f"WHERE customer_id IN ({marks})",
                ids,
            )
            profiles.update((pk, (mode, entity)) for pk, mode, entity in cursor.fetchall())
            cursor.execute(
                f"SELECT customer_id, name, tax_id, country FROM {CustomerLegalEntity._meta.db_table} "  # noqa: S608
                f"WHERE customer_id IN ({marks}) ORDER BY customer_id, is_default DESC, id",
                ids,
            )
            for customer_id, name, tax_id, country in cursor.fetchall():
                documents.setdefault(customer_id, (name, tax_id, country))
    metered = [row[0] for row in rows if row[4] in METERED]
    usage = _usage_of_current_periods(metered) if metered else {}

    drafts: dict[tuple[int, str], _Draft] = {}
    periods: list[tuple[Any, ...]] = []
    for (
        pk,
        customer_id,
        plan_id,
        plan_name,
        model,
        product_name,
        tax_class_id,
        currency,
        unit,
        count,
        anchor,
        start,
        end,
        recurring,
    ) in rows:
        draft = drafts.get((customer_id, currency))
        if draft is None:
            mode, entity_id = profiles.get(customer_id, (BillingMode.PREPAID, None))
            entity = context.entities.get(entity_id or 0, context.default_entity)
            name, country = customers[customer_id]
            doc_name, tax_id, doc_country = documents.get(customer_id, (name, "", country))
            country = doc_country or country
            terms = entity.payment_terms_days if mode == BillingMode.POSTPAID else 0
            draft = drafts[(customer_id, currency)] = _Draft(
                customer_id=customer_id,
                currency=currency,
                entity=entity,
                mode=mode,
                due_date=context.today + dt.timedelta(days=terms),
                customer_name=doc_name,
                tax_id=tax_id,
                country=country,
                reverse_charge=reverse_charge_applies(entity, customer_country=country, customer_tax_id=tax_id),
            )
        rate = Decimal(0)
        if draft.entity.vat_registered and not draft.reverse_charge and tax_class_id is not None:
            rate = context.rates(draft.country).get(tax_class_id, Decimal(0))
        new_end = period_end(end, unit=unit, count=count, anchor_day=anchor)
        periods.append((pk, end, new_end, new_end.astimezone(clock.provider_zone()).date(), recurring))
        # Prepaid customers pay the coming period now; postpaid ones the period that ended.
        fixed_start, fixed_end = (end, new_end) if draft.mode == BillingMode.PREPAID else (start, end)
        label = f"{product_name} — {plan_name}"

        addon_total = addons.get(pk) or Decimal(0)
        _add_line(
            draft, LineKind.SERVICE_PERIOD, pk, rate, label, recurring, Decimal(1), recurring, fixed_start, fixed_end
        )
        _add_line(
            draft,
            LineKind.ADDON,
            pk,
            rate,
            _("Add-ons: %(service)s") % {"service": label},
            addon_total,
            Decimal(1),
            addon_total,
            fixed_start,
            fixed_end,
        )
        if model in METERED:
            for price in context.metered.get((plan_id, currency), []):
                quantity = usage.get((pk, price.resource), Decimal(0))
                billable = max(quantity - price.included_quantity, Decimal(0))
                amount = (billable * price.unit_price).quantize(STORAGE_QUANTUM, rounding=ROUND_HALF_UP)
                _add_line(
                    draft,
                    LineKind.USAGE,
                    pk,
                    rate,
                    f"{label}: {price.resource} {billable.normalize():f} {price.unit}",
                    amount,
                    billable,
                    price.unit_price,
                    start,
                    end,
                )
    return drafts, periods


def _add_line(
    draft: _Draft,
    kind: str,
    service_id: int,
    rate: Decimal,
    description: str,
    amount: Decimal,
    quantity: Decimal,
    unit_price: Decimal,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> None:
    """Add a line with its VAT, rounded per line; nothing for a zero amount."""
    if amount <= 0:
        return
    currency = draft.currency
    if draft.entity.prices_include_tax:
        gross = _round(amount, currency)
        tax = _round(gross * rate / (HUNDRED + rate), currency)
        net = gross - tax
    else:
        net = _round(amount, currency)
        tax = _round(net * rate / HUNDRED, currency)
        gross = net + tax
    draft.lines.append(
        _Line(kind, service_id, description[:300], quantity, unit_price, net, rate, tax, gross, start, end)
    )


def _write(context: _Context, drafts: dict[tuple[int, str], _Draft], periods: list[tuple[Any, ...]]) -> ChunkResult:
    """Issue the drafts: numbers, invoices, lines, ledger, balances, periods, outbox."""
    result = ChunkResult(renewed=len(periods))
    at = context.at
    year = at.astimezone(clock.provider_zone()).year
    billable = [drafts[key] for key in sorted(drafts) if drafts[key].lines]
    currencies = {draft.currency for draft in billable}
    revenue = {c: ledger_account(kind=AccountKind.REVENUE, currency=c) for c in currencies}
    tax_payable = {c: ledger_account(kind=AccountKind.TAX_PAYABLE, currency=c) for c in currencies}

    # Customer accounts: create the missing ones in bulk, then lock the balances in pk order.
    customer_ids = sorted({d.customer_id for d in billable})
    wanted = {
        (kind, d.customer_id, d.currency)
        for d in billable
        for kind in (AccountKind.CUSTOMER_BALANCE, AccountKind.RECEIVABLE)
    }
    existing = {
        (kind, customer_id, currency): pk
        for pk, kind, customer_id, currency in LedgerAccount.objects.filter(
            customer_id__in=customer_ids, kind__in=[AccountKind.CUSTOMER_BALANCE, AccountKind.RECEIVABLE]
        ).values_list("pk", "kind", "customer_id", "currency")
    }
    missing = sorted(wanted - set(existing))
    if missing:
        ids = allocate_ids(LedgerAccount, len(missing))
        insert_rows(
            LedgerAccount,
            ["id", "kind", "customer_id", "currency", "cached_balance"],
            [
                (pk, kind, customer_id, currency, Decimal(0))
                for pk, (kind, customer_id, currency) in zip(ids, missing, strict=True)
            ],
        )
        existing.update(dict(zip(missing, ids, strict=True)))
    balances = {
        (customer_id, currency): -cached
        for customer_id, currency, cached in LedgerAccount.objects.select_for_update()
        .filter(pk__in=[existing[(AccountKind.CUSTOMER_BALANCE, d.customer_id, d.currency)] for d in billable])
        .order_by("pk")
        .values_list("customer_id", "currency", "cached_balance")
    }

    by_entity: dict[int, list[_Draft]] = defaultdict(list)
    for draft in billable:
        by_entity[draft.entity.pk].append(draft)
    numbers: dict[tuple[int, str], str] = {}
    for entity_id, entity_drafts in sorted(by_entity.items()):
        first = sequence_reserve(scope=f"invoice:{entity_id}:{year}", count=len(entity_drafts))
        for offset, draft in enumerate(entity_drafts):
            numbers[(draft.customer_id, draft.currency)] = invoice_number(
                entity_drafts[0].entity, InvoiceKind.INVOICE, year, first + offset
            )

    invoice_ids = allocate_ids(Invoice, len(billable))
    transaction_ids = allocate_ids(LedgerTransaction, len(billable))
    line_count = sum(len(d.lines) for d in billable)
    line_ids = iter(allocate_ids(InvoiceLine, line_count))
    invoice_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[Any, ...]] = []
    transaction_rows: list[tuple[Any, ...]] = []
    entry_rows: list[tuple[Any, ...]] = []
    outbox_rows: list[tuple[Any, ...]] = []
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    for draft, invoice_id, transaction_id in zip(billable, invoice_ids, transaction_ids, strict=True):
        total, net, tax = draft.total, draft.net, draft.tax
        key = (draft.customer_id, draft.currency)
        pay_now = draft.mode == BillingMode.PREPAID and balances.get(key, Decimal(0)) >= total
        if pay_now:
            balances[key] -= total
            result.paid_from_balance += 1
            debit = existing[(AccountKind.CUSTOMER_BALANCE, draft.customer_id, draft.currency)]
        else:
            debit = existing[(AccountKind.RECEIVABLE, draft.customer_id, draft.currency)]
        number = numbers[(draft.customer_id, draft.currency)]
        invoice_rows.append(
            (
                invoice_id,
                InvoiceKind.INVOICE,
                number,
                draft.entity.pk,
                draft.customer_id,
                InvoiceStatus.PAID if pay_now else InvoiceStatus.ISSUED,
                draft.currency,
                at,
                draft.due_date,
                at if pay_now else None,
                net,
                tax,
                total,
                total if pay_now else Decimal(0),
                draft.reverse_charge,
                draft.customer_name[:300],
                draft.tax_id[:64],
                draft.country[:2],
                transaction_id,
                None,
                at,
            )
        )
        line_rows.extend(
            (
                next(line_ids),
                invoice_id,
                line.kind,
                line.service_id,
                line.description,
                line.quantity,
                line.unit_price,
                line.net,
                line.rate,
                line.tax,
                line.gross,
                line.period_start,
                line.period_end,
            )
            for line in draft.lines
        )
        transaction_rows.append(
            (
                transaction_id,
                TransactionKind.CHARGE if pay_now else TransactionKind.INVOICE,
                draft.customer_id,
                _("Invoice %(number)s") % {"number": number},
                at,
                f"invoice-issue:{invoice_id}",
                "invoice",
                str(invoice_id),
                SYSTEM.label,
            )
        )
        for account_id, amount in (
            (debit, total),
            (revenue[draft.currency].pk, -net),
            (tax_payable[draft.currency].pk, -tax),
        ):
            if amount:
                entry_rows.append((transaction_id, account_id, draft.currency, amount))
                deltas[account_id] += amount
        payload = {"invoice_id": invoice_id, "customer_id": draft.customer_id}
        outbox_rows.append(("invoice.issued", json.dumps(payload), at, 0, ""))
        if pay_now:
            outbox_rows.append(("invoice.paid", json.dumps(payload), at, 0, ""))

    insert_rows(
        Invoice,
        [
            "id",
            "kind",
            "number",
            "legal_entity_id",
            "customer_id",
            "status",
            "currency",
            "issued_at",
            "due_date",
            "paid_at",
            "net_total",
            "tax_total",
            "total",
            "amount_paid",
            "reverse_charge",
            "customer_name",
            "customer_tax_id",
            "customer_country",
            "issue_transaction_id",
            "credit_note_for_id",
            "created_at",
        ],
        invoice_rows,
    )
    insert_rows(
        InvoiceLine,
        [
            "id",
            "invoice_id",
            "kind",
            "service_id",
            "description",
            "quantity",
            "unit_price",
            "net",
            "tax_rate",
            "tax",
            "gross",
            "period_start",
            "period_end",
        ],
        line_rows,
    )
    insert_rows(
        LedgerTransaction,
        [
            "id",
            "kind",
            "customer_id",
            "description",
            "occurred_at",
            "idempotency_key",
            "reference_type",
            "reference_id",
            "actor_label",
        ],
        transaction_rows,
    )
    insert_rows(LedgerEntry, ["transaction_id", "account_id", "currency", "amount"], entry_rows)
    apply_balance_deltas(dict(deltas))
    insert_rows(OutboxEvent, ["topic", "payload", "created_at", "attempts", "last_error"], outbox_rows)
    _advance_periods(periods)
    result.invoices = len(billable)
    return result


def _advance_periods(periods: list[tuple[Any, ...]]) -> None:
    """Move each renewed service into its new period (the new period is paid at its rate)."""
    update_rows(
        Service,
        columns={"start": "timestamptz", "finish": "timestamptz", "due": "date"},
        assignments={
            "current_period_start": "v.start",
            "current_period_end": "v.finish",
            "next_due_date": "v.due",
            "paid_rate": "t.recurring_amount",
        },
        rows=[(pk, start, end, due) for pk, start, end, due, _rate in periods],
    )


def renew_chunk(
    *,
    lo: int,
    hi: int,
    at: dt.datetime,
    run_key: str,
    context: _Context | None = None,
    portable: bool = False,
) -> ChunkResult:
    """Claim, price and bill the due services of customers [lo, hi) in one transaction.

    On PostgreSQL the database does the work (``run_postgresql``) unless ``portable`` asks
    for the path every database runs (the tests compare both)."""
    context = context or _Context(at)
    with transaction.atomic():
        if connection.vendor == "postgresql" and not portable:
            return renew_chunk_postgresql(lo=lo, hi=hi, at=at, run_key=run_key, context=context)
        claimed = _claim(lo, hi, at, run_key)
        if not claimed:
            return ChunkResult()
        drafts, periods = _drafts(context, claimed)
        return _write(context, drafts, periods)


def due_customer_range(at: dt.datetime) -> tuple[int, int] | None:
    bounds = (
        Service.objects.filter(
            status=ServiceStatus.ACTIVE, auto_renew=True, cancel_at_period_end=False, current_period_end__lte=at
        )
        .exclude(period_unit="once")
        .aggregate(low=Min("customer_id"), high=Max("customer_id"))
    )
    if bounds["low"] is None:
        return None
    return bounds["low"], bounds["high"] + 1


def billing_run(
    *,
    at: dt.datetime,
    customers: tuple[int, int] | None = None,
    chunk_customers: int = 2000,
    run_key: str | None = None,
    progress: Progress | None = None,
    with_dunning: bool = True,
) -> BillingRun:
    """Run billing for the instant ``at`` (optionally only customers [lo, hi))."""
    key = run_key or uuid.uuid4().hex
    run, _created = BillingRun.objects.get_or_create(key=key, defaults={"at": at, "started_at": clock.now()})
    for promise_id in PromisedPayment.objects.filter(status=PromisedPaymentStatus.OPEN, expires_at__lte=at).values_list(
        "pk", flat=True
    ):
        promised_payment_expire(promise_id=promise_id, at=at)
    ending = list(
        Service.objects.filter(
            cancel_at_period_end=True,
            current_period_end__lte=at,
            status__in=[ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED],
        ).values_list("pk", flat=True)
    )
    services_transition_bulk(
        service_ids=ending,
        to=ServiceStatus.TERMINATED,
        actor=SYSTEM,
        reason=_("Cancelled at the end of the paid period"),
    )
    span = customers or due_customer_range(at)
    totals = ChunkResult()
    if span is not None:
        context = _Context(at)
        lo, hi = span
        for start in range(lo, hi, chunk_customers):
            result = renew_chunk(lo=start, hi=min(start + chunk_customers, hi), at=at, run_key=key, context=context)
            totals.renewed += result.renewed
            totals.invoices += result.invoices
            totals.paid_from_balance += result.paid_from_balance
            if progress is not None:
                progress(min(start + chunk_customers, hi) - lo)
    counts = dunning_run(at=at) if with_dunning else {"suspended": 0, "terminated": 0}
    BillingRun.objects.filter(pk=run.pk).update(
        finished_at=clock.now(),
        services_renewed=totals.renewed,
        invoices_issued=totals.invoices,
        paid_from_balance=totals.paid_from_balance,
        suspended=counts["suspended"],
        terminated=counts["terminated"],
    )
    run.refresh_from_db()
    return run
