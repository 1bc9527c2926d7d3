"""The customer side of the orders and services API: the catalogue, quotes, the cart,
checkout, orders and services, each scoped to the caller's account. Prices are always the
server's: price-like fields in a body are ignored, bad choices are refused and change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import ContactFactory, api_token_for
from hostkeep.services import actions
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import CartItem, Order, Service, ServiceChange
from hostkeep.services.tests.snapshots import unchanged

SAST = dt.timezone(dt.timedelta(hours=2))
IRON_CHOICES = {"period_unit": "month", "period_count": 1, "options": {"ram_gb": 4, "location": "cpt"}}
NOT_FOUND_SERVICE = {"error": {"code": "not_found", "message": "Service not found."}}


@pytest.fixture
def api(buyer, owner_a):
    return ApiClient(log_in(Client(), owner_a.user))


@pytest.fixture
def other_api(other_buyer, owner_b):
    _token, plain = api_token_for(owner_b.user)
    return ApiClient(Client(), token=plain)


def active_service(api, catalog, plan="stone", options=None) -> Service:
    """Order through the API, then make the service active as provisioning would."""
    status, _body = api.post("cart/items", {"plan_id": catalog[plan].pk, "options": options or {}})
    assert status == 201
    status, order = api.post("checkout", {})
    assert status == 201
    service = Service.objects.get(order_line__order_id=order["id"])
    actions.service_transition(service_id=service.pk, to=ServiceStatus.PROVISIONING, actor=SYSTEM_ACTOR)
    actions.service_transition(service_id=service.pk, to=ServiceStatus.ACTIVE, actor=SYSTEM_ACTOR)
    return service


# --- catalogue and quotes ----------------------------------------------------------------


def test_catalogue_is_priced_in_the_callers_currency(api, catalog):
    status, body = api.get("catalog")
    assert status == 200
    assert [group["slug"] for group in body] == ["minecraft"]
    [product] = body[0]["products"]
    assert product["slug"] == "minecraft-server"
    assert [plan["code"] for plan in product["plans"]] == ["hourly", "stone", "iron", "diamond"]
    iron = product["plans"][2]
    # the USD price of the plan is not shown to a ZAR account
    assert [(p["currency"], p["period_count"], p["amount"], p["setup_fee"]) for p in iron["prices"]] == [
        ("ZAR", 1, "200.0000", "50.0000"),
        ("ZAR", 3, "570.0000", "0.0000"),
        ("ZAR", 12, "2000.0000", "0.0000"),
    ]
    assert product["plans"][0]["metered_prices"] == [
        {
            "resource": "server_hours",
            "unit": "hour",
            "currency": "ZAR",
            "unit_price": "0.2500",
            "included_quantity": "0.0000",
        }
    ]
    ram, location = product["options"]
    assert (ram["code"], ram["minimum"], ram["maximum"], ram["included_quantity"]) == ("ram_gb", 2, 16, 2)
    assert ram["prices"] == [
        {"choice": None, "currency": "ZAR", "period_unit": "month", "period_count": 1, "amount": "20.0000"}
    ]
    assert [c["code"] for c in location["choices"]] == ["jhb", "cpt"]
    assert location["prices"] == [
        {"choice": "cpt", "currency": "ZAR", "period_unit": "month", "period_count": 1, "amount": "10.0000"}
    ]
    assert [(a["code"], a["prices"][0]["amount"]) for a in product["addons"]] == [("backups", "30.0000")]


def test_quote_prices_an_item_without_ordering_it(api, catalog):
    body = {"plan_id": catalog["iron"].pk, **IRON_CHOICES, "addons": ["backups"]}
    with unchanged():
        status, quote = api.post("catalog/quote", {**body, "price": 0, "total": 0, "amount": -5})
    assert status == 200
    assert [(line["kind"], line["code"], line["amount"]) for line in quote["lines"]] == [
        ("plan", "iron", "200.0000"),
        ("setup", "iron", "50.0000"),
        ("option", "ram_gb", "40.0000"),
        ("option", "location", "10.0000"),
        ("addon", "backups", "30.0000"),
    ]
    assert [line["description"] for line in quote["lines"]] == [
        "Iron",
        "Setup fee",
        "RAM (GB): 4",
        "Location: Cape Town",
        "Daily backups",
    ]
    assert (quote["recurring_amount"], quote["first_payment"], quote["discount"]) == ("280.0000", "330.0000", "0.0000")
    assert (quote["tax_rate"], quote["net"], quote["tax"], quote["total"]) == (
        "15.0000",
        "330.0000",
        "49.5000",
        "379.5000",
    )
    assert quote["options"] == {"ram_gb": 4, "location": "cpt"}

    status, discounted = api.post("catalog/quote", {**body, "promo_code": "launch20"})
    assert status == 200
    assert (discounted["discount"], discounted["first_payment"], discounted["total"]) == (
        "56.0000",
        "274.0000",
        "315.1000",
    )
    assert discounted["lines"][-1] == {
        "kind": "discount",
        "code": "LAUNCH20",
        "description": "Promo code LAUNCH20",
        "amount": "-56.0000",
        "recurring": False,
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"options": {"ram_gb": 17}}, "options.ram_gb"),
        ({"options": {"location": "mars"}}, "options.location"),
        ({"addons": ["free-money"]}, "addons"),
        ({"period_count": 2}, "period"),
        ({"promo_code": "NOPE"}, "promo_code"),
    ],
)
def test_a_bad_quote_is_refused(api, catalog, change, field):
    with unchanged():
        status, body = api.post("catalog/quote", {"plan_id": catalog["iron"].pk, **change})
    assert status == 422
    assert body["error"]["code"] == "validation_failed"
    assert field in body["error"]["fields"]


# --- cart and checkout -------------------------------------------------------------------


def test_price_like_fields_in_a_cart_item_or_checkout_change_nothing(api, catalog):
    tampered = {"price": 0, "total": 0, "amount": -5, "recurring_amount": 0, "discount": 9999}
    status, added = api.post(
        "cart/items", {"plan_id": catalog["iron"].pk, **IRON_CHOICES, "addons": ["backups"], **tampered}
    )
    assert status == 201
    assert (added["quote"]["recurring_amount"], added["quote"]["first_payment"]) == ("280.0000", "330.0000")
    item = CartItem.objects.get()
    assert (item.plan, item.option_values, item.addon_codes, item.quantity) == (
        catalog["iron"],
        {"ram_gb": 4, "location": "cpt"},
        ["backups"],
        1,
    )
    status, cart = api.get("cart/quote?promo_code=LAUNCH20")
    assert status == 200
    assert (cart["net"], cart["discount"], cart["tax"], cart["total"]) == ("274.0000", "56.0000", "41.1000", "315.1000")

    status, order = api.post("checkout", {"promo_code": "LAUNCH20", "idempotency_key": "t-1", **tampered})
    assert status == 201
    assert (order["net_total"], order["discount_total"], order["tax_total"], order["total"]) == (
        "274.0000",
        "56.0000",
        "41.1000",
        "315.1000",
    )
    service = Service.objects.get()
    assert (service.recurring_amount, service.paid_rate) == (Decimal("280.0000"), Decimal("224.0000"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": -1}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 21}, "quantity"),
        ({"options": {"ram_gb": 64}}, "options.ram_gb"),
        ({"options": {"ram_gb": 1}}, "options.ram_gb"),
        ({"options": {"ram_gb": "lots"}}, "options.ram_gb"),
        ({"options": {"price": 0}}, "options.price"),
        ({"addons": ["free-money"]}, "addons"),
        ({"period_unit": "day"}, "period"),
        ({"period_unit": "fortnight"}, "period_unit"),
    ],
)
def test_tampered_cart_items_are_refused_and_change_nothing(api, catalog, body, field):
    with unchanged():
        status, refused = api.post("cart/items", {"plan_id": catalog["iron"].pk, **body})
    assert status == 422
    assert field in refused["error"]["fields"]


def test_a_plan_that_is_not_on_sale_is_not_found(api, catalog):
    catalog["iron"].is_active = False
    catalog["iron"].save()
    with unchanged():
        status, body = api.post("cart/items", {"plan_id": catalog["iron"].pk})
    assert (status, body) == (404, {"error": {"code": "not_found", "message": "No such plan."}})


def test_cart_items_are_the_callers_own(api, other_api, catalog):
    status, mine = api.post("cart/items", {"plan_id": catalog["stone"].pk, "quantity": 2})
    assert status == 201
    status, theirs = other_api.post("cart/items", {"plan_id": catalog["iron"].pk})
    assert status == 201
    status, listed = api.get("cart/items")
    assert [(row["id"], row["plan"], row["quantity"]) for row in listed] == [(mine["item"]["id"], "Stone", 2)]
    with unchanged():
        status, body = api.delete(f"cart/items/{theirs['item']['id']}")
    assert (status, body) == (404, {"error": {"code": "not_found", "message": "Cart item not found."}})
    status, _body = api.delete(f"cart/items/{mine['item']['id']}")
    assert status == 204
    assert list(CartItem.objects.values_list("pk", flat=True)) == [theirs["item"]["id"]]


def test_checkout_with_an_idempotency_key_header_makes_one_order(api, catalog):
    api.post("cart/items", {"plan_id": catalog["stone"].pk})
    api.headers["Idempotency-Key"] = "double-click-1"
    status, first = api.post("checkout", {})
    assert status == 201
    with unchanged():
        status, second = api.post("checkout", {})
    assert status == 201
    assert second["id"] == first["id"]
    assert Order.objects.count() == 1
    assert Service.objects.count() == 1


def test_checkout_of_an_empty_cart_or_with_a_bad_promo_changes_nothing(api, catalog):
    with unchanged():
        status, body = api.post("checkout", {})
    assert (status, body["error"]["fields"]) == (422, {"cart": ["The cart is empty."]})
    api.post("cart/items", {"plan_id": catalog["stone"].pk})
    with unchanged():
        status, body = api.post("checkout", {"promo_code": "NOPE"})
    assert (status, body["error"]["fields"]) == (422, {"promo_code": ["No such promo code."]})


def test_read_only_contacts_may_look_but_not_order(api, catalog, buyer):
    reader = ContactFactory(customer=buyer.customer, role="read_only")
    reader_api = ApiClient(log_in(Client(), reader.user))
    assert reader_api.get("catalog")[0] == 200
    with unchanged():
        status, body = reader_api.post("cart/items", {"plan_id": catalog["stone"].pk})
    assert (status, body["error"]["code"]) == (403, "permission_denied")


# --- orders and services -------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 1, 31, 10, 0, tzinfo=SAST), tick=False)
def test_customers_see_only_their_own_orders_and_services(api, other_api, catalog):
    api.post("cart/items", {"plan_id": catalog["iron"].pk, **IRON_CHOICES, "addons": ["backups"]})
    status, mine = api.post("checkout", {})
    other_api.post("cart/items", {"plan_id": catalog["stone"].pk})
    status, theirs = other_api.post("checkout", {})
    assert status == 201

    status, orders = api.get("orders")
    assert (status, orders["count"]) == (200, 1)
    assert [(o["id"], o["number"], o["total"]) for o in orders["items"]] == [(mine["id"], mine["number"], "379.5000")]
    with unchanged():
        assert api.get(f"orders/{theirs['id']}")[0] == 404

    status, services = api.get("services")
    assert services["count"] == 1
    [row] = services["items"]
    assert (row["status"], row["plan"], row["next_due_date"], row["recurring_amount"], row["order_number"]) == (
        "pending",
        "Iron",
        "2026-02-28",
        "280.0000",
        mine["number"],
    )
    status, detail = api.get(f"services/{row['id']}")
    assert status == 200
    assert [(a["code"], a["recurring_amount"]) for a in detail["addons"]] == [("backups", "30.0000")]
    assert [(e["from_status"], e["to_status"]) for e in detail["events"]] == [("", "pending")]
    assert detail["options"] == {"ram_gb": 4, "location": "cpt"}

    their_service = Service.objects.get(order_line__order_id=theirs["id"])
    for method, path, body in [
        ("GET", f"services/{their_service.pk}", None),
        ("POST", f"services/{their_service.pk}/cancel", {"when": "now"}),
        ("POST", f"services/{their_service.pk}/change/preview", {"plan_id": catalog["iron"].pk}),
        ("POST", f"services/{their_service.pk}/change", {"plan_id": catalog["iron"].pk}),
    ]:
        with unchanged():
            status, refused = api.call(method, path, body)
        assert (status, refused) == (404, NOT_FOUND_SERVICE), path


def test_upgrade_preview_and_apply_record_the_same_prorated_amount(api, catalog):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = active_service(api, catalog)
    with time_machine.travel(dt.datetime(2026, 3, 11, 0, 0, tzinfo=SAST), tick=False):
        with unchanged():
            status, preview = api.post(
                f"services/{service.pk}/change/preview", {"plan_id": catalog["iron"].pk, "amount": 0}
            )
        assert status == 200
        assert preview == {
            "kind": "upgrade",
            "plan_id": catalog["iron"].pk,
            "options": {"ram_gb": 2, "location": "jhb"},
            "currency": "ZAR",
            "old_rate": "100.0000",
            "new_rate": "200.0000",
            "seconds_left": 21 * 86400,
            "seconds_total": 31 * 86400,
            "amount": "67.7419",
        }
        status, change = api.post(f"services/{service.pk}/change", {"plan_id": catalog["iron"].pk, "amount": 0})
    assert status == 201
    assert (change["kind"], change["amount"], change["to_plan_id"]) == ("upgrade", "67.7419", catalog["iron"].pk)
    assert ServiceChange.objects.get().amount == Decimal("67.7419")
    service.refresh_from_db()
    assert (service.plan, service.paid_rate) == (catalog["iron"], Decimal("200.0000"))


def test_a_bad_change_is_refused_and_changes_nothing(api, catalog):
    service = active_service(api, catalog)
    for body, field in [
        ({"options": {"ram_gb": 99}}, "options.ram_gb"),
        ({"plan_id": catalog["stone"].pk}, "plan"),
    ]:
        with unchanged():
            status, refused = api.post(f"services/{service.pk}/change", body)
        assert (status, list(refused["error"]["fields"])) == (422, [field])


def test_cancel_at_period_end_then_now(api, catalog):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = active_service(api, catalog)
    with unchanged():
        status, body = api.post(f"services/{service.pk}/cancel", {"when": "tomorrow"})
    assert (status, body["error"]["fields"]) == (422, {"when": ["Choose when to cancel."]})
    status, body = api.post(f"services/{service.pk}/cancel", {"when": "period_end", "reason": "moving"})
    assert status == 200
    assert (body["status"], body["cancel_at_period_end"], body["auto_renew"]) == ("active", True, False)
    with time_machine.travel(dt.datetime(2026, 3, 11, 0, 0, tzinfo=SAST), tick=False):
        status, body = api.post(f"services/{service.pk}/cancel", {"when": "now"})
    assert (status, body["status"]) == (200, "cancelled")
    assert ServiceChange.objects.get(service=service).amount == Decimal("-67.7419")
    with unchanged():
        status, body = api.post(f"services/{service.pk}/cancel", {"when": "now"})
    assert (status, body["error"]["code"]) == (409, "invalid_state")


def test_the_services_list_costs_the_same_queries_for_1_or_20_services(
    api, catalog, buyer, django_assert_max_num_queries
):
    actions.cart_add(actor=buyer, plan_id=catalog["stone"].pk)
    actions.checkout(actor=buyer)
    with django_assert_max_num_queries(8) as one:
        status, body = api.get("services")
    assert (status, body["count"]) == (200, 1)
    actions.cart_add(actor=buyer, plan_id=catalog["iron"].pk, quantity=19)
    actions.checkout(actor=buyer)
    with django_assert_max_num_queries(len(one.captured_queries)):
        status, body = api.get("services?limit=100")
    assert (status, body["count"], len(body["items"])) == (200, 20, 20)
