"""The Stripe gateway against the Stripe simulator over HTTP, with Hostkeep's real webhook
endpoint on Django's live server: Checkout, signatures, duplicates, saved methods, refunds."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
import requests
import stripe

from hostkeep.integrations.stripe.simulator import StripeSimulator
from hostkeep.payments import actions
from hostkeep.payments.choices import NotificationVerdict, PaymentStatus, RefundStatus
from hostkeep.payments.models import NotificationLog, Payment, SavedMethod
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
def stripe_account(simulator: StripeSimulator, live_server, settings):
    settings.BASE_URL = live_server.url
    account = gateway_account("stripe", label="Card", settings={"api_base": simulator.url, "timeout": 3})
    endpoint = simulator.add_webhook_endpoint(f"{live_server.url}/payments/gateways/{account.pk}/notify/")
    account.credentials = {"secret_key": simulator.secret_key, "webhook_secret": endpoint.secret}
    account.save()
    return account


@pytest.fixture
def contact(db):
    return zar_contact()


def pay_on_page(payment: Payment, card: str = "pm_card_visa") -> requests.Response:
    return requests.post(
        payment.redirect_url, data={"action": "pay", "payment_method": card}, timeout=5, allow_redirects=False
    )


def test_checkout_paid_by_webhook_credits_once_despite_duplicates(simulator, stripe_account, contact):
    payment = actions.payment_start(
        actor=actor_of(contact), account_id=stripe_account.pk, amount="150.00", reference="top-up", idempotency_key="k1"
    )
    assert payment.redirect_url.startswith(simulator.url)
    assert pay_on_page(payment).status_code == 303
    simulator.duplicate_next_webhooks(50)
    attempts = simulator.send_webhooks(order="reverse")
    assert {a.status for a in attempts} == {200}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount_received == Decimal("150.0000")
    assert payment.gateway_transaction_id.startswith("pi_")
    assert balance(contact) == zar("150.00")
    assert payment_credits(contact.customer_id) == 1
    verdicts = list(NotificationLog.objects.filter(account=stripe_account).values_list("verdict", flat=True))
    assert verdicts.count(NotificationVerdict.APPLIED) == 1
    assert verdicts.count(NotificationVerdict.DUPLICATE) >= 1
    # The dashboard's "resend" later: still one credit.
    event = simulator.events("payment_intent.succeeded")[0]
    simulator.redeliver_webhook(event["id"])
    assert payment_credits(contact.customer_id) == 1
    ledger_sound()


def test_forged_unsigned_and_stale_webhooks_pay_nothing(simulator, stripe_account, contact, live_server):
    payment = actions.payment_start(
        actor=actor_of(contact), account_id=stripe_account.pk, amount="99.00", reference="top-up", idempotency_key="k2"
    )
    simulator.hold_webhooks()
    pay_on_page(payment)
    event = simulator.events("payment_intent.succeeded")[0]
    body = json.dumps(event).encode()
    url = f"{live_server.url}/payments/gateways/{stripe_account.pk}/notify/"
    unsigned = requests.post(url, data=body, timeout=5)
    timestamp = int(time.time())
    forged_header = (
        f"t={timestamp},v1={stripe.WebhookSignature._compute_signature(f'{timestamp}.{body.decode()}', 'whsec_wrong')}"
    )
    forged = requests.post(url, data=body, headers={"Stripe-Signature": forged_header}, timeout=5)
    secret = stripe_account.credentials["webhook_secret"]
    old = timestamp - 301
    stale_header = f"t={old},v1={stripe.WebhookSignature._compute_signature(f'{old}.{body.decode()}', secret)}"
    stale = requests.post(url, data=body, headers={"Stripe-Signature": stale_header}, timeout=5)
    assert (unsigned.status_code, forged.status_code, stale.status_code) == (400, 400, 400)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert balance(contact) == zar(0)
    assert payment_credits(contact.customer_id) == 0
    assert list(NotificationLog.objects.values_list("verdict", flat=True)) == [NotificationVerdict.REJECTED] * 3
    # The genuine one, signed now, still works afterwards.
    simulator.release_webhooks()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert balance(contact) == zar("99.00")


def test_return_page_confirms_without_webhook_and_the_late_webhook_is_harmless(simulator, stripe_account, contact):
    payment = actions.payment_start(
        actor=actor_of(contact), account_id=stripe_account.pk, amount="40.00", reference="top-up", idempotency_key="k3"
    )
    simulator.hold_webhooks()
    pay_on_page(payment)
    assert actions.payment_confirm(payment_id=payment.pk).status == PaymentStatus.SUCCEEDED
    simulator.release_webhooks(order="shuffle", duplicate=True)
    assert payment_credits(contact.customer_id) == 1
    assert balance(contact) == zar("40.00")


def test_decline_then_success_on_the_same_page(simulator, stripe_account, contact):
    payment = actions.payment_start(
        actor=actor_of(contact), account_id=stripe_account.pk, amount="25.00", reference="top-up", idempotency_key="k4"
    )
    pay_on_page(payment, "pm_card_chargeDeclined")
    simulator.send_webhooks()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert balance(contact) == zar(0)
    pay_on_page(payment, "pm_card_visa")
    simulator.send_webhooks()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert balance(contact) == zar("25.00")


def test_saved_card_and_refunds_never_above_paid(simulator, stripe_account, contact, admin):
    payment = actions.payment_start(
        actor=actor_of(contact),
        account_id=stripe_account.pk,
        amount="200.00",
        reference="top-up",
        idempotency_key="k5",
        save_method=True,
    )
    pay_on_page(payment)
    simulator.send_webhooks()
    method = SavedMethod.objects.get(customer=contact.customer)
    assert method.token.startswith("pm_")
    assert method.label == "Visa •••• 4242"
    assert method.is_default
    staff = actor_of_staff(admin)
    refund = actions.refund_request(actor=staff, payment_id=payment.pk, amount="50.00", reason="goodwill", key="r1")
    assert refund.status == RefundStatus.SUCCEEDED
    assert balance(contact) == zar("150.00")
    with pytest.raises(actions.ValidationFailed):
        actions.refund_request(actor=staff, payment_id=payment.pk, amount="150.01", reason="too much", key="r2")
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("50.0000")
    assert balance(contact) == zar("150.00")
    intent = simulator.get(payment.gateway_transaction_id)
    assert simulator.get(intent["latest_charge"])["amount_refunded"] == 5000
    simulator.send_webhooks()  # refund events arrive later: nothing changes
    assert balance(contact) == zar("150.00")
    ledger_sound()


def actor_of_staff(staff):
    from hostkeep.accounts.selectors import actor_for_user

    return actor_for_user(staff.user)
