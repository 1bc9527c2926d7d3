"""``hostkeep bench billing --services N [--database URL] [--naive 10000] [--workers 2]``.

Generates N customers with one service each (80 % monthly recurring, 20 % pay-as-you-go with
30 days of usage; half the customers have balance enough to pay), all due at one instant,
then times the billing run for that instant in a fresh process (so peak memory is the run's
own). Beside it, in the same invocation, the naive per-service ORM loop bills 10,000 more
services, so the ratio is on record. ``--workers W`` splits the customers into W ranges billed
by W processes at once (then one dunning pass). Run it on a scratch database: it refuses one that
already has customers, and empties it afterwards unless --keep.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection, connections, transaction

from hostkeep.accounts.models import Customer, ProviderLegalEntity
from hostkeep.catalog.choices import PeriodUnit, PricingModel
from hostkeep.catalog.models import MeteredPrice, Plan, PlanPrice, Product, ProductGroup, TaxClass, TaxRate
from hostkeep.core.bulk import allocate_ids, insert_rows
from hostkeep.ledger.actions import ledger_account
from hostkeep.ledger.choices import AccountKind
from hostkeep.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from hostkeep.services.models import Service
from hostkeep.usage.models import UsageRecord

AT = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)
# The naive loop's services fall due a week later: outside the billing run's 3-day reminder
# window, so the timed run does not also send them 10,000 reminders one by one.
NAIVE_AT = AT + dt.timedelta(days=7)
BATCH = 50_000
CHUNK = 20_000  # customers per transaction of the billing run


def _catalog() -> tuple[Plan, Plan]:
    ProviderLegalEntity.objects.create(
        name="Bench Hosting (Pty) Ltd", short_code="bench", country="ZA", is_default=True
    )
    vat = TaxClass.objects.create(code="bench-vat", name="VAT")
    TaxRate.objects.create(tax_class=vat, country="ZA", rate=Decimal(15))
    group = ProductGroup.objects.create(name="Bench", slug="bench")
    product = Product.objects.create(group=group, name="Game server", slug="bench-server", tax_class=vat)
    monthly = Plan.objects.create(product=product, code="monthly", name="Monthly", pricing_model=PricingModel.RECURRING)
    PlanPrice.objects.create(plan=monthly, currency="ZAR", period_unit=PeriodUnit.MONTH, amount=Decimal("149.9900"))
    payg = Plan.objects.create(product=product, code="payg", name="Hourly", pricing_model=PricingModel.PAY_AS_YOU_GO)
    MeteredPrice.objects.create(
        plan=payg, resource="server_hours", unit="hour", currency="ZAR", unit_price=Decimal("0.2500")
    )
    return monthly, payg


def _generate(count: int, *, due: dt.datetime, monthly: Plan, payg: Plan, prefix: str) -> dict[str, Any]:
    """Customers, services, funded balances and usage, written in bulk (COPY on PostgreSQL)."""
    start = due - dt.timedelta(days=30)
    clearing = ledger_account(kind=AccountKind.GATEWAY_CLEARING, currency="ZAR")
    for first in range(0, count, BATCH):
        size = min(BATCH, count - first)
        with transaction.atomic():
            customer_ids = allocate_ids(Customer, size)
            insert_rows(
                Customer,
                ["id", "name", "kind", "status", "country", "language", "currency", "notes", "created_at"],
                [
                    (pk, f"{prefix} customer {pk}", "person", "active", "ZA", "en", "ZAR", "", start)
                    for pk in customer_ids
                ],
            )
            service_ids = allocate_ids(Service, size)
            rows = []
            for index, (service_id, customer_id) in enumerate(zip(service_ids, customer_ids, strict=True)):
                metered = (first + index) % 5 == 0
                plan = payg if metered else monthly
                amount = Decimal(0) if metered else Decimal("149.9900")
                rows.append(
                    (
                        service_id,
                        customer_id,
                        plan.product_id,
                        plan.pk,
                        "",
                        "active",
                        start,
                        "ZAR",
                        "month",
                        1,
                        start.day,
                        start,
                        due,
                        due.date(),
                        amount,
                        amount,
                        "{}",
                        "{}",
                        True,
                        False,
                        start,
                    )
                )
            insert_rows(
                Service,
                [
                    "id",
                    "customer_id",
                    "product_id",
                    "plan_id",
                    "label",
                    "status",
                    "status_changed_at",
                    "currency",
                    "period_unit",
                    "period_count",
                    "anchor_day",
                    "current_period_start",
                    "current_period_end",
                    "next_due_date",
                    "recurring_amount",
                    "paid_rate",
                    "option_values",
                    "module_limits",
                    "auto_renew",
                    "cancel_at_period_end",
                    "created_at",
                ],
                rows,
            )
            funded = customer_ids[::2]
            account_ids = allocate_ids(LedgerAccount, len(funded))
            insert_rows(
                LedgerAccount,
                ["id", "kind", "customer_id", "currency", "cached_balance"],
                [
                    (account, AccountKind.CUSTOMER_BALANCE, customer, "ZAR", Decimal(-500))
                    for account, customer in zip(account_ids, funded, strict=True)
                ],
            )
            transaction_ids = allocate_ids(LedgerTransaction, len(funded))
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
                [
                    (txn, "top_up", customer, "bench top-up", start, f"{prefix}-topup-{customer}", "", "", "")
                    for txn, customer in zip(transaction_ids, funded, strict=True)
                ],
            )
            entries = []
            for txn, account in zip(transaction_ids, account_ids, strict=True):
                entries.append((txn, clearing.pk, "ZAR", Decimal(500)))
                entries.append((txn, account, "ZAR", Decimal(-500)))
            insert_rows(LedgerEntry, ["transaction_id", "account_id", "currency", "amount"], entries)
            LedgerAccount.objects.filter(pk=clearing.pk).update(
                cached_balance=clearing.cached_balance + Decimal(500) * len(funded)
            )
            clearing.refresh_from_db()
            usage = []
            for index, service_id in enumerate(service_ids):
                if (first + index) % 5:
                    continue
                for day in range(30):
                    moment = start + dt.timedelta(days=day)
                    usage.append(
                        (
                            service_id,
                            "server_hours",
                            Decimal(24),
                            moment,
                            moment + dt.timedelta(days=1),
                            f"{prefix}-{service_id}-{day}",
                            moment,
                        )
                    )
            insert_rows(
                UsageRecord,
                ["service_id", "resource", "quantity", "period_start", "period_end", "source_id", "received_at"],
                usage,
            )
    return {"generated": count}


def _in_child(work: Any) -> dict[str, Any]:
    """Run ``work`` in a forked process; returns its result and its own peak memory."""
    return _in_children([work])[0]


def _in_children(works: list[Any]) -> list[dict[str, Any]]:
    """Run each of ``works`` in a forked process of its own, all at once; returns their
    results, each with its process's peak memory."""
    connections.close_all()
    children = []
    for work in works:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read)
            try:
                result: dict[str, Any] = work()
                result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            except BaseException as error:
                result = {"error": repr(error)}
            with os.fdopen(write, "w") as pipe:
                pipe.write(json.dumps(result))
            connections.close_all()
            os._exit(0)
        os.close(write)
        children.append((pid, read))
    answers = []
    for pid, read in children:
        with os.fdopen(read) as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        answer: dict[str, Any] = json.loads(data or '{"error": "the child died"}')
        if "error" in answer:
            raise RuntimeError(answer["error"])
        answers.append(answer)
    return answers


def _timed_run(workers: int = 1) -> dict[str, Any]:
    """The billing run for ``AT``; with several workers, each takes an equal range of
    customers in a process of its own (as several machines would), all started together."""
    from hostkeep.billing.dunning import dunning_run
    from hostkeep.billing.run import billing_run, due_customer_range

    started = time.perf_counter()
    if workers <= 1:
        run = billing_run(at=AT, run_key="bench", chunk_customers=CHUNK)
        return {"seconds": time.perf_counter() - started, "renewed": run.services_renewed}
    span = due_customer_range(AT)
    if span is None:
        return {"seconds": 0.0, "renewed": 0}
    lo, hi = span
    step = -(-(hi - lo) // workers)
    ranges = [(first, min(first + step, hi)) for first in range(lo, hi, step)]

    def part(index: int, first: int, last: int) -> Any:
        def work() -> dict[str, Any]:
            run = billing_run(
                at=AT, customers=(first, last), run_key=f"bench-{index}", chunk_customers=CHUNK, with_dunning=False
            )
            return {"renewed": run.services_renewed}

        return work

    results = _in_children([part(index, first, last) for index, (first, last) in enumerate(ranges)])
    dunning_run(at=AT)  # once, after the workers, as a deployment would schedule it
    return {
        "seconds": time.perf_counter() - started,
        "renewed": sum(result["renewed"] for result in results),
        # The workers run at once, so their peaks add up.
        "workers_rss_mb": sum(result["peak_rss_mb"] for result in results),
    }


def _naive_run() -> dict[str, Any]:
    """The straightforward way: one service at a time through the ORM and the single-row actions."""
    from hostkeep.billing.actions import PlannedLine, invoice_create
    from hostkeep.billing.choices import LineKind
    from hostkeep.core.money import Money
    from hostkeep.services.periods import period_end

    started = time.perf_counter()
    renewed = 0
    for service in Service.objects.filter(current_period_end=NAIVE_AT).select_related("customer", "product", "plan"):
        with transaction.atomic():
            amount = service.recurring_amount
            if service.plan.pricing_model == PricingModel.PAY_AS_YOU_GO:
                hours = sum(r.quantity for r in UsageRecord.objects.filter(service=service))
                amount = hours * MeteredPrice.objects.get(plan=service.plan, currency="ZAR").unit_price
            if amount > 0:
                invoice_create(
                    customer=service.customer,
                    currency="ZAR",
                    source_key=f"naive:{service.pk}",
                    lines=[
                        PlannedLine(
                            kind=LineKind.SERVICE_PERIOD,
                            description=str(service),
                            amount=Money(amount, "ZAR"),
                            tax_class_id=service.product.tax_class_id,
                            service_id=service.pk,
                        )
                    ],
                    at=NAIVE_AT,
                )
            service.current_period_start = service.current_period_end
            service.current_period_end = period_end(
                service.current_period_end, unit="month", count=1, anchor_day=service.anchor_day
            )
            service.next_due_date = service.current_period_end.date()
            service.save()
            renewed += 1
    return {"seconds": time.perf_counter() - started, "renewed": renewed}


def run(*, stdout: Any, services: int, naive: int, database: str, keep: bool, workers: int = 1, **_: Any) -> str:
    call_command("migrate", interactive=False, verbosity=0)
    if Customer.objects.exists():
        raise SystemExit("bench billing needs an empty scratch database (customers found); see --database")
    vendor = connection.vendor
    monthly, payg = _catalog()
    started = time.perf_counter()
    _in_child(lambda: _generate(services, due=AT, monthly=monthly, payg=payg, prefix="bench"))
    if naive:
        _in_child(lambda: _generate(naive, due=NAIVE_AT, monthly=monthly, payg=payg, prefix="naive"))
    stdout.write(f"generated {services} + {naive} services in {time.perf_counter() - started:.1f}s")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    fast = _in_child(lambda: _timed_run(max(workers, 1)))
    peak = fast["peak_rss_mb"] + fast.get("workers_rss_mb", 0)
    line = (
        f"billing services={services} seconds={fast['seconds']:.1f} "
        f"services_per_s={services / fast['seconds']:.0f} peak_rss_mb={peak} database={vendor}"
        f" workers={max(workers, 1)}"
    )
    if fast["renewed"] != services:
        raise SystemExit(f"expected {services} renewals, got {fast['renewed']}")
    if naive:
        slow = _in_child(_naive_run)
        stdout.write(
            f"naive loop: services={slow['renewed']} seconds={slow['seconds']:.1f} "
            f"services_per_s={slow['renewed'] / slow['seconds']:.0f}"
        )
        line += (
            f" naive_services={slow['renewed']} naive_services_per_s={slow['renewed'] / slow['seconds']:.0f}"
            f" speedup={(services / fast['seconds']) / (slow['renewed'] / slow['seconds']):.1f}"
        )
    if not keep:
        _empty(vendor)
    return line


def _empty(vendor: str) -> None:
    connections.close_all()
    if vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
        return
    name = connection.settings_dict["NAME"]
    connections.close_all()
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{name}{suffix}")
        if path.exists():
            path.unlink()
