"""The payments API (scoped to the caller, list cost independent of size), and the events
payments registers in the notifications catalogue."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hostkeep.accounts.tests.clients import ApiClient
from hostkeep.accounts.tests.factories import api_token_for
from hostkeep.notifications.catalogue import EVENT_TYPES, Audience
from hostkeep.payments import actions
from hostkeep.payments.models import Payment
from hostkeep.payments.notifications import describe_customer, describe_staff
from hostkeep.payments.tests.helpers import gateway_account, zar_contact

pytestmark = pytest.mark.django_db


def record(staff_actor, contact, manual, count: int, prefix: str) -> list[Payment]:
    return [
        actions.payment_record_manual(
            actor=staff_actor,
            customer_id=contact.customer_id,
            account_id=manual.pk,
            amount="10.00",
            reason="cash",
            key=f"{prefix}{n}",
        )
        for n in range(count)
    ]


def test_api_lists_only_the_callers_payments_and_starts_a_bank_payment(staff_actor):
    manual = gateway_account("manual", label="Cash")
    bank = gateway_account("bank", label="EFT")
    alpha, beta = zar_contact("Alpha"), zar_contact("Beta")
    theirs = record(staff_actor, beta, manual, 1, "b")[0]
    _token, plain = api_token_for(alpha.user)
    api = ApiClient(Client(), token=plain)
    status, body = api.get("payments/")
    assert (status, body["count"]) == (200, 0)
    status, body = api.get(f"payments/{theirs.pk}")
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = api.get("payments/options")
    assert [option["gateway"] for option in body] == ["bank"]
    status, body = api.post(
        "payments/", {"account_id": bank.pk, "amount": "75.00", "reference": "top-up", "idempotency_key": "x1"}
    )
    assert status == 201
    assert body["bank_reference"].startswith("HK")
    assert body["status"] == "pending"
    again = api.post("payments/", {"account_id": bank.pk, "amount": "75.00", "idempotency_key": "x1"})
    assert again[1]["id"] == body["id"]
    status, body = api.post("payments/", {"account_id": manual.pk, "amount": "5.00", "idempotency_key": "x2"})
    assert status == 404  # staff-only method
    assert Payment.objects.filter(customer=alpha.customer).count() == 1


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_payment_lists_cost_the_same_queries_for_2_or_20(staff_actor, admin, who, django_assert_num_queries):
    manual = gateway_account("manual", label="Cash")
    contact = zar_contact()
    client = Client()
    client.force_login(contact.user if who == "owner" else admin.user)
    path = "/api/v1/payments/" if who == "owner" else "/api/v1/staff/payments/"
    record(staff_actor, contact, manual, 2, "few")
    client.get(path)
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    record(staff_actor, contact, manual, 18, "many")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(path)
    assert response.json()["count"] == 20


def test_events_are_in_the_catalogue_with_plain_values(staff_actor):
    assert {topic: EVENT_TYPES[topic].audience for topic in EVENT_TYPES if topic.startswith("payment.")} == {
        "payment.received": (Audience.CONTACT_BILLING,),
        "payment.declined": (Audience.CONTACT_BILLING,),
        "payment.refunded": (Audience.CONTACT_BILLING,),
        "payment.held_for_review": (Audience.STAFF_ACCOUNTANT,),
    }
    contact = zar_contact()
    manual = gateway_account("manual", label="Cash desk")
    payment = record(staff_actor, contact, manual, 1, "e")[0]
    payload = {"payment_id": payment.pk, "customer_id": contact.customer_id, "amount": "10.0000", "currency": "ZAR"}
    described = describe_customer(payload)
    assert described is not None
    assert described.customer_id == contact.customer_id
    assert described.context["amount"] == "10.00 ZAR"
    assert described.context["gateway"] == "Cash desk"
    assert described.link == f"/portal/payments/{payment.pk}/"
    assert describe_staff(payload).link == f"/staff/payments/{payment.pk}/"
    assert describe_customer({**payload, "payment_id": 999999}) is None
