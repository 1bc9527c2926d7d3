import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from hostkeep.catalog.models import Product, PromoCode
from hostkeep.core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from hostkeep.core.models import OutboxEvent
from hostkeep.services import actions
from hostkeep.services.choices import OrderStatus, ServiceStatus
from hostkeep.services.models import CartItem, Order, Service, ServiceEvent

SAST = dt.timezone(dt.timedelta(hours=2))


def nothing_ordered():
    return not Order.objects.exists() and not Service.objects.exists()


@time_machine.travel(dt.datetime(2026, 1, 31, 10, 0, tzinfo=SAST), tick=False)
def test_checkout_prices_on_the_server_and_creates_pending_services(catalog, buyer):
    actions.cart_add(
        actor=buyer,
        plan_id=catalog["iron"].pk,
        period_unit="month",
        period_count=1,
        option_values={"ram_gb": 4, "location": "cpt"},
        addon_codes=["backups"],
    )
    order = actions.checkout(actor=buyer, promo_code="launch20", idempotency_key="k1")
    # Iron 200 + RAM 2 GB over the included 2 at 20 + Cape Town 10 + backups 30 = 280/month;
    # 20 % off the first period = 56; plus setup 50 -> 274 net; VAT 15 % -> 41.10.
    assert order.status == OrderStatus.PLACED
    assert (order.net_total, order.discount_total, order.tax_total, order.total) == (
        Decimal("274.0000"),
        Decimal("56.0000"),
        Decimal("41.1000"),
        Decimal("315.1000"),
    )
    assert order.number == "ORD-2026-000001"
    service = Service.objects.get()
    assert service.status == ServiceStatus.PENDING
    assert service.next_due_date == dt.date(2026, 2, 28)
    assert service.anchor_day == 31
    assert service.recurring_amount == Decimal("280.0000")  # the promo was for the first period only
    assert service.paid_rate == Decimal("224.0000")
    assert service.module_limits == {"memory": 4096, "location": "2", "backups": 3}
    assert service.option_values == {"ram_gb": 4, "location": "cpt"}
    assert list(service.addons.values_list("addon__code", "recurring_amount")) == [("backups", Decimal("30.0000"))]
    assert ServiceEvent.objects.get(service=service).to_status == ServiceStatus.PENDING
    assert not CartItem.objects.exists()
    assert PromoCode.objects.get().times_used == 1
    assert OutboxEvent.objects.filter(topic="order.placed").count() == 1
    # the same key again returns the same order and changes nothing
    assert actions.checkout(actor=buyer, promo_code="launch20", idempotency_key="k1") == order
    assert Order.objects.count() == 1


def test_quantity_creates_one_service_per_unit_and_promo_applies_once(catalog, buyer):
    actions.cart_add(actor=buyer, plan_id=catalog["stone"].pk, quantity=3)
    order = actions.checkout(actor=buyer, promo_code="LAUNCH20")
    assert order.lines.count() == 3
    assert Service.objects.filter(customer=buyer.customer).count() == 3
    assert order.discount_total == Decimal("20.0000")  # 20 % of one Stone month (100)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": -1}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": "1e9"}, "quantity"),
        ({"option_values": {"ram_gb": 64}}, "options.ram_gb"),
        ({"option_values": {"ram_gb": 1}}, "options.ram_gb"),
        ({"option_values": {"ram_gb": "lots"}}, "options.ram_gb"),
        ({"option_values": {"location": "mars"}}, "options.location"),
        ({"option_values": {"price": 1}}, "options.price"),
        ({"addon_codes": ["free-money"]}, "addons"),
        ({"period_count": 2}, "period"),
        ({"period_unit": "day"}, "period"),
    ],
)
def test_tampered_cart_requests_are_refused_and_change_nothing(catalog, buyer, change, field):
    arguments = {"plan_id": catalog["iron"].pk, "period_unit": "month", "period_count": 1, **change}
    with pytest.raises(ValidationFailed) as refused:
        actions.cart_add(actor=buyer, **arguments)
    assert field in refused.value.fields
    assert not CartItem.objects.exists()


def test_retired_hidden_and_unknown_plans(catalog, buyer):
    with pytest.raises(NotFound):
        actions.cart_add(actor=buyer, plan_id=999999)
    Product.objects.filter(pk=catalog["product"].pk).update(visibility="retired")
    with pytest.raises(NotFound):
        actions.cart_add(actor=buyer, plan_id=catalog["iron"].pk)
    Product.objects.filter(pk=catalog["product"].pk).update(visibility="hidden")
    actions.cart_add(actor=buyer, plan_id=catalog["iron"].pk)  # hidden products can be ordered by link
    assert CartItem.objects.count() == 1


def test_read_only_contacts_cannot_order(catalog, buyer):
    from hostkeep.accounts.selectors import actor_for_user
    from hostkeep.accounts.tests.factories import ContactFactory

    reader = ContactFactory(customer=buyer.customer, role="read_only")
    with pytest.raises(PermissionRefused):
        actions.cart_add(actor=actor_for_user(reader.user), plan_id=catalog["iron"].pk)
    assert not CartItem.objects.exists()


def test_empty_cart_and_unknown_promo(catalog, buyer):
    with pytest.raises(ValidationFailed):
        actions.checkout(actor=buyer)
    actions.cart_add(actor=buyer, plan_id=catalog["iron"].pk)
    with pytest.raises(ValidationFailed) as refused:
        actions.checkout(actor=buyer, promo_code="NOPE")
    assert "promo_code" in refused.value.fields
    assert nothing_ordered()
    assert CartItem.objects.count() == 1


def test_promo_limits_per_customer_and_expiry(catalog, buyer):
    promo = catalog["promo"]
    promo.max_uses_per_customer = 1
    promo.save()
    actions.cart_add(actor=buyer, plan_id=catalog["stone"].pk)
    actions.checkout(actor=buyer, promo_code="LAUNCH20")
    actions.cart_add(actor=buyer, plan_id=catalog["stone"].pk)
    with pytest.raises(Conflict):
        actions.checkout(actor=buyer, promo_code="LAUNCH20")
    assert Order.objects.count() == 1
    promo.refresh_from_db()
    assert promo.times_used == 1
    promo.max_uses_per_customer = None
    promo.expires_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    promo.save()
    with pytest.raises(ValidationFailed):
        actions.checkout(actor=buyer, promo_code="LAUNCH20")
    assert Order.objects.count() == 1


def test_plan_restricted_promo_and_fixed_amount(catalog, buyer):
    fixed = PromoCode.objects.create(code="R50OFF", kind="fixed", value=Decimal("50"), currency="ZAR")
    fixed.plans.add(catalog["diamond"])
    actions.cart_add(actor=buyer, plan_id=catalog["stone"].pk)
    with pytest.raises(ValidationFailed):
        actions.checkout(actor=buyer, promo_code="r50off")
    CartItem.objects.all().delete()
    actions.cart_add(actor=buyer, plan_id=catalog["diamond"].pk)
    order = actions.checkout(actor=buyer, promo_code="r50off")
    assert order.discount_total == Decimal("50.0000")


def test_stock_limit(catalog, buyer, other_buyer):
    Product.objects.filter(pk=catalog["product"].pk).update(stock_limit=2)
    actions.cart_add(actor=buyer, plan_id=catalog["stone"].pk, quantity=2)
    actions.checkout(actor=buyer)
    actions.cart_add(actor=other_buyer, plan_id=catalog["stone"].pk)
    with pytest.raises(Conflict) as refused:
        actions.checkout(actor=other_buyer)
    assert refused.value.code == "out_of_stock"
    assert Service.objects.count() == 2
    assert Product.objects.get().stock_used == 2


def test_customers_see_only_their_own_orders_and_services(catalog, buyer, other_buyer):
    from hostkeep.services import selectors

    actions.cart_add(actor=buyer, plan_id=catalog["stone"].pk)
    mine = actions.checkout(actor=buyer)
    actions.cart_add(actor=other_buyer, plan_id=catalog["iron"].pk)
    theirs = actions.checkout(actor=other_buyer)
    assert list(selectors.orders_for_customer(buyer)) == [mine]
    assert [s.order_line.order_id for s in selectors.services_for_customer(buyer)] == [mine.pk]
    their_service = Service.objects.get(order_line__order=theirs)
    with pytest.raises(NotFound):
        selectors.service_for_customer(buyer, their_service.pk)
    with pytest.raises(NotFound):
        actions.service_cancel(actor=buyer, service_id=their_service.pk, when="now")
    their_item = actions.cart_add(actor=other_buyer, plan_id=catalog["iron"].pk)[0]
    with pytest.raises(NotFound):
        actions.cart_remove(actor=buyer, item_id=their_item.pk)
    assert CartItem.objects.filter(pk=their_item.pk).exists()
