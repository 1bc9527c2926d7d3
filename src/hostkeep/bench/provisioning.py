"""``hostkeep bench provisioning --orders N --latency-ms L --workers W [--database URL]``.

N paid orders of a game server (customers, their owner contacts and N pending services,
written in bulk, not timed) are provisioned against the Pterodactyl simulator answering every
call after L ms: the clock runs from starting them (what billing's ``invoice.paid`` handler
does) until every service is active, with W job workers: processes running django-tasks-db's
worker loop, as ``hostkeep worker --processes W`` runs them, each with its own database
connection, while the simulator answers from this process. Per order the panel sees three
calls: create the user, create the server, and one check that its installation finished.

Besides the time, it prints the CPU each order cost (the workers, PostgreSQL's processes when
the server is on this machine, and this process), which other load on the machine does not
change, and how long until every job the orders set off (the customer's e-mail) was done.

Run it on a scratch database: it refuses one that already has customers, and empties it
afterwards unless --keep.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from hostkeep.accounts.choices import ContactRole
from hostkeep.accounts.models import Contact, Customer, ProviderLegalEntity, User
from hostkeep.catalog.choices import PeriodUnit, PricingModel
from hostkeep.catalog.models import Plan, PlanPrice, Product, ProductGroup
from hostkeep.core import clock
from hostkeep.core.workers import WorkerProcesses, database_worker, warm_up
from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator
from hostkeep.provisioning.actions import provisioning_start
from hostkeep.provisioning.models import ModuleConnection
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service

DEFAULT_WORKERS = 8
INSTALL_SECONDS = 1.0
POLL_INTERVAL_SECONDS = 1.0  # an idle worker's pause between looks at the queue, as in production
SETTINGS = {
    "nest": 1,
    "egg": 1,
    "docker_image": "ghcr.io/pterodactyl/yolks:java_21",
    "startup": "java -jar {{SERVER_JARFILE}}",
    "environment": {"SERVER_JARFILE": "server.jar", "BUILD_NUMBER": "latest"},
    "location_ids": [1],
    "limits": {"memory": 512, "disk": 1024, "cpu": 100, "io": 500, "swap": 0},
}


def _generate(orders: int, panel: PterodactylSimulator) -> list[int]:
    ProviderLegalEntity.objects.create(name="Bench Hosting", short_code="bench", country="ZA", is_default=True)
    group = ProductGroup.objects.create(name="Bench games", slug="bench-games")
    product = Product.objects.create(
        group=group, name="Game server", slug="bench-game", module="pterodactyl", module_settings=SETTINGS
    )
    plan = Plan.objects.create(product=product, code="monthly", name="Monthly", pricing_model=PricingModel.RECURRING)
    PlanPrice.objects.create(plan=plan, currency="ZAR", period_unit=PeriodUnit.MONTH, amount=Decimal("99"))
    ModuleConnection.objects.create(
        name="Bench panel",
        module="pterodactyl",
        settings={"base_url": panel.url},
        secrets={"api_key": panel.api_key},  # type: ignore[misc]
        timeout_seconds=10,
    )
    customers = Customer.objects.bulk_create(
        [Customer(name=f"Bench customer {n}", currency="ZAR", country="ZA") for n in range(orders)]
    )
    users = User.objects.bulk_create(
        [User(email=f"bench{n}@example.test", full_name=f"Bench Player{n}") for n in range(orders)]
    )
    Contact.objects.bulk_create(
        [Contact(customer=c, user=u, role=ContactRole.OWNER) for c, u in zip(customers, users, strict=True)]
    )
    now = clock.now()
    services = Service.objects.bulk_create(
        [
            Service(
                customer=customer,
                product=product,
                plan=plan,
                status=ServiceStatus.PENDING,
                status_changed_at=now,
                currency="ZAR",
                period_unit=PeriodUnit.MONTH,
                current_period_start=now,
                current_period_end=now + dt.timedelta(days=30),
                next_due_date=(now + dt.timedelta(days=30)).date(),
                recurring_amount=Decimal("99"),
                paid_rate=Decimal("99"),
                module_limits=dict(SETTINGS["limits"]),  # type: ignore[call-overload]
                created_at=now,
            )
            for customer in customers
        ]
    )
    return [service.pk for service in services]


def _worker(interval: float) -> None:
    database_worker(interval=interval, verbosity=0)


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process on this machine so far (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _database_pids() -> list[int]:
    """The PostgreSQL server processes serving this database (when the server is local)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [row[0] for row in cursor.fetchall()]


class CpuMeter:
    """CPU seconds spent by the worker processes, the database server's processes for this
    database (PostgreSQL on this machine) and this process (the panel simulator and the clock)
    between ``start`` and ``stop``: a figure the machine's other load does not inflate."""

    def __init__(self, worker_pids: list[int]) -> None:
        self.worker_pids = worker_pids
        self.before: dict[str, dict[int, float]] = {}
        self.own = 0.0

    def _sample(self) -> dict[str, dict[int, float]]:
        sample: dict[str, dict[int, float]] = {"workers": {}, "database": {}}
        for group, pids in (("workers", self.worker_pids), ("database", _database_pids())):
            for pid in pids:
                seconds = _cpu_seconds(pid)
                if seconds is not None:
                    sample[group][pid] = seconds
        return sample

    def start(self) -> None:
        self.before = self._sample()
        self.own = time.process_time()

    def stop(self) -> dict[str, float]:
        after = self._sample()
        spent = {
            group: sum(seconds - self.before[group].get(pid, 0.0) for pid, seconds in after[group].items())
            for group in after
        }
        spent["panel_and_clock"] = time.process_time() - self.own
        return spent


def _queue_drained() -> bool:
    return not DBTaskResult.objects.ready().exists() and not DBTaskResult.objects.running().exists()


def run(*, stdout: Any, orders: int, latency_ms: int, workers: int, keep: bool, **_: Any) -> str:
    call_command("migrate", interactive=False, verbosity=0)
    if Customer.objects.exists():
        raise SystemExit("bench provisioning needs an empty scratch database (customers found); see --database")
    workers = workers or DEFAULT_WORKERS
    settings.PROVISIONING_POLL_SECONDS = INSTALL_SECONDS
    settings.PROVISIONING_RETRY_BASE_SECONDS = 1.0
    # The workers are forked first (before the simulator's threads exist), warmed up, as
    # long-running production workers are; they find nothing to do until the orders start.
    warm_up()
    pool = WorkerProcesses(workers, functools.partial(_worker, POLL_INTERVAL_SECONDS), restart=False)
    pool.start()
    try:
        with PterodactylSimulator(latency_ms=latency_ms, install_seconds=INSTALL_SECONDS, rate_limit=10**9) as panel:
            panel.add_node(
                "bench-node", 1, memory=10**8, disk=10**9, ip="10.0.0.10", ports=list(range(30000, 30000 + orders + 10))
            )
            started = time.perf_counter()
            service_ids = _generate(orders, panel)
            stdout.write(f"generated {orders} paid orders in {time.perf_counter() - started:.1f}s")
            meter = CpuMeter([child.pid for child in pool.children if child.pid is not None])
            load_before = os.getloadavg()[0]
            meter.start()
            started = time.perf_counter()
            for chunk in range(0, len(service_ids), 100):
                provisioning_start(service_ids=service_ids[chunk : chunk + 100])
            deadline = started + 1800
            active = 0
            while time.perf_counter() < deadline:
                active = Service.objects.filter(status=ServiceStatus.ACTIVE).count()
                if active + Service.objects.filter(status=ServiceStatus.FAILED).count() >= orders:
                    break
                time.sleep(0.2)
            seconds = time.perf_counter() - started
            # What the orders set off after (the customer's message, its e-mail) is part of their cost.
            while time.perf_counter() < deadline and not _queue_drained():
                time.sleep(0.2)
            drained = time.perf_counter() - started
            cpu = meter.stop()
            load_after = os.getloadavg()[0]
            calls = panel.request_count()
            servers = sum(1 for s in panel.state.servers.values() if (s.external_id or "").startswith("service-"))
    finally:
        pool.stop()
    failed = Service.objects.filter(status=ServiceStatus.FAILED).count()
    per_order = {group: spent * 1000 / orders for group, spent in cpu.items()}
    stdout.write(
        f"active={active} failed={failed} panel_servers={servers} panel_calls={calls} "
        f"workers={workers} latency_ms={latency_ms} database={connection.vendor} "
        f"all_jobs_done_s={drained:.1f} load={load_before:.1f}->{load_after:.1f}"
    )
    stdout.write(
        "cpu ms per order: "
        + " ".join(f"{group}={value:.1f}" for group, value in per_order.items())
        + f" total={sum(per_order.values()):.1f}"
    )
    if not keep:
        _empty()
    return (
        f"provisioning orders={orders} seconds={seconds:.1f} orders_per_s={orders / seconds:.1f} "
        f"cpu_ms_per_order={sum(per_order.values()):.0f}"
    )


def _empty() -> None:
    from hostkeep.bench.billing import _empty as empty_database

    empty_database(connection.vendor)
