"""Staff pages for services, orders and the catalogue, and the catalogue in Django admin.
Actions on a service need a reason and the services permission; support line 1 may look
only; customers are sent back to the portal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.accounts.tests.clients import log_in
from hostkeep.accounts.tests.factories import StaffFactory
from hostkeep.catalog.models import Product
from hostkeep.services import actions
from hostkeep.services.choices import OrderStatus, ServiceStatus
from hostkeep.services.models import Order, Service, ServiceChange
from hostkeep.services.tests.snapshots import unchanged

NEEDS_REASON = "Give a reason; it is kept in the service's history."


@pytest.fixture
def admin_page(admin) -> Client:
    return log_in(Client(), admin.user)


@pytest.fixture
def support_page(db) -> Client:
    return log_in(Client(), StaffFactory(role=StaffRole.SUPPORT_LINE_1).user)


def ordered(catalog, buyer, plan="stone", active=True) -> Service:
    actions.cart_add(actor=buyer, plan_id=catalog[plan].pk)
    service = Service.objects.get(order_line__order=actions.checkout(actor=buyer))
    if active:
        actions.service_transition(service_id=service.pk, to=ServiceStatus.PROVISIONING, actor=SYSTEM_ACTOR)
        actions.service_transition(service_id=service.pk, to=ServiceStatus.ACTIVE, actor=SYSTEM_ACTOR)
    return service


def test_services_list_with_filters(admin_page, catalog, buyer):
    active = ordered(catalog, buyer)
    pending = ordered(catalog, buyer, plan="iron", active=False)
    response = admin_page.get("/staff/services/")
    assert list(response.context["page"].object_list) == [pending, active]
    assert "Alpha Games" in response.text
    assert list(admin_page.get("/staff/services/", {"status": "active"}).context["page"].object_list) == [active]
    assert list(admin_page.get("/staff/services/", {"q": "beta"}).context["page"].object_list) == []
    assert list(admin_page.get("/staff/services/", {"q": "alpha"}).context["page"].object_list) == [pending, active]


def test_suspend_needs_a_reason_then_is_recorded(admin_page, catalog, buyer):
    service = ordered(catalog, buyer)
    with unchanged():
        response = admin_page.post(f"/staff/services/{service.pk}/suspend/", {"reason": ""})
    assert response.status_code == 422
    assert response.context["action_form"].errors == {"reason": [NEEDS_REASON]}
    response = admin_page.post(f"/staff/services/{service.pk}/suspend/", {"reason": "chargeback"})
    assert response["Location"] == f"/staff/services/{service.pk}/"
    service.refresh_from_db()
    assert service.status == ServiceStatus.SUSPENDED
    page = admin_page.get(f"/staff/services/{service.pk}/")
    assert [e.reason for e in page.context["service"].events.all()][-1] == "chargeback"
    with unchanged():
        response = admin_page.post(f"/staff/services/{service.pk}/suspend/", {"reason": "again"})
    assert response.context["action_form"].errors == {
        "__all__": ["A service that is Suspended cannot become Suspended."]
    }
    admin_page.post(f"/staff/services/{service.pk}/unsuspend/", {"reason": "paid"})
    admin_page.post(f"/staff/services/{service.pk}/terminate/", {"reason": "left"})
    service.refresh_from_db()
    assert service.status == ServiceStatus.TERMINATED


def test_change_plan_and_due_date_with_reasons(admin_page, catalog, buyer):
    service = ordered(catalog, buyer)
    with unchanged():
        response = admin_page.post(f"/staff/services/{service.pk}/change-plan/", {"plan": catalog["iron"].pk})
    assert response.context["change_form"].errors == {"reason": [NEEDS_REASON]}
    response = admin_page.post(
        f"/staff/services/{service.pk}/change-plan/", {"plan": catalog["iron"].pk, "reason": "goodwill"}
    )
    assert response.status_code == 302
    change = ServiceChange.objects.get()
    assert (change.to_plan, change.reason) == (catalog["iron"], "goodwill")

    new_date = service.next_due_date + dt.timedelta(days=10)
    with unchanged():
        response = admin_page.post(f"/staff/services/{service.pk}/due-date/", {"due_date": "2000-01-01", "reason": "x"})
    assert response.context["due_date_form"].errors == {
        "due_date": ["The due date must be after the start of the current period."]
    }
    admin_page.post(f"/staff/services/{service.pk}/due-date/", {"due_date": new_date.isoformat(), "reason": "outage"})
    service.refresh_from_db()
    assert service.next_due_date == new_date


def test_support_line_1_sees_services_but_cannot_act(support_page, catalog, buyer):
    service = ordered(catalog, buyer)
    page = support_page.get(f"/staff/services/{service.pk}/")
    assert (page.status_code, page.context["can_manage"]) == (200, False)
    assert f"/staff/services/{service.pk}/suspend/" not in page.text
    for path, data in [
        (f"/staff/services/{service.pk}/suspend/", {"reason": "x"}),
        (f"/staff/services/{service.pk}/terminate/", {"reason": "x"}),
        (f"/staff/services/{service.pk}/change-plan/", {"plan": catalog["iron"].pk, "reason": "x"}),
        (f"/staff/services/{service.pk}/due-date/", {"due_date": "2031-01-01", "reason": "x"}),
        (f"/staff/orders/{service.order_line.order_id}/approve/", {}),
    ]:
        with unchanged():
            assert support_page.post(path, data).status_code == 403, path
    assert support_page.get("/staff/catalogue/").status_code == 403


def test_orders_awaiting_approval_are_approved(admin_page, catalog, buyer):
    Product.objects.filter(pk=catalog["product"].pk).update(requires_approval=True)
    order = ordered(catalog, buyer, active=False).order_line.order
    page = admin_page.get("/staff/orders/", {"status": "awaiting_approval"})
    assert list(page.context["page"].object_list) == [order]
    assert f"/staff/orders/{order.pk}/approve/" in page.text
    response = admin_page.post(f"/staff/orders/{order.pk}/approve/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"Order {order.number} approved."]
    assert Order.objects.get().status == OrderStatus.APPROVED
    with unchanged():
        response = admin_page.post(f"/staff/orders/{order.pk}/approve/")
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == "This order is not waiting for approval."


def test_catalogue_overview_links_to_the_configuration_area(admin_page, admin, catalog):
    admin.user.is_staff = True  # what staff_member_save gives the admin role
    admin.user.save()
    page = admin_page.get("/staff/catalogue/")
    assert page.status_code == 200
    assert f'href="/config/catalog/product/{catalog["product"].pk}/change/"' in page.text
    assert "LAUNCH20" in page.text
    assert "2000.00 ZAR · 1 year" in page.text


def test_a_customer_gets_no_staff_services_page(catalog, buyer, owner_a):
    client = log_in(Client(), owner_a.user)
    for page in ("/staff/services/", "/staff/orders/", "/staff/catalogue/"):
        assert client.get(page)["Location"] == "/portal/"


# --- the catalogue in Django admin -----------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["productgroup", "product", "plan", "configurableoption", "addon", "promocode", "taxclass"]
)
def test_admin_pages_of_the_catalogue_open_for_the_admin_role(admin_page, admin, catalog, model):
    admin.user.is_staff = True  # what staff_member_save gives the admin role
    admin.user.save()
    assert admin_page.get(f"/config/catalog/{model}/").status_code == 200
    assert admin_page.get(f"/config/catalog/{model}/add/").status_code == 200


def test_admin_product_form_validates_module_settings(admin_page, admin, catalog):
    admin.user.is_staff = True
    admin.user.save()
    product = catalog["product"]
    data = {
        "group": catalog["group"].pk,
        "name": product.name,
        "slug": product.slug,
        "description": "",
        "visibility": "public",
        "sort_order": 0,
        "module": "",
        "module_settings": '{"egg_id": 5}',
        "tax_class": catalog["vat"].pk,
        "grace_days": 3,
        "termination_days": 14,
        "auto_renew_default": "on",
        "refund_policy": "prorated",
    }
    with unchanged():
        response = admin_page.post(f"/config/catalog/product/{product.pk}/change/", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"module_settings": ["{'egg_id': 5} is expected to be empty"]}
    response = admin_page.post(f"/config/catalog/product/{product.pk}/change/", {**data, "module_settings": "{}"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.module_settings == {}


def test_admin_catalogue_is_closed_to_roles_without_the_catalogue_permission(catalog):
    member = StaffFactory(role=StaffRole.SUPPORT_LINE_1)
    member.user.is_staff = True
    member.user.save()
    client = log_in(Client(), member.user)
    assert client.get("/config/catalog/product/").status_code == 403
    with unchanged():
        client.post(f"/config/catalog/promocode/{catalog['promo'].pk}/change/", {"code": "FREE", "value": "100"})
    catalog["promo"].refresh_from_db()
    assert catalog["promo"].value == Decimal("20")
