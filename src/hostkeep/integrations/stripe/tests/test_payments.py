"""Checkout, off-session charges, declines, 3-D Secure, saved cards and refunds, through the SDK."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import stripe

from hostkeep.integrations.gatewaysim.receiver import WebhookReceiver
from hostkeep.integrations.stripe.simulator import StripeSimulator, WebhookEndpoint


def _invoice_session(client: stripe.StripeClient, **extra: object) -> stripe.checkout.Session:
    params = {
        "mode": "payment",
        "success_url": "http://shop.example/paid?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.example/cancelled",
        "client_reference_id": "INV-2026-0042",
        "customer_email": "thabo@example.co.za",
        "metadata": {"invoice": "42"},
        "payment_intent_data": {"metadata": {"invoice": "42", "attempt": "7"}},
        "line_items": [
            {"price_data": {"currency": "usd", "unit_amount": 1250, "product_data": {"name": "VPS S"}}, "quantity": 2}
        ],
        **extra,
    }
    return client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]


def test_checkout_paid_on_the_hosted_page_sends_events_the_sdk_verifies(
    simulator: StripeSimulator, client: stripe.StripeClient, endpoint: WebhookEndpoint, receiver: WebhookReceiver
) -> None:
    session = _invoice_session(client)
    assert (session.status, session.payment_status, session.payment_intent) == ("open", "unpaid", None)
    assert session.amount_total == 2500
    assert session.url.startswith(f"{simulator.url}/c/pay/cs_test_")

    page = requests.get(session.url, timeout=5)
    assert page.status_code == 200
    assert "VPS S" in page.text
    paid = requests.post(
        session.url, data={"action": "pay", "payment_method": "pm_card_visa"}, timeout=5, allow_redirects=False
    )
    assert paid.status_code == 303
    assert paid.headers["Location"] == f"http://shop.example/paid?session={session.id}"

    attempts = simulator.send_webhooks()
    assert all(attempt.status == 200 for attempt in attempts)
    events = [
        stripe.Webhook.construct_event(r.body, r.header("Stripe-Signature"), endpoint.secret) for r in receiver.requests
    ]
    types = [event.type for event in events]
    assert types.index("payment_intent.succeeded") < types.index("checkout.session.completed")
    completed = events[types.index("checkout.session.completed")]
    assert completed.data.object.client_reference_id == "INV-2026-0042"
    assert completed.data.object.payment_status == "paid"
    assert completed.request.id is None  # the buyer's action, not an API call
    intent = client.v1.payment_intents.retrieve(completed.data.object.payment_intent)
    assert intent.status == "succeeded"
    assert intent.metadata.to_dict() == {"invoice": "42", "attempt": "7"}
    assert client.v1.checkout.sessions.retrieve(session.id).metadata.to_dict() == {"invoice": "42"}


def test_hosted_page_decline_keeps_the_session_open_and_3ds_can_be_completed(
    simulator: StripeSimulator, client: stripe.StripeClient
) -> None:
    session = _invoice_session(client)
    declined = requests.post(session.url, data={"action": "pay", "payment_method": "pm_card_chargeDeclined"}, timeout=5)
    assert declined.status_code == 200
    assert "Your card was declined." in declined.text
    after_decline = client.v1.checkout.sessions.retrieve(session.id)
    assert after_decline.status == "open"
    assert client.v1.payment_intents.retrieve(after_decline.payment_intent).status == "requires_payment_method"

    challenge = requests.post(
        session.url,
        data={"action": "pay", "payment_method": "pm_card_authenticationRequired"},
        timeout=5,
        allow_redirects=False,
    )
    assert challenge.status_code == 303
    assert challenge.headers["Location"] == f"{simulator.url}/3ds/{after_decline.payment_intent}"
    assert client.v1.payment_intents.retrieve(after_decline.payment_intent).status == "requires_action"
    done = requests.post(challenge.headers["Location"], data={"action": "complete"}, timeout=5, allow_redirects=False)
    assert done.headers["Location"].endswith(session.id)
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert [e["type"] for e in simulator.events("payment_intent.payment_failed")] == ["payment_intent.payment_failed"]


def test_off_session_decline_is_402_with_the_payment_intent_and_can_be_retried(
    simulator: StripeSimulator, client: stripe.StripeClient
) -> None:
    customer = client.v1.customers.create(params={"email": "lerato@example.co.za"})
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(
            params={
                "amount": 4900,
                "currency": "usd",
                "customer": customer.id,
                "off_session": True,
                "confirm": True,
                "payment_method": "pm_card_chargeDeclinedInsufficientFunds",
                "metadata": {"invoice": "7"},
            }
        )
    error = declined.value
    assert error.http_status == 402
    assert (error.code, error.error.decline_code, error.error.type) == (
        "card_declined",
        "insufficient_funds",
        "card_error",
    )
    intent = error.error.payment_intent
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.decline_code == "insufficient_funds"
    assert error.error.charge.startswith("ch_")
    assert client.v1.charges.retrieve(error.error.charge).status == "failed"
    assert [e["data"]["object"]["id"] for e in simulator.events("payment_intent.payment_failed")] == [intent.id]

    retried = client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa", "off_session": True}
    )
    assert (retried.status, retried.amount_received) == ("succeeded", 4900)
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert again.value.code == "payment_intent_unexpected_state"


def test_authentication_required_off_session_and_requires_action_on_session(
    simulator: StripeSimulator, client: stripe.StripeClient
) -> None:
    customer = client.v1.customers.create(params={})
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "eur",
                "customer": customer.id,
                "confirm": True,
                "off_session": True,
                "payment_method": "pm_card_authenticationRequired",
            }
        )
    assert declined.value.code == "authentication_required"
    assert declined.value.error.payment_intent.status == "requires_payment_method"

    on_session = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "eur",
            "customer": customer.id,
            "confirm": True,
            "payment_method": "pm_card_authenticationRequired",
            "return_url": "http://shop.example/back",
        }
    )
    assert on_session.status == "requires_action"
    assert on_session.next_action.redirect_to_url.url == f"{simulator.url}/3ds/{on_session.id}"
    back = requests.post(
        on_session.next_action.redirect_to_url.url, data={"action": "fail"}, timeout=5, allow_redirects=False
    )
    assert parse_qs(urlsplit(back.headers["Location"]).query)["redirect_status"] == ["failed"]
    assert client.v1.payment_intents.retrieve(on_session.id).last_payment_error.code == (
        "payment_intent_authentication_failure"
    )


def test_card_saved_in_setup_mode_is_charged_off_session(
    simulator: StripeSimulator, client: stripe.StripeClient
) -> None:
    customer = client.v1.customers.create(params={"email": "owner@example.com"})
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "customer": customer.id,
            "currency": "usd",
            "success_url": "http://shop.example/ok",
            "setup_intent_data": {"metadata": {"purpose": "autopay"}},
        }
    )
    assert session.payment_status == "no_payment_required"
    simulator.complete_checkout_session(session.id, "pm_card_visa")
    completed = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["setup_intent"]})
    setup_intent = completed.setup_intent
    assert (setup_intent.status, setup_intent.metadata.to_dict()) == ("succeeded", {"purpose": "autopay"})
    saved = client.v1.customers.payment_methods.list(customer.id)
    assert [method.id for method in saved.data] == [setup_intent.payment_method]

    charge = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": saved.data[0].id,
            "off_session": True,
            "confirm": True,
        }
    )
    assert charge.status == "succeeded"
    with pytest.raises(stripe.CardError) as attach_declined:
        client.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": customer.id})
    assert attach_declined.value.code == "card_declined"


def test_saving_while_paying_attaches_the_method(simulator: StripeSimulator, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={})
    session = _invoice_session(
        client, customer_email=None, customer=customer.id, payment_intent_data={"setup_future_usage": "off_session"}
    )
    simulator.complete_checkout_session(session.id)
    intent = client.v1.payment_intents.retrieve(client.v1.checkout.sessions.retrieve(session.id).payment_intent)
    assert intent.setup_future_usage == "off_session"
    assert client.v1.payment_methods.retrieve(intent.payment_method).customer == customer.id


def test_refunds_partial_then_over_refund_then_already_refunded(
    simulator: StripeSimulator, client: stripe.StripeClient
) -> None:
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    first = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 400, "reason": "duplicate"})
    assert (first.status, first.amount, first.charge) == ("succeeded", 400, intent.latest_charge)
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 700})
    assert (over.value.http_status, over.value.code, over.value.param) == (400, "amount_too_large", "amount")
    rest = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert rest.amount == 600
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"charge": intent.latest_charge})
    assert again.value.code == "charge_already_refunded"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1000, True)
    refunded = simulator.events("charge.refunded")
    assert [e["data"]["object"]["amount_refunded"] for e in refunded] == [400, 1000]
    assert len(simulator.events("refund.created")) == 2


def test_pending_refund_settles_later(simulator: StripeSimulator, client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(
        params={"amount": 800, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    simulator.script_refunds("pending")
    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.status == "pending"
    simulator.settle_refund(refund.id, succeeded=False)
    assert client.v1.refunds.retrieve(refund.id).status == "failed"
    assert client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 0
    updated = simulator.events("refund.updated")[-1]
    assert updated["data"]["previous_attributes"] == {"status": "pending"}


def test_delayed_method_completes_unpaid_then_async_succeeds(
    simulator: StripeSimulator, client: stripe.StripeClient
) -> None:
    session = _invoice_session(client)
    simulator.complete_checkout_session(session.id, "pm_sim_delayed")
    completed = client.v1.checkout.sessions.retrieve(session.id)
    assert (completed.status, completed.payment_status) == ("complete", "unpaid")
    assert client.v1.payment_intents.retrieve(completed.payment_intent).status == "processing"
    simulator.settle_payment(completed.payment_intent)
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert [e["type"] for e in simulator.events() if e["type"].startswith("checkout.")] == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]


def test_sessions_expire_after_24_hours(simulator: StripeSimulator, client: stripe.StripeClient) -> None:
    session = _invoice_session(client)
    simulator.clock.advance(24 * 3600)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    assert [e["data"]["object"]["id"] for e in simulator.events("checkout.session.expired")] == [session.id]
    assert "expired" in requests.get(session.url, timeout=5).text


def test_bad_key_unknown_object_and_unknown_parameter(simulator: StripeSimulator, client: stripe.StripeClient) -> None:
    wrong = stripe.StripeClient("sk_test_wrong", base_addresses={"api": simulator.url}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError):
        wrong.v1.customers.create(params={})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.retrieve("pi_doesnotexist")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.create(params={"favourite_colour": "blue"})  # type: ignore[typeddict-unknown-key]
    assert unknown.value.code == "parameter_unknown"
    basic = requests.post(
        f"{simulator.url}/v1/customers", auth=(simulator.secret_key, ""), data={"metadata[a]": "1"}, timeout=5
    )
    assert json.loads(basic.text)["metadata"] == {"a": "1"}
