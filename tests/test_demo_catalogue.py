"""The demo provider's catalogue: the South-African Minecraft host's servers in rand, with
its options, add-on, VAT and welcome code; seeding twice changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hostkeep.accounts.models import Customer
from hostkeep.accounts.tests.snapshots import accounts_state
from hostkeep.catalog.models import Plan, Product, PromoCode
from hostkeep.catalog.tests.snapshots import catalog_state
from hostkeep.demo.seed import seed_demo

pytestmark = pytest.mark.django_db


def test_seeding_twice_changes_nothing():
    seed_demo()
    before = {**accounts_state(), **catalog_state()}
    seed_demo()
    assert {**accounts_state(), **catalog_state()} == before


def test_the_minecraft_catalogue_in_rand():
    seed_demo()
    product = Product.objects.get(slug="minecraft-server")
    assert (product.group.name, product.module) == ("Minecraft servers", "pterodactyl")
    assert (product.module_settings["nest"], product.module_settings["egg"]) == (1, 1)  # Paper on the game panel
    assert list(product.tax_class.rates.values_list("country", "rate").order_by("country")) == [
        ("", Decimal("0.0000")),
        ("ZA", Decimal("15.0000")),
    ]
    prices = {
        plan.code: sorted((p.period_count, p.amount, p.setup_fee) for p in plan.prices.all())
        for plan in Plan.objects.filter(product=product).prefetch_related("prices")
    }
    assert prices["stone"] == [
        (1, Decimal("99.0000"), Decimal("49.0000")),
        (3, Decimal("282.1500"), Decimal("0.0000")),
        (12, Decimal("990.0000"), Decimal("0.0000")),
    ]
    assert sorted(prices) == ["diamond", "gold", "iron", "stone"]
    options = {option.code: option for option in product.options.prefetch_related("choices")}
    assert sorted(options) == ["location", "player_slots", "ram_gb", "version"]
    assert (options["ram_gb"].minimum, options["ram_gb"].maximum) == (2, 16)
    assert [c.label for c in options["location"].choices.all()] == ["Johannesburg", "Cape Town"]
    assert list(product.addons.values_list("code", flat=True)) == ["backups"]
    welcome = PromoCode.objects.get(code="WELCOME10")
    assert (welcome.kind, welcome.value, welcome.recurring, welcome.plans.count()) == (
        "percent",
        Decimal("10.0000"),
        False,
        4,
    )
    assert sorted(Customer.objects.values_list("name", "currency", "country")) == [
        ("Blocky Builders (Pty) Ltd", "ZAR", "ZA"),
        ("Thabo Mokoena", "ZAR", "ZA"),
    ]
