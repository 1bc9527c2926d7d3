"""Provisioning test fixtures: a real Pterodactyl simulator on 127.0.0.1, a panel connection to
it, a Minecraft product provisioned by the pterodactyl module, and a helper that orders and
pays a server the way a customer does, then drives the job worker until a condition holds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from hostkeep.accounts.models import ProviderLegalEntity
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.billing.actions import balance_top_up
from hostkeep.catalog.models import Product
from hostkeep.catalog.tests.factories import minecraft_catalog
from hostkeep.core.money import Money
from hostkeep.integrations.pterodactyl.simulator import PterodactylSimulator
from hostkeep.provisioning.models import ModuleConnection
from hostkeep.services import actions as service_actions
from hostkeep.services.models import Service

PAPER = {
    "nest": 1,
    "egg": 1,
    "docker_image": "ghcr.io/pterodactyl/yolks:java_21",
    "startup": "java -Xms128M -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}}",
    "environment": {"SERVER_JARFILE": "server.jar", "BUILD_NUMBER": "latest", "MINECRAFT_VERSION": "latest"},
    "location_ids": [1],
    "limits": {"disk": 10240, "cpu": 200, "io": 500, "swap": 0, "databases": 1, "backups": 0, "allocations": 1},
}


@pytest.fixture
def fast_provisioning(settings):
    settings.PROVISIONING_RETRY_BASE_SECONDS = 0.0
    settings.PROVISIONING_POLL_SECONDS = 0.05
    settings.TIME_ZONE = "Africa/Johannesburg"
    return settings


@pytest.fixture
def panel() -> Iterator[PterodactylSimulator]:
    with PterodactylSimulator(install_seconds=0.2, seed=7) as simulator:
        yield simulator


@pytest.fixture
def catalog(transactional_db, fast_provisioning) -> dict[str, Any]:
    ProviderLegalEntity.objects.create(
        name="The Villager People (Pty) Ltd", short_code="tvp", country="ZA", tax_id="4999999999", is_default=True
    )
    found = minecraft_catalog()
    Product.objects.filter(pk=found["product"].pk).update(module="pterodactyl", module_settings=PAPER)
    found["product"].refresh_from_db()
    return found


@pytest.fixture
def connection(transactional_db, panel: PterodactylSimulator) -> ModuleConnection:
    return ModuleConnection.objects.create(
        name="Panel FRA",
        module="pterodactyl",
        settings={"base_url": panel.url, "panel_url": "https://panel.example.test"},
        secrets={"api_key": panel.api_key},
        timeout_seconds=1.0,
    )


def drive(run_jobs: Callable[[], None], until: Callable[[], bool], *, timeout: float = 60.0) -> None:
    """Run due jobs until ``until()`` holds (deferred jobs become due as time passes)."""
    deadline = time.monotonic() + timeout
    while True:
        run_jobs()
        if until():
            return
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.05)


@pytest.fixture
def customer_contact(transactional_db):
    return ContactFactory(
        customer__currency="ZAR", customer__country="ZA", customer__name="Thabo Games", user__full_name="Thabo Nkosi"
    )


@pytest.fixture
def order_and_pay(catalog, run_jobs) -> Callable[..., Service]:
    """Top up enough balance, order a server, let billing invoice and settle it."""

    def order(contact, *, plan: str = "stone", options: dict[str, Any] | None = None) -> Service:
        actor = actor_for_user(contact.user)
        balance_top_up(
            customer=contact.customer,
            amount=Money(Decimal("1000"), "ZAR"),
            idempotency_key=f"top-up-{contact.pk}-{time.monotonic_ns()}",
            description="EFT",
        )
        service_actions.cart_add(actor=actor, plan_id=catalog[plan].pk, option_values=options)
        service_actions.checkout(actor=actor)
        return Service.objects.filter(customer=contact.customer).latest("id")

    return order
