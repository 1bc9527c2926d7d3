"""The staff side of the services API: every customer's services and orders, and the
actions on a service, each with a reason. Who may do what is permissions.py's table:
support line 1 may look but not act, customers get nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import ContactFactory, StaffFactory, api_token_for
from hostkeep.catalog.models import Product
from hostkeep.services import actions
from hostkeep.services.choices import OrderStatus, ServiceStatus
from hostkeep.services.models import Order, Service, ServiceChange, ServiceEvent
from hostkeep.services.tests.snapshots import unchanged

SAST = dt.timezone(dt.timedelta(hours=2))
REFUSED = {"error": {"code": "permission_denied", "message": "You do not have permission to do this."}}
NEEDS_REASON = {"reason": ["Give a reason; it is kept in the service's history."]}


@pytest.fixture
def staff_api(admin):
    return ApiClient(log_in(Client(), admin.user))


@pytest.fixture
def support_api(db):
    _token, plain = api_token_for(StaffFactory(role=StaffRole.SUPPORT_LINE_1).user)
    return ApiClient(Client(), token=plain)


@pytest.fixture
def customer_api(buyer, owner_a):
    return ApiClient(log_in(Client(), owner_a.user))


def ordered(catalog, actor, plan="stone", active=True) -> Service:
    actions.cart_add(actor=actor, plan_id=catalog[plan].pk)
    order = actions.checkout(actor=actor)
    service = Service.objects.get(order_line__order=order)
    if active:
        actions.service_transition(service_id=service.pk, to=ServiceStatus.PROVISIONING, actor=SYSTEM_ACTOR)
        actions.service_transition(service_id=service.pk, to=ServiceStatus.ACTIVE, actor=SYSTEM_ACTOR)
    return service


def test_staff_list_every_customers_services_with_filters(staff_api, support_api, catalog, buyer, other_buyer):
    alpha = ordered(catalog, buyer)
    beta = ordered(catalog, other_buyer, plan="iron", active=False)
    for api in (staff_api, support_api):
        status, body = api.get("staff/services")
        assert status == 200
        assert [(row["id"], row["customer_name"], row["status"]) for row in body["items"]] == [
            (beta.pk, "Beta Blocks", "pending"),
            (alpha.pk, "Alpha Games", "active"),
        ]
    assert [row["id"] for row in staff_api.get("staff/services?status=active")[1]["items"]] == [alpha.pk]
    assert [row["id"] for row in staff_api.get("staff/services?search=beta")[1]["items"]] == [beta.pk]
    email = buyer.user.email
    assert [row["id"] for row in staff_api.get(f"staff/services?search={email}")[1]["items"]] == [alpha.pk]
    assert [row["id"] for row in staff_api.get(f"staff/services?customer_id={beta.customer_id}")[1]["items"]] == [
        beta.pk
    ]
    status, detail = support_api.get(f"staff/services/{alpha.pk}")
    assert (status, detail["customer_id"], detail["plan"]) == (200, alpha.customer_id, "Stone")
    assert [(e["from_status"], e["to_status"]) for e in detail["events"]] == [
        ("", "pending"),
        ("pending", "provisioning"),
        ("provisioning", "active"),
    ]
    assert staff_api.get("staff/services/999999") == (
        404,
        {"error": {"code": "not_found", "message": "Service not found."}},
    )


def test_suspend_unsuspend_terminate_each_need_a_reason(staff_api, catalog, buyer, admin):
    service = ordered(catalog, buyer)
    for verb in ("suspend", "unsuspend", "terminate"):
        with unchanged():
            status, body = staff_api.post(f"staff/services/{service.pk}/{verb}", {"reason": "  "})
        assert (status, body["error"]["fields"]) == (422, NEEDS_REASON)
    status, body = staff_api.post(f"staff/services/{service.pk}/suspend", {"reason": "abuse report #12"})
    assert (status, body["status"]) == (200, "suspended")
    status, body = staff_api.post(f"staff/services/{service.pk}/unsuspend", {"reason": "resolved"})
    assert (status, body["status"]) == (200, "active")
    status, body = staff_api.post(f"staff/services/{service.pk}/terminate", {"reason": "customer left"})
    assert (status, body["status"]) == (200, "terminated")
    assert [e["reason"] for e in body["events"][-3:]] == ["abuse report #12", "resolved", "customer left"]
    assert ServiceEvent.objects.filter(service=service).last().actor_label == admin.user.email
    with unchanged():
        status, body = staff_api.post(f"staff/services/{service.pk}/unsuspend", {"reason": "oops"})
    assert (status, body["error"]["code"]) == (409, "invalid_transition")


def test_staff_change_plan_with_a_reason_prorated_like_the_customers(staff_api, catalog, buyer):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = ordered(catalog, buyer)
    with time_machine.travel(dt.datetime(2026, 3, 11, 0, 0, tzinfo=SAST), tick=False):
        with unchanged():
            status, body = staff_api.post(f"staff/services/{service.pk}/change-plan", {"plan_id": catalog["iron"].pk})
        assert (status, body["error"]["fields"]) == (422, NEEDS_REASON)
        status, preview = staff_api.post(
            f"staff/services/{service.pk}/change-plan/preview", {"plan_id": catalog["iron"].pk}
        )
        assert (status, preview["amount"]) == (200, "67.7419")
        status, change = staff_api.post(
            f"staff/services/{service.pk}/change-plan", {"plan_id": catalog["iron"].pk, "reason": "goodwill"}
        )
    assert (status, change["amount"], change["reason"]) == (201, "67.7419", "goodwill")
    service.refresh_from_db()
    assert service.plan == catalog["iron"]


def test_a_staff_member_who_is_also_a_customer_acts_as_staff(catalog, buyer, admin):
    ContactFactory(user=admin.user)  # the admin also owns an account of their own
    api = ApiClient(log_in(Client(), admin.user))
    service = ordered(catalog, buyer)
    status, _change = api.post(
        f"staff/services/{service.pk}/change-plan", {"plan_id": catalog["iron"].pk, "reason": "goodwill"}
    )
    assert status == 201
    assert ServiceChange.objects.get().to_plan == catalog["iron"]


def test_staff_move_the_due_date_with_a_reason(staff_api, catalog, buyer):
    service = ordered(catalog, buyer)
    new_date = service.next_due_date + dt.timedelta(days=7)
    with unchanged():
        status, body = staff_api.post(f"staff/services/{service.pk}/due-date", {"due_date": new_date.isoformat()})
    assert (status, body["error"]["fields"]) == (422, NEEDS_REASON)
    with unchanged():
        status, body = staff_api.post(
            f"staff/services/{service.pk}/due-date", {"due_date": "2000-01-01", "reason": "typo"}
        )
    assert (status, list(body["error"]["fields"])) == (422, ["due_date"])
    status, body = staff_api.post(
        f"staff/services/{service.pk}/due-date", {"due_date": new_date.isoformat(), "reason": "outage"}
    )
    assert (status, body["next_due_date"]) == (200, new_date.isoformat())


def test_staff_approve_orders_that_wait_for_approval(staff_api, catalog, buyer):
    Product.objects.filter(pk=catalog["product"].pk).update(requires_approval=True)
    service = ordered(catalog, buyer, active=False)
    order = service.order_line.order
    status, body = staff_api.get("staff/orders?status=awaiting_approval")
    assert [(row["id"], row["customer_name"], row["total"]) for row in body["items"]] == [
        (order.pk, "Alpha Games", "172.5000")
    ]
    status, body = staff_api.post(f"staff/orders/{order.pk}/approve", {})
    assert (status, body["status"]) == (200, "approved")
    with unchanged():
        status, body = staff_api.post(f"staff/orders/{order.pk}/approve", {})
    assert (status, body["error"]["code"]) == (409, "invalid_state")
    assert Order.objects.get().status == OrderStatus.APPROVED


def test_support_line_1_may_look_but_not_act(support_api, catalog, buyer):
    Product.objects.filter(pk=catalog["product"].pk).update(requires_approval=True)
    service = ordered(catalog, buyer, active=False)
    actions.service_transition(service_id=service.pk, to=ServiceStatus.PROVISIONING, actor=SYSTEM_ACTOR)
    actions.service_transition(service_id=service.pk, to=ServiceStatus.ACTIVE, actor=SYSTEM_ACTOR)
    assert support_api.get("staff/orders")[0] == 200
    for path, body in [
        (f"staff/services/{service.pk}/suspend", {"reason": "x"}),
        (f"staff/services/{service.pk}/unsuspend", {"reason": "x"}),
        (f"staff/services/{service.pk}/terminate", {"reason": "x"}),
        (f"staff/services/{service.pk}/change-plan", {"plan_id": catalog["iron"].pk, "reason": "x"}),
        (f"staff/services/{service.pk}/change-plan/preview", {"plan_id": catalog["iron"].pk}),
        (f"staff/services/{service.pk}/due-date", {"due_date": "2030-01-01", "reason": "x"}),
        (f"staff/orders/{service.order_line.order_id}/approve", {}),
    ]:
        with unchanged():
            assert support_api.post(path, body) == (403, REFUSED), path


def test_customers_get_no_staff_endpoint(customer_api, catalog, buyer):
    service = ordered(catalog, buyer)
    for method, path, body in [
        ("GET", "staff/services", None),
        ("GET", f"staff/services/{service.pk}", None),
        ("GET", "staff/orders", None),
        ("POST", f"staff/services/{service.pk}/suspend", {"reason": "x"}),
        ("POST", f"staff/services/{service.pk}/terminate", {"reason": "x"}),
        ("POST", f"staff/services/{service.pk}/change-plan", {"plan_id": catalog["iron"].pk, "reason": "x"}),
        ("POST", f"staff/services/{service.pk}/due-date", {"due_date": "2030-01-01", "reason": "x"}),
        ("POST", f"staff/orders/{service.order_line.order_id}/approve", {}),
    ]:
        with unchanged():
            assert customer_api.call(method, path, body) == (403, REFUSED), path
    service.refresh_from_db()
    assert (service.status, service.paid_rate) == ("active", Decimal("100.0000"))


def test_the_staff_services_list_costs_the_same_queries_for_1_or_20_services(
    staff_api, catalog, buyer, django_assert_max_num_queries
):
    ordered(catalog, buyer)
    with django_assert_max_num_queries(8) as one:
        status, body = staff_api.get("staff/services")
    assert (status, body["count"]) == (200, 1)
    actions.cart_add(actor=buyer, plan_id=catalog["iron"].pk, quantity=19)
    actions.checkout(actor=buyer)
    with django_assert_max_num_queries(len(one.captured_queries)):
        status, body = staff_api.get("staff/services?limit=100")
    assert (status, body["count"]) == (200, 20)
