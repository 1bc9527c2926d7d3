"""Catalogue management through the staff API (``catalog_save`` and
``promo_code_set_plans``): created and replaced, validated (module settings included),
audited, and refused to anyone without the catalogue permission."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import StaffFactory, api_token_for
from hostkeep.catalog.models import ConfigurableOption, Plan, PlanPrice, Product, PromoCode
from hostkeep.catalog.modules import _SCHEMAS, register_module_schema
from hostkeep.catalog.tests.snapshots import unchanged
from hostkeep.core.models import AuditEvent

REFUSED = {"error": {"code": "permission_denied", "message": "You do not have permission to do this."}}


@pytest.fixture
def manager_api(db):
    return ApiClient(log_in(Client(), StaffFactory(role=StaffRole.MANAGER).user))


@pytest.fixture
def game_panel_module():
    register_module_schema(
        name="test_panel",
        label="Test panel",
        schema={
            "type": "object",
            "properties": {"egg_id": {"type": "integer", "minimum": 1}},
            "required": ["egg_id"],
            "additionalProperties": False,
        },
    )
    yield
    _SCHEMAS.pop("test_panel", None)


def product_body(catalog, **changes):
    return {
        "group_id": catalog["group"].pk,
        "name": "Modded Minecraft",
        "slug": "modded-minecraft",
        "tax_class_id": catalog["vat"].pk,
        **changes,
    }


def test_products_are_created_and_replaced_with_validated_module_settings(manager_api, catalog, game_panel_module):
    with unchanged():
        status, body = manager_api.post(
            "staff/catalog/products",
            product_body(catalog, module="test_panel", module_settings={"egg_id": 0, "extra": 1}),
        )
    assert status == 422
    assert body["error"]["message"] == "The module settings are not valid."
    assert sorted(body["error"]["fields"]) == ["egg_id", "module_settings"]
    with unchanged():
        status, body = manager_api.post("staff/catalog/products", product_body(catalog, module="nope"))
    assert (status, body["error"]["fields"]) == (422, {"module": ["Not a known module."]})

    status, created = manager_api.post(
        "staff/catalog/products", product_body(catalog, module="test_panel", module_settings={"egg_id": 5})
    )
    assert status == 201
    product = Product.objects.get(pk=created["id"])
    assert (product.slug, product.module_settings, product.stock_used) == ("modded-minecraft", {"egg_id": 5}, 0)
    assert AuditEvent.objects.filter(action="catalog.product.create", object_id=str(product.pk)).count() == 1

    status, _replaced = manager_api.put(
        f"staff/catalog/products/{product.pk}",
        product_body(catalog, name="Modded Minecraft (Forge)", visibility="hidden", stock_limit=10),
    )
    assert status == 200
    product.refresh_from_db()
    assert (product.name, product.visibility, product.stock_limit, product.module) == (
        "Modded Minecraft (Forge)",
        "hidden",
        10,
        "",
    )
    with unchanged():
        status, body = manager_api.post("staff/catalog/products", product_body(catalog, slug="minecraft-server"))
    assert (status, body["error"]["code"]) == (422, "validation_failed")
    assert "slug" in body["error"]["fields"]
    with unchanged():
        status, body = manager_api.put("staff/catalog/products/999999", product_body(catalog))
    assert status == 404


def test_plans_prices_options_and_promo_codes(manager_api, catalog):
    product = catalog["product"]
    status, plan = manager_api.post(
        "staff/catalog/plans",
        {"product_id": product.pk, "code": "netherite", "name": "Netherite", "pricing_model": "recurring"},
    )
    assert status == 201
    status, price = manager_api.post(
        "staff/catalog/plan-prices",
        {"plan_id": plan["id"], "currency": "ZAR", "period_unit": "month", "amount": "650.50", "setup_fee": "0"},
    )
    assert (status, price["amount"]) == (201, "650.5000")
    with unchanged():
        status, body = manager_api.post(
            "staff/catalog/plan-prices",
            {"plan_id": plan["id"], "currency": "ZAR", "period_unit": "month", "period_count": 3, "amount": "-1"},
        )
    assert (status, list(body["error"]["fields"])) == (422, ["amount"])
    with unchanged():
        status, body = manager_api.post(
            "staff/catalog/plan-prices",
            {"plan_id": plan["id"], "currency": "XXX", "period_unit": "month", "amount": "1"},
        )
    assert (status, body["error"]["fields"]) == (422, {"currency": ["Not a known currency code."]})
    status, price = manager_api.put(
        f"staff/catalog/plan-prices/{price['id']}",
        {"plan_id": plan["id"], "currency": "ZAR", "period_unit": "month", "amount": "700"},
    )
    assert (status, PlanPrice.objects.get(pk=price["id"]).amount) == (200, Decimal("700.0000"))

    status, option = manager_api.post(
        "staff/catalog/options",
        {"product_id": product.pk, "code": "slots", "name": "Player slots", "kind": "quantity", "maximum": 100},
    )
    assert status == 201
    with unchanged():
        status, body = manager_api.put(
            f"staff/catalog/options/{option['id']}",
            {"product_id": product.pk, "code": "slots", "name": "Player slots", "kind": "quantity", "minimum": 50},
        )
    assert status == 422
    assert ConfigurableOption.objects.get(pk=option["id"]).maximum == 100

    status, promo = manager_api.post("staff/catalog/promo-codes", {"code": "WINTER", "kind": "percent", "value": "15"})
    assert (status, promo["plan_ids"], promo["times_used"]) == (201, [], 0)
    with unchanged():
        status, body = manager_api.post(
            "staff/catalog/promo-codes", {"code": "winter", "kind": "percent", "value": "5"}
        )
    assert (status, body["error"]["fields"]) == (
        422,
        {"__all__": ["A promo code with this code already exists (in any case)."]},
    )
    with unchanged():
        status, body = manager_api.put(
            f"staff/catalog/promo-codes/{promo['id']}/plans", {"plan_ids": [plan["id"], 999999]}
        )
    assert (status, body["error"]["fields"]) == (422, {"plan_ids": ["Not a known plan."]})
    status, promo = manager_api.put(
        f"staff/catalog/promo-codes/{promo['id']}/plans", {"plan_ids": [plan["id"], catalog["iron"].pk]}
    )
    assert (status, promo["plan_ids"]) == (200, sorted([plan["id"], catalog["iron"].pk]))
    assert sorted(PromoCode.objects.get(code="WINTER").plans.values_list("pk", flat=True)) == sorted(
        [plan["id"], catalog["iron"].pk]
    )
    assert Plan.objects.get(pk=plan["id"]).name == "Netherite"


@pytest.mark.parametrize("role", [StaffRole.SUPPORT_LINE_1, StaffRole.ACCOUNTANT, StaffRole.ENGINEER])
def test_staff_without_the_catalogue_permission_change_nothing(catalog, role):
    _token, plain = api_token_for(StaffFactory(role=role).user)
    api = ApiClient(Client(), token=plain)
    promo = catalog["promo"]
    for method, path, body in [
        ("POST", "staff/catalog/products", product_body(catalog)),
        ("PUT", f"staff/catalog/products/{catalog['product'].pk}", product_body(catalog)),
        ("POST", "staff/catalog/plans", {"product_id": 1, "code": "x", "name": "x", "pricing_model": "recurring"}),
        ("POST", "staff/catalog/plan-prices", {"plan_id": 1, "currency": "ZAR", "period_unit": "month", "amount": 1}),
        ("POST", "staff/catalog/options", {"product_id": 1, "code": "x", "name": "x", "kind": "select"}),
        ("POST", "staff/catalog/promo-codes", {"code": "FREE", "kind": "percent", "value": "100"}),
        ("PUT", f"staff/catalog/promo-codes/{promo.pk}/plans", {"plan_ids": [catalog["iron"].pk]}),
    ]:
        with unchanged():
            assert api.call(method, path, body) == (403, REFUSED), path


def test_customers_change_nothing_in_the_catalogue(catalog, owner_a):
    api = ApiClient(log_in(Client(), owner_a.user))
    with unchanged():
        assert api.post("staff/catalog/promo-codes", {"code": "FREE", "kind": "percent", "value": "100"}) == (
            403,
            REFUSED,
        )
    with unchanged():
        assert api.put(f"staff/catalog/products/{catalog['product'].pk}", product_body(catalog, name="Mine now")) == (
            403,
            REFUSED,
        )
