"""Auto-pay (default method first, then the next; never two charges per invoice), the lost
answer settled by reconciliation, billing settling an invoice when money arrives, and customers
never seeing or using another customer's methods or payments. The Stripe simulator runs over
HTTP on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import pytest
import stripe
from django.urls import reverse

from hostkeep.billing import actions as billing_actions
from hostkeep.billing.choices import InvoiceStatus
from hostkeep.billing.models import BillingProfile
from hostkeep.core.errors import NotFound, PermissionRefused
from hostkeep.core.models import OutboxEvent
from hostkeep.core.outbox import deliver_pending
from hostkeep.integrations.stripe.simulator import StripeSimulator
from hostkeep.payments import actions, selectors
from hostkeep.payments.autopay import autopay_attempt_run, autopay_start
from hostkeep.payments.choices import AutopayStatus, PaymentStatus
from hostkeep.payments.models import AutopayAttempt, Payment, SavedMethod
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

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim():
    with StripeSimulator(auto_deliver=False, hang_seconds=3.0) as running:
        yield running


@pytest.fixture
def card_account(sim):
    return gateway_account(
        "stripe",
        label="Card",
        settings={"api_base": sim.url, "timeout": 1.5},
        credentials={"secret_key": sim.secret_key},
    )


def saved_card(sim, account, contact, test_card: str, *, default: bool, position: int) -> SavedMethod:
    """A card the customer saved at Stripe (attached to their Stripe customer)."""
    client = stripe.StripeClient(sim.secret_key, base_addresses={"api": sim.url}, max_network_retries=0)
    remote = client.v1.customers.list(params={"email": contact.user.email}).data
    customer = remote[0] if remote else client.v1.customers.create(params={"email": contact.user.email})
    method = client.v1.payment_methods.attach(test_card, params={"customer": customer.id})
    return SavedMethod.objects.create(
        customer=contact.customer,
        account=account,
        token=method.id,
        gateway_customer_id=customer.id,
        label=test_card,
        is_default=default,
        position=position,
        created_at=dt.datetime.now(dt.UTC),
    )


def succeeded_intents(sim) -> list[dict]:
    return [pi for pi in sim.list_objects("payment_intent") if pi["status"] == "succeeded"]


def test_autopay_fails_over_from_a_declining_method_and_settles_the_invoice(
    sim, card_account, entity, staff_actor, django_capture_on_commit_callbacks, run_jobs
):
    contact = zar_contact()
    saved_card(sim, card_account, contact, "pm_card_chargeCustomerFail", default=True, position=0)
    working = saved_card(sim, card_account, contact, "pm_card_visa", default=False, position=1)
    BillingProfile.objects.create(customer=contact.customer, legal_entity=entity, autopay=True, mode="postpaid")
    with django_capture_on_commit_callbacks(execute=True):
        invoice = billing_actions.manual_charge(
            actor=staff_actor, customer_id=contact.customer_id, amount="115.00", reason="Setup fee", key="fee"
        )
        deliver_pending()  # invoice.issued -> billing asks payments to auto-pay
    run_jobs()  # autopay_run, then outbox deliveries: payment.received -> billing settles
    deliver_pending()
    attempt = AutopayAttempt.objects.get()
    assert attempt.idempotency_key == f"invoice:{invoice.pk}"
    assert attempt.status == AutopayStatus.SUCCEEDED
    tries = list(Payment.objects.filter(autopay=attempt).order_by("id").values_list("status", "saved_method_id"))
    assert tries[0][0] == PaymentStatus.FAILED
    assert tries[1] == (PaymentStatus.SUCCEEDED, working.pk)
    declined = OutboxEvent.objects.get(topic="payment.declined")
    assert declined.payload["customer_id"] == contact.customer_id
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert balance(contact) == zar(0)
    assert len(succeeded_intents(sim)) == 1
    # Billing asks again (a redelivered event, a second run): no second charge.
    autopay_start(
        customer_id=contact.customer_id, amount=zar("115.00"), reference="x", idempotency_key=f"invoice:{invoice.pk}"
    )
    assert autopay_attempt_run(attempt_id=attempt.pk) == AutopayStatus.SUCCEEDED
    assert AutopayAttempt.objects.count() == 1
    assert len(succeeded_intents(sim)) == 1
    ledger_sound()


def test_timeout_then_success_at_reconciliation_is_one_payment(sim, card_account):
    contact = zar_contact()
    saved_card(sim, card_account, contact, "pm_card_visa", default=True, position=0)
    other = saved_card(sim, card_account, contact, "pm_card_mastercard", default=False, position=1)
    attempt = autopay_start(
        customer_id=contact.customer_id, amount=zar("80.00"), reference="invoice:1", idempotency_key="invoice:1"
    )
    # Stripe takes the charge, but the answer never reaches us.
    sim.fail_next(mode="timeout", executed=True, path="/v1/payment_intents", seconds=3)
    assert autopay_attempt_run(attempt_id=attempt.pk) == AutopayStatus.PENDING
    payment = Payment.objects.get(autopay=attempt)
    assert payment.status == PaymentStatus.UNKNOWN
    assert balance(contact) == zar(0)
    assert not Payment.objects.filter(saved_method=other).exists()  # the next card was not tried
    assert len(succeeded_intents(sim)) == 1
    counts = payments_reconcile_now(timeout=dt.timedelta(0))
    assert counts["charges"] == 1
    payment.refresh_from_db()
    attempt.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert attempt.status == AutopayStatus.SUCCEEDED
    assert balance(contact) == zar("80.00")
    assert payment_credits(contact.customer_id) == 1
    assert len(succeeded_intents(sim)) == 1
    payments_reconcile_now(timeout=dt.timedelta(0))
    assert payment_credits(contact.customer_id) == 1
    ledger_sound()


def test_no_saved_method_is_recorded(card_account):
    contact = zar_contact()
    attempt = autopay_start(customer_id=contact.customer_id, amount=zar("10.00"), reference="r", idempotency_key="k")
    assert autopay_attempt_run(attempt_id=attempt.pk) == AutopayStatus.NO_METHOD
    assert Payment.objects.count() == 0


def test_customers_never_see_or_use_each_others_methods_or_payments(sim, card_account, client):
    alpha, beta = zar_contact("Alpha"), zar_contact("Beta")
    method = saved_card(sim, card_account, alpha, "pm_card_visa", default=True, position=0)
    payment = actions.payment_start(
        actor=actor_of(alpha), account_id=card_account.pk, amount="20.00", reference="top-up", idempotency_key="p"
    )
    as_beta = actor_of(beta)
    assert list(selectors.payments_for_customer(as_beta)) == []
    assert list(selectors.saved_methods_for_customer(as_beta)) == []
    with pytest.raises(NotFound):
        selectors.payment_for_customer(as_beta, payment.pk)
    with pytest.raises(NotFound):
        actions.saved_method_remove(actor=as_beta, method_id=method.pk)
    with pytest.raises(NotFound):
        actions.saved_method_make_default(actor=as_beta, method_id=method.pk)
    method.refresh_from_db()
    assert method.removed_at is None
    assert method.is_default
    client.force_login(beta.user)
    assert client.get(reverse("portal:payment_detail", args=[payment.pk])).status_code == 404
    assert client.get(reverse("portal:payment_return", args=[payment.pk])).status_code == 404
    assert client.post(reverse("portal:payment_method_remove", args=[method.pk])).status_code == 404
    page = client.get(reverse("portal:payments"))
    assert page.status_code == 200
    assert payment.number not in page.content.decode()
    assert "pm_card_visa" not in page.content.decode()
    method.refresh_from_db()
    assert method.removed_at is None
    client.force_login(alpha.user)
    page = client.get(reverse("portal:payments")).content.decode()
    assert payment.number in page
    assert "pm_card_visa" in page


def test_payment_start_refuses_what_the_customer_may_not_use(card_account):
    contact = zar_contact()
    usd_only = gateway_account("stripe", label="USD card", currencies=("USD",), credentials={"secret_key": "x"})
    country_only = gateway_account("stripe", label="KZ", countries=["KZ"], credentials={"secret_key": "x"})
    card_account.enabled = False
    card_account.save()
    for account in (usd_only, country_only, card_account):
        with pytest.raises(NotFound):
            actions.payment_start(
                actor=actor_of(contact), account_id=account.pk, amount="10.00", reference="top-up", idempotency_key="z"
            )
    from hostkeep.accounts.tests.factories import ContactFactory

    reader = ContactFactory(customer=contact.customer, role="read_only")
    with pytest.raises(PermissionRefused):
        actions.payment_start(
            actor=actor_of(reader), account_id=card_account.pk, amount="10.00", reference="top-up", idempotency_key="z"
        )
    assert Payment.objects.count() == 0
