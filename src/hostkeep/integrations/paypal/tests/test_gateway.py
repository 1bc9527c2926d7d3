"""The PayPal gateway against the PayPal simulator over HTTP: order, approval, capture on the
buyer's return (or by reconciliation), verified webhooks that apply once, refunds."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import requests

from hostkeep.integrations.paypal.simulator import PayPalSimulator
from hostkeep.payments import actions
from hostkeep.payments.choices import NotificationVerdict, PaymentStatus, RefundStatus
from hostkeep.payments.models import NotificationLog
from hostkeep.payments.tasks import payments_reconcile_now
from hostkeep.payments.tests.helpers import (
    actor_of,
    balance,
    gateway_account,
    ledger_sound,
    payment_credits,
    zar,
    zar_contact,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sim(live_server, settings):
    settings.BASE_URL = live_server.url
    with PayPalSimulator(auto_deliver=False) as running:
        yield running


@pytest.fixture
def account(sim, live_server):
    created = gateway_account(
        "paypal",
        label="PayPal",
        credentials={"client_id": sim.client_id, "client_secret": sim.client_secret},
        settings={"api_base": sim.url, "timeout": 3},
    )
    webhook_id = sim.add_webhook(f"{live_server.url}/payments/gateways/{created.pk}/notify/")
    created.settings = {**created.settings, "webhook_id": webhook_id}
    created.save()
    return created


def test_capture_on_return_and_duplicate_out_of_order_webhooks_apply_once(sim, account, admin):
    contact = zar_contact()
    payment = actions.payment_start(
        actor=actor_of(contact), account_id=account.pk, amount="120.00", reference="top-up", idempotency_key="a"
    )
    assert "/checkoutnow?token=" in payment.redirect_url
    sim.approve_order(payment.gateway_payment_id)
    assert actions.payment_confirm(payment_id=payment.pk).status == PaymentStatus.SUCCEEDED
    assert actions.payment_confirm(payment_id=payment.pk).status == PaymentStatus.SUCCEEDED  # reload of the page
    sim.duplicate_next_webhooks(10)
    sim.send_webhooks(order="reverse")
    payment.refresh_from_db()
    assert payment.amount_received == Decimal("120.0000")
    assert payment_credits(contact.customer_id) == 1
    assert balance(contact) == zar("120.00")
    assert NotificationVerdict.REJECTED not in set(NotificationLog.objects.values_list("verdict", flat=True))
    from hostkeep.accounts.selectors import actor_for_user

    staff = actor_for_user(admin.user)
    refund = actions.refund_request(actor=staff, payment_id=payment.pk, amount="20.00", reason="partial", key="r")
    assert refund.status == RefundStatus.SUCCEEDED
    with pytest.raises(actions.ValidationFailed):
        actions.refund_request(actor=staff, payment_id=payment.pk, amount="100.01", reason="too much", key="r2")
    assert balance(contact) == zar("100.00")
    ledger_sound()


def test_buyer_never_returns_reconciliation_captures(sim, account):
    contact = zar_contact()
    payment = actions.payment_start(
        actor=actor_of(contact), account_id=account.pk, amount="60.00", reference="top-up", idempotency_key="b"
    )
    assert payments_reconcile_now(timeout=dt.timedelta(0))["payments"] == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # not approved yet: nothing captured
    sim.approve_order(payment.gateway_payment_id)
    payments_reconcile_now(timeout=dt.timedelta(0))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert balance(contact) == zar("60.00")


def test_forged_and_stale_webhooks_are_refused(sim, account, live_server):
    contact = zar_contact()
    payment = actions.payment_start(
        actor=actor_of(contact), account_id=account.pk, amount="60.00", reference="top-up", idempotency_key="c"
    )
    sim.approve_order(payment.gateway_payment_id)
    sim.hold_webhooks()
    actions.payment_confirm(payment_id=payment.pk)  # captures; events are held back
    url = f"{live_server.url}/payments/gateways/{account.pk}/notify/"
    attempts = sim.release_webhooks()
    captured = next(a for a in attempts if a.event_type == "PAYMENT.CAPTURE.COMPLETED")
    body = json.loads(captured.body)
    body["resource"]["amount"]["value"] = "1.00"
    headers = {k: v for k, v in captured.request_headers.items() if k.lower().startswith("paypal-")}
    forged = requests.post(url, data=json.dumps(body), headers=headers, timeout=5)
    unsigned = requests.post(url, data=captured.body, timeout=5)
    stale_headers = {**headers, "PAYPAL-TRANSMISSION-TIME": "2020-01-01T00:00:00Z"}
    stale = requests.post(url, data=captured.body, headers=stale_headers, timeout=5)
    assert (forged.status_code, unsigned.status_code, stale.status_code) == (400, 400, 400)
    assert payment_credits(contact.customer_id) == 1
    assert balance(contact) == zar("60.00")
    assert (
        list(NotificationLog.objects.order_by("-id").values_list("verdict", flat=True)[:3])
        == [NotificationVerdict.REJECTED] * 3
    )
