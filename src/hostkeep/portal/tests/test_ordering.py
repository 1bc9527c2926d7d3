"""Buying in the portal: the catalogue, the order page with its price computed on the server,
the cart with a promo code, checkout (once, however often it is submitted), then the
service's page with a plan change priced before it is confirmed, and cancellation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client

from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.accounts.tests.clients import log_in
from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.core.money import Money
from hostkeep.services import actions
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import CartItem, Order, Service, ServiceChange
from hostkeep.services.tests.snapshots import unchanged

SAST = dt.timezone(dt.timedelta(hours=2))
ORDER_PAGE = "/portal/catalogue/minecraft-server/"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def order_form(catalog, **changes) -> dict[str, object]:
    return {
        "plan": catalog["iron"].pk,
        "period": "month:1",
        "option_ram_gb": 4,
        "option_location": "cpt",
        "addons": ["backups"],
        "quantity": 1,
        **changes,
    }


def active_service(catalog, buyer, plan="stone") -> Service:
    actions.cart_add(actor=buyer, plan_id=catalog[plan].pk)
    order = actions.checkout(actor=buyer)
    service = Service.objects.get(order_line__order=order)
    actions.service_transition(service_id=service.pk, to=ServiceStatus.PROVISIONING, actor=SYSTEM_ACTOR)
    actions.service_transition(service_id=service.pk, to=ServiceStatus.ACTIVE, actor=SYSTEM_ACTOR)
    return service


def test_the_catalogue_shows_plans_with_prices_in_the_customers_currency(portal, catalog):
    response = portal.get("/portal/catalogue/")
    assert response.status_code == 200
    assert [group.slug for group in response.context["groups"]] == ["minecraft"]
    assert "200.00 ZAR · 1 month" in response.text
    assert "570.00 ZAR · 3 months" in response.text
    assert "2000.00 ZAR · 1 year" in response.text
    assert "+ 50.00 ZAR setup" in response.text
    assert "USD" not in response.text
    assert f'href="{ORDER_PAGE}"' in response.text


def test_the_order_page_prices_the_choices_on_the_server(portal, catalog):
    page = portal.get(ORDER_PAGE)
    assert page.status_code == 200
    assert 'hx-get="/portal/catalogue/minecraft-server/quote/"' in page.text
    assert 'hx-include="#order-form"' in page.text
    assert 'hx-sync="this:queue last"' in page.text
    assert list(page.context["form"].fields) == [
        "plan",
        "period",
        "option_ram_gb",
        "option_location",
        "addons",
        "quantity",
    ]

    with unchanged():
        response = portal.get(f"{ORDER_PAGE}quote/", order_form(catalog), headers={"HX-Request": "true"})
    assert response.status_code == 200
    priced = response.context["priced"]
    assert (priced.net, priced.tax, priced.gross) == (
        Money(Decimal("330"), "ZAR"),
        Money(Decimal("49.50"), "ZAR"),
        Money(Decimal("379.50"), "ZAR"),
    )
    assert priced.recurring_gross == Money(Decimal("322"), "ZAR")  # 280 a month + 15 % VAT
    assert '<td class="num" id="quote-total">379.50 ZAR</td>' in response.text
    assert "Then 322.00 ZAR for every 1 month, VAT included." in response.text

    with unchanged():
        refused = portal.get(f"{ORDER_PAGE}quote/", order_form(catalog, option_ram_gb=99))
    assert refused.context["problems"] == ["RAM (GB) must be between 2 and 16."]
    assert "priced" not in refused.context


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"option_ram_gb": 99}, {"option_ram_gb": ["RAM (GB) must be between 2 and 16."]}),
        (
            {"option_ram_gb": 3, "option_location": "mars"},
            {"option_location": ["Select a valid choice. mars is not one of the available choices."]},
        ),
        ({"quantity": -1}, {"quantity": ["Enter a whole number from 1 to 20."]}),
        ({"period": "month:2"}, {"period": ["Select a valid choice. month:2 is not one of the available choices."]}),
        (
            {"addons": ["free-money"]},
            {"addons": ["Select a valid choice. free-money is not one of the available choices."]},
        ),
    ],
)
def test_the_order_form_refuses_bad_input_and_changes_nothing(portal, catalog, change, errors):
    with unchanged():
        response = portal.post(ORDER_PAGE, order_form(catalog, **change))
    assert response.status_code == 422
    assert response.context["form"].errors == errors


def test_order_with_options_and_a_promo_code_then_checkout_once(portal, catalog):
    with time_machine.travel(dt.datetime(2026, 1, 31, 10, 0, tzinfo=SAST), tick=False):
        added = portal.post(ORDER_PAGE, order_form(catalog, price="0", total="0"))
        assert (added.status_code, added["Location"]) == (302, "/portal/cart/")
        item = CartItem.objects.get()
        assert (item.plan, item.option_values, item.addon_codes) == (
            catalog["iron"],
            {"ram_gb": 4, "location": "cpt"},
            ["backups"],
        )

        cart = portal.get("/portal/cart/", {"promo_code": "launch20"})
        quote = cart.context["quote"]
        assert (quote.net, quote.discount, quote.tax, quote.total) == (
            Money(Decimal("274"), "ZAR"),
            Money(Decimal("56"), "ZAR"),
            Money(Decimal("41.10"), "ZAR"),
            Money(Decimal("315.10"), "ZAR"),
        )
        assert '<td class="num" colspan="3" id="cart-total">315.10 ZAR</td>' in cart.text
        checkout = cart.context["checkout_form"].initial
        assert checkout["promo_code"] == "LAUNCH20"
        assert len(checkout["idempotency_key"]) == 32

        placed = portal.post("/portal/cart/checkout/", {**checkout, "total": "0"})
        assert (placed.status_code, placed["Location"]) == (302, "/portal/services/")
        again = portal.post("/portal/cart/checkout/", checkout)  # a double submit
        assert again.status_code == 302

    order = Order.objects.get()
    assert (order.total, order.discount_total, order.promo_code.code) == (
        Decimal("315.1000"),
        Decimal("56.0000"),
        "LAUNCH20",
    )
    # both submissions answer with the one order (the first message was not shown yet)
    assert messages_of(again) == [f"Thank you: order {order.number} is placed."] * 2
    service = Service.objects.get()
    assert (service.status, service.next_due_date) == (ServiceStatus.PENDING, dt.date(2026, 2, 28))
    services = portal.get("/portal/services/")
    assert list(services.context["page"].object_list) == [service]
    assert '<span class="status status-pending">Pending</span>' in services.text
    assert "Feb. 28, 2026" in services.text
    detail = portal.get(f"/portal/services/{service.pk}/")
    assert detail.status_code == 200
    assert detail.context["change_form"] is None  # a pending service cannot be changed yet
    assert "Daily backups" in detail.text
    assert detail.context["options"] == [("RAM (GB)", "4"), ("Location", "Cape Town")]


def test_a_refused_promo_code_is_shown_and_the_cart_is_priced_without_it(portal, catalog, buyer):
    actions.cart_add(actor=buyer, plan_id=catalog["stone"].pk)
    cart = portal.get("/portal/cart/", {"promo_code": "NOPE"})
    assert cart.context["form"].errors == {"promo_code": ["No such promo code."]}
    assert cart.context["quote"].total == Money(Decimal("172.50"), "ZAR")
    assert cart.context["checkout_form"].initial["promo_code"] == ""
    with unchanged():
        response = portal.post("/portal/cart/checkout/", {"promo_code": "NOPE", "idempotency_key": "k"})
    assert response["Location"] == "/portal/cart/?promo_code=NOPE"
    assert messages_of(response) == ["No such promo code."]


def test_upgrade_preview_shows_the_amount_the_apply_records(portal, catalog, buyer):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = active_service(catalog, buyer)
    page = portal.get(f"/portal/services/{service.pk}/")
    assert list(page.context["change_form"].fields) == ["plan", "option_ram_gb", "option_location"]
    with time_machine.travel(dt.datetime(2026, 3, 11, 0, 0, tzinfo=SAST), tick=False):
        choice = {"plan": catalog["iron"].pk, "option_ram_gb": 2, "option_location": "jhb"}
        with unchanged():
            preview = portal.post(f"/portal/services/{service.pk}/change/", choice)
        assert preview.status_code == 200
        assert preview.context["preview"].amount == Money(Decimal("67.7419"), "ZAR")
        assert '<td class="num figure amount" id="change-amount">67.74 ZAR</td>' in preview.text
        confirmed = portal.post(f"/portal/services/{service.pk}/change/confirm/", choice)
    assert confirmed["Location"] == f"/portal/services/{service.pk}/"
    assert messages_of(confirmed) == ["Your service is changed; 67.74 ZAR will be charged."]
    change = ServiceChange.objects.get()
    assert (change.amount, change.to_plan) == (Decimal("67.7419"), catalog["iron"])
    service.refresh_from_db()
    assert service.plan == catalog["iron"]


def test_a_downgrade_is_credited(portal, catalog, buyer):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = active_service(catalog, buyer, plan="diamond")
    with time_machine.travel(dt.datetime(2026, 3, 16, 12, 0, tzinfo=SAST), tick=False):
        confirmed = portal.post(f"/portal/services/{service.pk}/change/confirm/", {"plan": catalog["stone"].pk})
    assert messages_of(confirmed) == ["Your service is changed; 150.00 ZAR will be credited to your balance."]
    assert ServiceChange.objects.get().amount == Decimal("-150.0000")


def test_a_bad_change_is_refused_on_the_service_page(portal, catalog, buyer):
    service = active_service(catalog, buyer)
    with unchanged():
        response = portal.post(
            f"/portal/services/{service.pk}/change/", {"plan": catalog["stone"].pk, "option_ram_gb": 99}
        )
    assert response.status_code == 422
    assert response.context["change_form"].errors == {"option_ram_gb": ["RAM (GB) must be between 2 and 16."]}
    with unchanged():
        response = portal.post(f"/portal/services/{service.pk}/change/", {"plan": catalog["stone"].pk})
    assert response.context["change_form"].errors == {"plan": ["That is what the service has now."]}


def test_cancel_at_the_end_of_the_period(portal, catalog, buyer):
    service = active_service(catalog, buyer)
    with unchanged():
        response = portal.post(f"/portal/services/{service.pk}/cancel/", {"when": "someday"})
    assert response.status_code == 422
    assert response.context["cancel_form"].errors == {
        "when": ["Select a valid choice. someday is not one of the available choices."]
    }
    response = portal.post(f"/portal/services/{service.pk}/cancel/", {"when": "period_end", "reason": "school"})
    assert messages_of(response) == ["Your cancellation is recorded."]
    service.refresh_from_db()
    assert (service.status, service.cancel_at_period_end) == (ServiceStatus.ACTIVE, True)


def test_another_customers_service_and_cart_item_are_not_found(portal, catalog, owner_b):
    from hostkeep.accounts.selectors import actor_for_user

    owner_b.customer.currency = "ZAR"
    owner_b.customer.save()
    other = actor_for_user(owner_b.user)
    their_service = active_service(catalog, other)
    their_item, _quote = actions.cart_add(actor=other, plan_id=catalog["iron"].pk)
    for method, path, data in [
        ("get", f"/portal/services/{their_service.pk}/", None),
        ("post", f"/portal/services/{their_service.pk}/change/", {"plan": catalog["iron"].pk}),
        ("post", f"/portal/services/{their_service.pk}/change/confirm/", {"plan": catalog["iron"].pk}),
        ("post", f"/portal/services/{their_service.pk}/cancel/", {"when": "now"}),
        ("post", f"/portal/cart/{their_item.pk}/remove/", {}),
    ]:
        with unchanged():
            response = getattr(portal, method)(path, data)
        assert response.status_code == 404, path
    assert their_item.pk not in [item.pk for item in portal.get("/portal/cart/").context["items"]]


def test_a_read_only_contact_sees_services_but_cannot_order_or_change(catalog, buyer):
    service = active_service(catalog, buyer)
    reader = ContactFactory(customer=buyer.customer, role="read_only")
    client = log_in(Client(), reader.user)
    page = client.get(f"/portal/services/{service.pk}/")
    assert (page.status_code, page.context["change_form"], page.context["can_manage"]) == (200, None, False)
    order_page = client.get(ORDER_PAGE)
    assert order_page.context["can_order"] is False
    with unchanged():
        assert client.post(ORDER_PAGE, order_form(catalog)).status_code == 403
    with unchanged():
        assert client.post(f"/portal/services/{service.pk}/cancel/", {"when": "now"}).status_code == 403
