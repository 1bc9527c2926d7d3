"""The same signed webhook delivered ten times at once: one credit (PostgreSQL, where the
requests really run in parallel against the unique gateway event id)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from hostkeep.integrations.gatewaysim.receiver import WebhookReceiver
from hostkeep.integrations.stripe.simulator import StripeSimulator
from hostkeep.payments import actions
from hostkeep.payments.choices import NotificationVerdict, PaymentStatus
from hostkeep.payments.models import NotificationLog
from hostkeep.payments.tests.helpers import (
    actor_of,
    balance,
    gateway_account,
    ledger_sound,
    payment_credits,
    zar,
    zar_contact,
)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_ten_parallel_identical_webhooks_credit_once(live_server, settings):
    settings.BASE_URL = live_server.url
    with StripeSimulator(auto_deliver=False) as sim, WebhookReceiver() as receiver:
        account = gateway_account("stripe", settings={"api_base": sim.url, "timeout": 3})
        endpoint = sim.add_webhook_endpoint(receiver.url, enabled_events=("payment_intent.succeeded",))
        account.credentials = {"secret_key": sim.secret_key, "webhook_secret": endpoint.secret}
        account.save()
        contact = zar_contact()
        payment = actions.payment_start(
            actor=actor_of(contact), account_id=account.pk, amount="150.00", reference="top-up", idempotency_key="x"
        )
        requests.post(payment.redirect_url, data={"action": "pay", "payment_method": "pm_card_visa"}, timeout=5)
        sim.send_webhooks()
        captured = receiver.requests[-1]
    url = f"{live_server.url}/payments/gateways/{account.pk}/notify/"
    headers = {"Stripe-Signature": captured.header("Stripe-Signature"), "Content-Type": "application/json"}

    def deliver(_: int) -> int:
        return requests.post(url, data=captured.body, headers=headers, timeout=20).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(deliver, range(10)))
    assert statuses == [200] * 10
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment_credits(contact.customer_id) == 1
    assert balance(contact) == zar("150.00")
    verdicts = sorted(NotificationLog.objects.values_list("verdict", flat=True))
    assert verdicts == sorted([NotificationVerdict.APPLIED] + [NotificationVerdict.DUPLICATE] * 9)
    ledger_sound()
