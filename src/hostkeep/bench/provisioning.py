"""``hostkeep bench provisioning --orders N --latency-ms L --workers W [--database URL]``.

N paid orders of a game server (customers, their owner contacts and N pending services,
written in bulk, not timed) are provisioned against the Pterodactyl simulator answering every
call after L ms: the clock runs from starting them (what billing's ``invoice.paid`` handler
does) until every service is active, with W job workers (threads running django-tasks-db's
worker loop in this process, each with its own database connection). Per order the panel sees
three calls: create the user, create the server, and one check that its installation finished.

Run it on a scratch database: it refuses one that already has customers, and empties it
afterwards unless --keep.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from hostkeep.accounts.choices import ContactRole
from hostkeep.accounts.models import Contact, Customer, ProviderLegalEntity, User
from hostkeep.catalog.choices import PeriodUnit, PricingModel
from hostkeep.catalog.models import Plan, PlanPrice, Product, ProductGroup
from hostkeep.core import clock
from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator
from hostkeep.provisioning.actions import provisioning_start
from hostkeep.provisioning.models import ModuleConnection
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service

DEFAULT_WORKERS = 8
INSTALL_SECONDS = 1.0
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


def _keep_connection(**kwargs: Any) -> None:
    """Each worker thread keeps its one connection (the worker would close it between jobs)."""


def _worker_loop(stop: threading.Event) -> None:
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.management.commands.db_worker import Worker

    db_worker.close_old_connections = _keep_connection  # type: ignore[attr-defined]
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"bench-{threading.get_ident()}",
        excluded_queue_names=[],
    )
    try:
        while not stop.is_set():
            worker.run()
            time.sleep(0.02)
    finally:
        connections.close_all()


def run(*, stdout: Any, orders: int, latency_ms: int, workers: int, keep: bool, **_: Any) -> str:
    call_command("migrate", interactive=False, verbosity=0)
    if Customer.objects.exists():
        raise SystemExit("bench provisioning needs an empty scratch database (customers found); see --database")
    workers = workers or DEFAULT_WORKERS
    settings.PROVISIONING_POLL_SECONDS = INSTALL_SECONDS
    settings.PROVISIONING_RETRY_BASE_SECONDS = 1.0
    with PterodactylSimulator(latency_ms=latency_ms, install_seconds=INSTALL_SECONDS, rate_limit=10**9) as panel:
        panel.add_node(
            "bench-node", 1, memory=10**8, disk=10**9, ip="10.0.0.10", ports=list(range(30000, 30000 + orders + 10))
        )
        started = time.perf_counter()
        service_ids = _generate(orders, panel)
        stdout.write(f"generated {orders} paid orders in {time.perf_counter() - started:.1f}s")
        stop = threading.Event()
        threads = [threading.Thread(target=_worker_loop, args=(stop,), daemon=True) for _ in range(workers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
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
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        calls = panel.request_count()
        servers = sum(1 for s in panel.state.servers.values() if (s.external_id or "").startswith("service-"))
    failed = Service.objects.filter(status=ServiceStatus.FAILED).count()
    stdout.write(
        f"active={active} failed={failed} panel_servers={servers} panel_calls={calls} "
        f"workers={workers} latency_ms={latency_ms} database={connection.vendor}"
    )
    if not keep:
        _empty()
    return f"provisioning orders={orders} seconds={seconds:.1f} orders_per_s={orders / seconds:.1f}"


def _empty() -> None:
    from hostkeep.bench.billing import _empty as empty_database

    empty_database(connection.vendor)
