"""``hostkeep bench usage --records N [--database URL] [--keep]``: usage ingestion through the
bulk path (the one ``hostkeep usage import`` uses), from an NDJSON file to stored rows.

It needs a scratch database with no customers in it: it creates customers with one
pay-as-you-go service each (about 100 records per service) with bulk inserts — COPY on
PostgreSQL — writes N records to a temporary NDJSON file, times the import, then times the
same file again (every record a duplicate), and removes what it created unless ``--keep``.
The last line is ``usage records=N seconds=S records_per_s=R database=postgresql|sqlite``.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models, transaction

from hostkeep.accounts.models import Customer
from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.catalog.choices import PeriodUnit, PricingModel
from hostkeep.catalog.models import MeteredPrice, Plan, Product, ProductGroup
from hostkeep.core import clock
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service
from hostkeep.usage.actions import usage_records_import_file
from hostkeep.usage.models import UsageRecord

RECORDS_PER_SERVICE = 100
RESOURCES = ("server_hours", "ram_gb_hours")
QUANTITIES = ("1", "0.5", "2.25", "0.125", "3")  # JSON numbers: fractions go through Decimal
SLUG = "bench-usage"


def run(*, stdout: Any, records: int, database: str = "", keep: bool = False, **_: Any) -> str:
    if records < 1:
        raise CommandError("--records must be at least 1")
    vendor = connection.vendor
    call_command("migrate", interactive=False, verbosity=0)
    if Customer.objects.exists():
        raise CommandError(
            "this database already holds customers; the usage benchmark runs only on an empty scratch "
            "database (create one, run `hostkeep migrate` against it, and pass --database URL)"
        )
    services_count = max(1, min(records // RECORDS_PER_SERVICE, 50_000))
    started = time.monotonic()
    plan_id, service_ids = _fixture(services_count)
    stdout.write(
        f"fixture: {services_count} customers with a pay-as-you-go service in {time.monotonic() - started:.2f}s"
    )
    handle, path = tempfile.mkstemp(prefix="hostkeep-bench-usage-", suffix=".ndjson")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            _write_records(file, service_ids, records)
        stdout.write(f"records file: {os.path.getsize(path) / 2**20:.1f} MiB")
        seconds, result, cpu = _timed_import(path)
        if (result.accepted, result.duplicates, result.refused) != (records, 0, 0):
            raise CommandError(f"the import did not store every record: {result}")
        stdout.write(_cpu_line(cpu, records))
        again, repeated, cpu = _timed_import(path)
        if (repeated.accepted, repeated.duplicates) != (0, records):
            raise CommandError(f"the second import was not all duplicates: {repeated}")
        stdout.write(f"same file again (all duplicates): seconds={again:.2f} records_per_s={records / again:.0f}")
        stdout.write(_cpu_line(cpu, records))
        stdout.write(f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    finally:
        os.unlink(path)
        if not keep:
            _clean_up(plan_id)
            _vacuum()
    return f"usage records={records} seconds={seconds:.2f} records_per_s={records / seconds:.0f} database={vendor}"


def _timed_import(path: str) -> tuple[float, Any, tuple[float, float | None]]:
    """Seconds, the result, and CPU seconds spent by this process and by its database server
    process (None when the server is not on this machine): wall time on a shared machine says
    as much about the neighbours as about the import."""
    backend = _backend_cpu_reader()
    python_before, backend_before = _own_cpu(), backend()
    started = time.monotonic()
    with open(path, encoding="utf-8") as stream:
        result = usage_records_import_file(actor=SYSTEM_ACTOR, stream=stream, file_format="ndjson")
    seconds = time.monotonic() - started
    backend_after = backend()
    backend_seconds = None if backend_before is None or backend_after is None else backend_after - backend_before
    return seconds, result, (_own_cpu() - python_before, backend_seconds)


def _cpu_line(cpu: tuple[float, float | None], records: int) -> str:
    python_seconds, backend_seconds = cpu
    server = "n/a" if backend_seconds is None else f"{backend_seconds / records * 1e6:.1f}"
    return (
        f"cpu per record: python_us={python_seconds / records * 1e6:.1f} database_server_us={server} "
        f"(load average {os.getloadavg()[0]:.1f})"
    )


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _backend_cpu_reader() -> Any:
    """A function giving the CPU seconds of this connection's PostgreSQL server process, read
    from /proc when the server runs on this machine (SQLite runs inside this process)."""
    if connection.vendor != "postgresql":
        return lambda: None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    stat = Path(f"/proc/{pid}/stat")

    def read() -> float | None:
        try:
            if not Path(f"/proc/{pid}/comm").read_text().startswith("postgres"):
                return None  # the server is elsewhere; this pid is another program here
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return read


def _fixture(count: int) -> tuple[int, list[int]]:
    now = clock.now()
    with transaction.atomic():
        group = ProductGroup.objects.create(name="Benchmark", slug=SLUG)
        product = Product.objects.create(group=group, name="Benchmark server", slug=SLUG, allows_short_periods=True)
        plan = Plan.objects.create(
            product=product, code="hourly", name="Hourly", pricing_model=PricingModel.PAY_AS_YOU_GO
        )
        for name in RESOURCES:
            MeteredPrice.objects.create(
                plan=plan, resource=name, unit="hour", currency="USD", unit_price=Decimal("0.0100")
            )
        customer_ids = _bulk_insert(
            Customer, [{"name": f"Benchmark customer {number}", "currency": "USD"} for number in range(count)]
        )
        period_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        period_end = (period_start + dt.timedelta(days=32)).replace(day=1)
        service = {
            "product_id": product.pk,
            "plan_id": plan.pk,
            "status": ServiceStatus.ACTIVE,
            "status_changed_at": now,
            "currency": "USD",
            "period_unit": PeriodUnit.MONTH,
            "current_period_start": period_start,
            "current_period_end": period_end,
            "next_due_date": period_end.date(),
            "recurring_amount": Decimal(0),
            "paid_rate": Decimal(0),
            "created_at": now,
        }
        rows = [{**service, "customer_id": customer_id} for customer_id in customer_ids]
        return plan.pk, _bulk_insert(Service, rows)


def _bulk_insert(model: type[models.Model], rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (attribute name -> value; the rest from the fields' defaults) in bulk:
    COPY on PostgreSQL with ids drawn from the table's sequence, bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        created = model._default_manager.bulk_create([model(**row) for row in rows], batch_size=1000)
        return [instance.pk for instance in created]
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    now = clock.now()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(quote(str(field.column)) for field in [meta.pk, *fields])
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                values = [pk]
                for field in fields:
                    if field.attname in row:
                        value = row[field.attname]
                    elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
                        value = now
                    else:
                        value = field.get_default()
                    values.append(field.get_db_prep_save(value, connection))
                copy.write_row(values)
    return ids


def _write_records(file: Any, service_ids: list[int], records: int) -> None:
    """N records spread evenly over the services: one per resource and hour."""
    start = clock.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    hours = [(start + dt.timedelta(hours=hour)).isoformat() for hour in range(records // len(service_ids) + 2)]
    services = len(service_ids)
    lines = []
    for number in range(records):
        slot = number // services
        hour = slot // len(RESOURCES)
        lines.append(
            f'{{"source_id":"{SLUG}-{number}","service_id":{service_ids[number % services]},'
            f'"resource":"{RESOURCES[slot % len(RESOURCES)]}","quantity":{QUANTITIES[number % len(QUANTITIES)]},'
            f'"period_start":"{hours[hour]}","period_end":"{hours[hour + 1]}"}}\n'
        )
        if len(lines) == 10_000:
            file.write("".join(lines))
            lines.clear()
    file.write("".join(lines))


def _vacuum() -> None:
    """Leave PostgreSQL's tables without the dead rows the clean-up made, so the next run
    starts as fast as this one did (VACUUM cannot run inside a transaction: skipped there)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (UsageRecord, Service, Customer):
            cursor.execute(f"VACUUM ANALYZE {quote(model._meta.db_table)}")


def _clean_up(plan_id: int) -> None:
    """Remove what the benchmark created, found through its plan (the audit log is
    append-only; the import's entries stay)."""
    plan = Plan.objects.select_related("product").get(pk=plan_id)
    with transaction.atomic():
        services = Service.objects.filter(plan=plan)
        customers = Customer.objects.filter(pk__in=services.values("customer_id"))
        customer_ids = list(customers.values_list("pk", flat=True))
        UsageRecord.objects.filter(service__plan=plan).delete()
        services.delete()
        for first in range(0, len(customer_ids), 500):
            Customer.objects.filter(pk__in=customer_ids[first : first + 500]).delete()
        MeteredPrice.objects.filter(plan=plan).delete()
        plan.delete()
        plan.product.delete()
        ProductGroup.objects.filter(pk=plan.product.group_id).delete()
