"""Signatures, duplicates, reordering, retries, timeouts, and ``Idempotency-Key`` semantics."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
import requests
import stripe

from hostkeep.integrations.gatewaysim.receiver import WebhookReceiver
from hostkeep.integrations.stripe.simulator import StripeSimulator, WebhookEndpoint, verify_signature


def _pay(client: stripe.StripeClient, amount: int = 1500) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )


def _post(simulator: StripeSimulator, path: str, data: dict[str, str], key: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {simulator.secret_key}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return requests.post(f"{simulator.url}{path}", data=data, headers=headers, timeout=5)


def _wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_forged_stale_and_wrong_secret_signatures_do_not_verify(
    simulator: StripeSimulator, client: stripe.StripeClient, endpoint: WebhookEndpoint, receiver: WebhookReceiver
) -> None:
    _pay(client)
    simulator.send_webhooks()
    delivered = receiver.requests[-1]
    header = delivered.header("Stripe-Signature") or ""
    assert stripe.Webhook.construct_event(delivered.body, header, endpoint.secret).type == "payment_intent.succeeded"
    assert verify_signature(delivered.body, header, endpoint.secret)

    forged = delivered.body.replace(b'"amount": 1500', b'"amount": 1')
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(forged, header, endpoint.secret)
    reserialized = json.dumps(json.loads(delivered.body)).encode()
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(reserialized, header, endpoint.secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivered.body, header, "whsec_someoneelse")

    simulator.signature_time_offset = -301
    simulator.redeliver_webhook(json.loads(delivered.body)["id"])
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            receiver.requests[-1].body, receiver.requests[-1].header("Stripe-Signature"), endpoint.secret
        )


def test_rolled_secret_signs_twice_and_unknown_schemes_are_ignored(
    simulator: StripeSimulator, client: stripe.StripeClient, endpoint: WebhookEndpoint, receiver: WebhookReceiver
) -> None:
    old_secret = endpoint.secret
    new_secret = simulator.roll_webhook_secret(endpoint.id)
    simulator.include_v0_signature = True
    _pay(client)
    simulator.send_webhooks()
    delivered = receiver.requests[-1]
    header = delivered.header("Stripe-Signature") or ""
    assert header.count("v1=") == 2
    assert "v0=" in header
    for secret in (old_secret, new_secret):
        stripe.Webhook.construct_event(delivered.body, header, secret)
    simulator.clock.advance(24 * 3600 + 1)
    simulator.redeliver_webhook(json.loads(delivered.body)["id"])
    assert (receiver.requests[-1].header("Stripe-Signature") or "").count("v1=") == 1


def test_duplicates_and_out_of_order_delivery(
    simulator: StripeSimulator, client: stripe.StripeClient, endpoint: WebhookEndpoint, receiver: WebhookReceiver
) -> None:
    simulator.hold_webhooks()
    intent = _pay(client)
    client.v1.refunds.create(params={"payment_intent": intent.id})
    simulator.release_webhooks(order=["charge.refunded", "refund.created"], duplicate=True)
    events = [
        stripe.Webhook.construct_event(r.body, r.header("Stripe-Signature"), endpoint.secret) for r in receiver.requests
    ]
    types = [event.type for event in events]
    assert types[:4] == ["charge.refunded", "charge.refunded", "refund.created", "refund.created"]
    assert types.index("charge.refunded") < types.index("payment_intent.succeeded")
    assert events[0].id == events[1].id
    assert len({event.id for event in events}) == len(events) // 2


def test_failed_deliveries_are_retried_on_the_compressed_back_off() -> None:
    with (
        WebhookReceiver() as receiver,
        StripeSimulator(retry_time_scale=1 / 12000, auto_deliver=True) as simulator,
    ):
        simulator.add_webhook_endpoint(receiver.url, enabled_events=["payment_intent.succeeded"])
        receiver.respond_with(500, 503)
        client = stripe.StripeClient(simulator.secret_key, base_addresses={"api": simulator.url}, max_network_retries=0)
        _pay(client)
        assert receiver.wait_for(3, timeout=5)
        assert simulator.wait_for_webhooks()
        attempts = simulator.webhook_attempts
        assert [(a.attempt, a.status) for a in attempts] == [(1, 500), (2, 503), (3, 200)]
        gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
        assert 0.25 < gaps[0] < gaps[1]  # one hour, then two hours, at 1/12000 speed


def test_manual_retry_and_giving_up_after_the_schedule(
    simulator: StripeSimulator, client: stripe.StripeClient, endpoint: WebhookEndpoint, receiver: WebhookReceiver
) -> None:
    simulator.webhooks.retry_schedule = (3600.0,)
    receiver.default_status = 500
    _pay(client)
    first_round = simulator.send_webhooks()
    assert {a.status for a in first_round} == {500}
    second_round = simulator.retry_failed_webhooks()
    assert [(a.event_id, a.attempt) for a in second_round] == [(a.event_id, 2) for a in first_round]
    assert simulator.retry_failed_webhooks() == []  # the schedule is used up: given up
    assert {m.state for m in simulator.webhooks.messages} == {"failed"}


def test_same_key_replays_including_declines_and_500s(simulator: StripeSimulator) -> None:
    first = _post(simulator, "/v1/customers", {"email": "a@example.com"}, "key-1")
    again = _post(simulator, "/v1/customers", {"email": "a@example.com"}, "key-1")
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers

    declined = {"amount": "900", "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": "true"}
    decline = _post(simulator, "/v1/payment_intents", declined, "key-2")
    replayed = _post(simulator, "/v1/payment_intents", declined, "key-2")
    assert (decline.status_code, replayed.status_code) == (402, 402)
    assert replayed.json()["error"]["payment_intent"]["id"] == decline.json()["error"]["payment_intent"]["id"]
    assert len(simulator.list_objects("payment_intent")) == 1

    simulator.fail_next(mode="error", executed=True, path="/v1/customers")
    crashed = _post(simulator, "/v1/customers", {"email": "b@example.com"}, "key-3")
    replayed_crash = _post(simulator, "/v1/customers", {"email": "b@example.com"}, "key-3")
    assert (crashed.status_code, replayed_crash.status_code) == (500, 500)
    assert replayed_crash.json()["error"]["type"] == "api_error"
    assert replayed_crash.headers["Idempotent-Replayed"] == "true"
    assert [c["email"] for c in simulator.list_objects("customer")] == ["a@example.com", "b@example.com"]


def test_key_reuse_with_other_parameters_validation_failures_and_pruning(
    simulator: StripeSimulator, client: stripe.StripeClient
) -> None:
    client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "key-1"})
    with pytest.raises(stripe.IdempotencyError) as mismatch:
        client.v1.customers.create(params={"email": "other@example.com"}, options={"idempotency_key": "key-1"})
    assert mismatch.value.http_status == 400
    assert mismatch.value.error.type == "idempotency_error"
    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.create(
            params={"amount": 100, "currency": "usd"}, options={"idempotency_key": "key-1"}
        )

    invalid = _post(simulator, "/v1/payment_intents", {"currency": "usd"}, "key-2")
    assert invalid.json()["error"]["code"] == "parameter_missing"
    fixed = _post(simulator, "/v1/payment_intents", {"currency": "usd", "amount": "700"}, "key-2")
    assert fixed.status_code == 200  # nothing was saved for the failed validation

    simulator.clock.advance(24 * 3600 + 1)
    reused = client.v1.customers.create(params={"email": "later@example.com"}, options={"idempotency_key": "key-1"})
    assert reused.email == "later@example.com"


def test_concurrent_duplicate_gets_409(simulator: StripeSimulator) -> None:
    simulator.fail_next(mode="slow", seconds=0.6, path="/v1/customers")
    results: dict[str, requests.Response] = {}
    first = threading.Thread(target=lambda: results.update(first=_post(simulator, "/v1/customers", {}, "key-9")))
    first.start()
    _wait_until(lambda: simulator.faults.fired)
    time.sleep(0.05)
    results["second"] = _post(simulator, "/v1/customers", {}, "key-9")
    first.join()
    assert results["first"].status_code == 200
    assert results["second"].status_code == 409
    assert results["second"].json()["error"]["code"] == "idempotency_key_in_use"
    assert _post(simulator, "/v1/customers", {}, "key-9").json()["id"] == results["first"].json()["id"]


def test_timeouts_and_a_retry_under_the_same_key(simulator: StripeSimulator) -> None:
    impatient = stripe.StripeClient(
        simulator.secret_key,
        base_addresses={"api": simulator.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=0.3),
    )
    simulator.fail_next(mode="timeout", seconds=1.0, path="/v1/payment_intents")
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.payment_intents.create(params={"amount": 500, "currency": "usd"})
    assert simulator.list_objects("payment_intent") == []

    simulator.fail_next(mode="timeout", seconds=1.0, executed=True, path="/v1/payment_intents")
    params = {"amount": 500, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.payment_intents.create(params=params, options={"idempotency_key": "attempt-77"})
    charged = simulator.list_objects("payment_intent")
    assert [intent["status"] for intent in charged] == ["succeeded"]
    retried = impatient.v1.payment_intents.create(params=params, options={"idempotency_key": "attempt-77"})
    assert retried.id == charged[0]["id"]
    assert len(simulator.list_objects("payment_intent")) == 1

    simulator.fail_next(2, mode="rate_limit")
    with pytest.raises(stripe.RateLimitError):
        impatient.v1.customers.list()
    assert (
        requests.get(
            f"{simulator.url}/v1/customers", timeout=5, headers={"Authorization": f"Bearer {simulator.secret_key}"}
        ).status_code
        == 429
    )


def test_runner_prints_url_and_keys_and_serves() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hostkeep.integrations.stripe.simulator",
            "--json",
            "--webhook-url",
            "http://127.0.0.1:9/hook",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        described = json.loads(process.stdout.readline())
        assert described["credentials"]["secret_key"].startswith("sk_test_")
        assert described["webhooks"][0]["secret"].startswith("whsec_")
        control = requests.get(f"{described['url']}/_sim", timeout=5).json()
        assert control["gateway"] == "Stripe"
    finally:
        process.terminate()
        process.wait(timeout=5)
