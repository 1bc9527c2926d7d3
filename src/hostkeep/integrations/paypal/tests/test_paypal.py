"""PayPal: OAuth, the order state machine, captures, refunds, idempotency, vault, webhooks."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from hostkeep.integrations.gatewaysim.receiver import ReceivedRequest, WebhookReceiver
from hostkeep.integrations.paypal.simulator import PayPalSimulator, verify_offline

from .conftest import PayPalClient


def _link(resource: dict[str, Any], rel: str) -> str:
    return next(link["href"] for link in resource["links"] if link["rel"] == rel)


def _verify_api(client: PayPalClient, delivered: ReceivedRequest, webhook_id: str, body: bytes | None = None) -> str:
    answer = client.call(
        "POST",
        "/v1/notifications/verify-webhook-signature",
        {
            "auth_algo": delivered.header("PAYPAL-AUTH-ALGO"),
            "cert_url": delivered.header("PAYPAL-CERT-URL"),
            "transmission_id": delivered.header("PAYPAL-TRANSMISSION-ID"),
            "transmission_sig": delivered.header("PAYPAL-TRANSMISSION-SIG"),
            "transmission_time": delivered.header("PAYPAL-TRANSMISSION-TIME"),
            "webhook_id": webhook_id,
            "webhook_event": json.loads(body if body is not None else delivered.body),
        },
    )
    assert answer.status_code == 200
    return str(answer.json()["verification_status"])


def _offline(
    delivered: ReceivedRequest, webhook_id: str, body: bytes | None = None, hosts: tuple[str, ...] = ("127.0.0.1",)
) -> bool:
    return verify_offline(
        delivered.headers,
        delivered.body if body is None else body,
        webhook_id,
        fetch_certificate=lambda url: requests.get(url, timeout=5).content,
        allowed_hosts=hosts,
        allowed_schemes=("http",),
    )


def test_token_is_cached_expires_and_bad_credentials_are_refused(
    simulator: PayPalSimulator, client: PayPalClient
) -> None:
    bad = requests.post(
        f"{simulator.url}/v1/oauth2/token",
        auth=(simulator.client_id, "wrong"),
        data={"grant_type": "client_credentials"},
        timeout=5,
    )
    assert (bad.status_code, bad.json()["error"]) == (401, "invalid_client")
    token = client.fetch_token()
    details = requests.post(
        f"{simulator.url}/v1/oauth2/token",
        auth=(simulator.client_id, simulator.client_secret),
        data={"grant_type": "client_credentials"},
        timeout=5,
    ).json()
    assert (details["token_type"], details["expires_in"]) == ("Bearer", 32400)
    client.create_order(request_id="a")
    client.create_order(request_id="b", invoice_id="INV-2")
    assert simulator.token_requests == 3  # the refused one, ours, the details: none for the two orders

    simulator.expire_tokens()
    stale = requests.get(
        f"{simulator.url}/v2/checkout/orders/X", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert stale.status_code == 401
    assert client.call("GET", "/v2/checkout/orders/NOPE").status_code == 404  # refreshed once, then answered
    assert simulator.token_requests == 4
    assert client.token != token


def test_create_approve_capture_with_signed_webhooks(
    simulator: PayPalSimulator, client: PayPalClient, webhook_id: str, receiver: WebhookReceiver
) -> None:
    order = client.create_order()
    assert order["status"] == "PAYER_ACTION_REQUIRED"
    early = client.call("POST", f"/v2/checkout/orders/{order['id']}/capture", {}, request_id="cap-0")
    assert (early.status_code, early.json()["details"][0]["issue"]) == (422, "ORDER_NOT_APPROVED")

    buyer_page = _link(order, "payer-action")
    assert "Hosting, December" in requests.get(buyer_page, timeout=5).text
    approved = requests.post(
        buyer_page, data={"action": "approve", "outcome": "COMPLETED"}, timeout=5, allow_redirects=False
    )
    back = urlsplit(approved.headers["Location"])
    assert (back.path, parse_qs(back.query)["token"]) == ("/paypal/return", [order["id"]])

    captured = client.call("POST", f"/v2/checkout/orders/{order['id']}/capture", {}, request_id="cap-1")
    assert captured.status_code == 201
    capture = captured.json()["purchase_units"][0]["payments"]["captures"][0]
    assert captured.json()["status"] == "COMPLETED"
    assert (capture["status"], capture["custom_id"], capture["invoice_id"]) == ("COMPLETED", "attempt-31", "INV-1")
    assert capture["seller_receivable_breakdown"]["gross_amount"]["value"] == "25.00"
    assert capture["seller_receivable_breakdown"]["paypal_fee"]["value"] == "1.36"

    simulator.send_webhooks()
    kinds = [json.loads(r.body)["event_type"] for r in receiver.requests]
    assert kinds == ["CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED"]
    completed = receiver.requests[1]
    resource = json.loads(completed.body)["resource"]
    assert resource["supplementary_data"]["related_ids"]["order_id"] == order["id"]
    for delivered in receiver.requests:
        assert _verify_api(client, delivered, webhook_id) == "SUCCESS"
        assert _offline(delivered, webhook_id)


def test_forged_or_misaddressed_webhooks_fail_verification(
    simulator: PayPalSimulator, client: PayPalClient, webhook_id: str, receiver: WebhookReceiver
) -> None:
    order = client.create_order()
    simulator.approve_order(order["id"])
    simulator.send_webhooks()
    delivered = receiver.requests[0]
    forged = delivered.body.replace(b"APPROVED", b"COMPLETED")
    assert _verify_api(client, delivered, webhook_id, body=forged) == "FAILURE"
    assert not _offline(delivered, webhook_id, body=forged)
    assert _verify_api(client, delivered, "SOME-OTHER-WEBHOOK") == "FAILURE"
    assert not _offline(delivered, webhook_id, hosts=("paypal.com",))  # the cert URL is not on the allow-list


def test_capture_outcomes_behind_201_and_the_422_issues(simulator: PayPalSimulator, client: PayPalClient) -> None:
    pending = client.create_order(request_id="o-1", invoice_id="INV-P")
    simulator.approve_order(pending["id"], capture_outcome="PENDING", pending_reason="ECHECK")
    answer = client.call("POST", f"/v2/checkout/orders/{pending['id']}/capture", {}, request_id="c-1")
    capture = answer.json()["purchase_units"][0]["payments"]["captures"][0]
    assert (answer.status_code, capture["status"], capture["status_details"]) == (201, "PENDING", {"reason": "ECHECK"})
    simulator.settle_capture(capture["id"])
    assert client.call("GET", f"/v2/payments/captures/{capture['id']}").json()["status"] == "COMPLETED"
    assert [e["event_type"] for e in simulator.event_log()][-2:] == [
        "PAYMENT.CAPTURE.PENDING",
        "PAYMENT.CAPTURE.COMPLETED",
    ]

    declined = client.create_order(request_id="o-2", invoice_id="INV-D")
    simulator.approve_order(declined["id"], capture_outcome="DECLINED")
    answer = client.call("POST", f"/v2/checkout/orders/{declined['id']}/capture", {}, request_id="c-2")
    assert (answer.status_code, answer.json()["purchase_units"][0]["payments"]["captures"][0]["status"]) == (
        201,
        "DECLINED",
    )

    instrument = client.create_order(request_id="o-3", invoice_id="INV-I")
    simulator.approve_order(instrument["id"], capture_outcome="INSTRUMENT_DECLINED")
    refused = client.call("POST", f"/v2/checkout/orders/{instrument['id']}/capture", {}, request_id="c-3")
    assert (refused.status_code, refused.json()["name"]) == (422, "UNPROCESSABLE_ENTITY")
    assert refused.json()["details"][0]["issue"] == "INSTRUMENT_DECLINED"
    assert _link(refused.json(), "redirect").endswith(f"token={instrument['id']}")
    assert refused.headers["Paypal-Debug-Id"] == refused.json()["debug_id"]
    simulator.approve_order(instrument["id"])  # the buyer picks another funding source
    assert (
        client.call("POST", f"/v2/checkout/orders/{instrument['id']}/capture", {}, request_id="c-3b").status_code == 201
    )

    duplicate = client.create_order(request_id="o-4", invoice_id="INV-P")
    simulator.approve_order(duplicate["id"])
    clash = client.call("POST", f"/v2/checkout/orders/{duplicate['id']}/capture", {}, request_id="c-4")
    assert clash.json()["details"][0]["issue"] == "DUPLICATE_INVOICE_ID"


def test_request_id_replays_and_conflicts(simulator: PayPalSimulator, client: PayPalClient) -> None:
    order = client.create_order(request_id="same")
    again = client.call(
        "POST",
        "/v2/checkout/orders",
        {
            "intent": "CAPTURE",
            "purchase_units": [{"amount": {"currency_code": "USD", "value": "25.00"}}],
            "payment_source": {"paypal": {}},
        },
        request_id="same",
    )
    assert (again.status_code, again.json()["id"]) == (200, order["id"])
    assert len(simulator.orders) == 1

    simulator.approve_order(order["id"])
    first = client.call("POST", f"/v2/checkout/orders/{order['id']}/capture", {}, request_id="cap")
    replay = client.call("POST", f"/v2/checkout/orders/{order['id']}/capture", {}, request_id="cap")
    other = client.call("POST", f"/v2/checkout/orders/{order['id']}/capture", {}, request_id="cap-new")
    assert replay.json()["purchase_units"] == first.json()["purchase_units"]
    assert other.json()["details"][0]["issue"] == "ORDER_ALREADY_CAPTURED"

    no_id = client.call(
        "POST",
        "/v2/checkout/orders",
        {
            "intent": "CAPTURE",
            "purchase_units": [{"amount": {"currency_code": "USD", "value": "5.00"}}],
            "payment_source": {"paypal": {}},
        },
    )
    assert no_id.json()["details"][0]["issue"] == "PAYPAL_REQUEST_ID_REQUIRED"

    simulator.fail_next(mode="slow", seconds=0.6, path="/v2/checkout/orders")
    results: dict[str, requests.Response] = {}
    racing = threading.Thread(
        target=lambda: results.update(
            first=client.call(
                "POST",
                "/v2/checkout/orders",
                {"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "USD", "value": "9.00"}}]},
                request_id="race",
            )
        )
    )
    racing.start()
    deadline = time.monotonic() + 5
    while not simulator.faults.fired and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    second = client.call(
        "POST",
        "/v2/checkout/orders",
        {"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "USD", "value": "9.00"}}]},
        request_id="race",
    )
    racing.join()
    assert results["first"].status_code == 201
    assert second.json()["details"][0]["issue"] == "PREVIOUS_REQUEST_IN_PROGRESS"

    simulator.clock.advance(6 * 3600 + 1)
    fresh = client.create_order(request_id="same", invoice_id="INV-9")
    assert fresh["id"] != order["id"]


def test_refunds_take_the_capture_id_and_refuse_over_refunds(simulator: PayPalSimulator, client: PayPalClient) -> None:
    order = client.create_order(value="40.00")
    simulator.approve_order(order["id"])
    capture = client.call("POST", f"/v2/checkout/orders/{order['id']}/capture", {}, request_id="c").json()[
        "purchase_units"
    ][0]["payments"]["captures"][0]
    assert client.call("POST", f"/v2/payments/captures/{order['id']}/refund", {}).status_code == 404
    part = client.call(
        "POST",
        f"/v2/payments/captures/{capture['id']}/refund",
        {"amount": {"currency_code": "USD", "value": "15.00"}, "note_to_payer": "Partial"},
        request_id="r-1",
        prefer="return=representation",
    )
    assert (part.status_code, part.json()["status"]) == (201, "COMPLETED")
    assert _link(part.json(), "up").endswith(capture["id"])
    assert client.call("GET", f"/v2/payments/captures/{capture['id']}").json()["status"] == "PARTIALLY_REFUNDED"
    over = client.call(
        "POST",
        f"/v2/payments/captures/{capture['id']}/refund",
        {"amount": {"currency_code": "USD", "value": "25.01"}},
        request_id="r-2",
    )
    assert (over.status_code, over.json()["details"][0]["issue"]) == (422, "REFUND_AMOUNT_EXCEEDED")
    rest = client.call("POST", f"/v2/payments/captures/{capture['id']}/refund", None, request_id="r-3")
    assert set(rest.json()) == {"id", "status", "links"}  # return=minimal by default
    assert client.call("GET", f"/v2/payments/refunds/{rest.json()['id']}").json()["amount"]["value"] == "25.00"
    done = client.call("POST", f"/v2/payments/captures/{capture['id']}/refund", {}, request_id="r-4")
    assert done.json()["details"][0]["issue"] == "CAPTURE_FULLY_REFUNDED"
    refunded = simulator.event_log("PAYMENT.CAPTURE.REFUNDED")
    assert [e["resource"]["amount"]["value"] for e in refunded] == ["15.00", "25.00"]
    assert (
        client.call("POST", f"/v2/payments/captures/{capture['id']}/refund", {}, request_id="r-1").json()["id"]
        == part.json()["id"]
    )


def test_vault_on_success_then_charge_the_vault_id_in_one_call(
    simulator: PayPalSimulator, client: PayPalClient
) -> None:
    order = client.create_order(vault=True)
    simulator.approve_order(order["id"])
    captured = client.call("POST", f"/v2/checkout/orders/{order['id']}/capture", {}, request_id="c").json()
    vault = captured["payment_source"]["paypal"]["attributes"]["vault"]
    assert vault["status"] == "VAULTED"
    assert [e["resource"]["id"] for e in simulator.event_log("VAULT.PAYMENT-TOKEN.CREATED")] == [vault["id"]]

    charge = client.call(
        "POST",
        "/v2/checkout/orders",
        {
            "intent": "CAPTURE",
            "purchase_units": [{"amount": {"currency_code": "USD", "value": "12.00"}, "invoice_id": "INV-RENEW"}],
            "payment_source": {"paypal": {"vault_id": vault["id"]}},
        },
        request_id="renew-1",
    )
    assert (charge.status_code, charge.json()["status"]) == (201, "COMPLETED")
    assert charge.json()["purchase_units"][0]["payments"]["captures"][0]["status"] == "COMPLETED"
    simulator.script_next_capture("DECLINED", None)
    declined = client.call(
        "POST",
        "/v2/checkout/orders",
        {
            "intent": "CAPTURE",
            "purchase_units": [{"amount": {"currency_code": "USD", "value": "12.00"}}],
            "payment_source": {"paypal": {"vault_id": vault["id"]}},
        },
        request_id="renew-2",
    )
    assert declined.json()["purchase_units"][0]["payments"]["captures"][0]["status"] == "DECLINED"


def test_redelivery_duplicates_and_order(
    simulator: PayPalSimulator, client: PayPalClient, webhook_id: str, receiver: WebhookReceiver
) -> None:
    order = client.create_order()
    simulator.hold_webhooks()
    simulator.approve_order(order["id"])
    client.call("POST", f"/v2/checkout/orders/{order['id']}/capture", {}, request_id="c")
    simulator.release_webhooks(order="reverse")
    first_two = [json.loads(r.body)["event_type"] for r in receiver.requests]
    assert first_two == ["PAYMENT.CAPTURE.COMPLETED", "CHECKOUT.ORDER.APPROVED"]

    event_id = json.loads(receiver.requests[0].body)["id"]
    resent = client.call("POST", f"/v1/notifications/webhooks-events/{event_id}/resend", {})
    assert resent.status_code == 202
    simulator.send_webhooks()
    again = receiver.requests[-1]
    assert json.loads(again.body)["id"] == event_id
    assert again.header("PAYPAL-TRANSMISSION-ID") != receiver.requests[0].header("PAYPAL-TRANSMISSION-ID")
    assert _verify_api(client, again, webhook_id) == "SUCCESS"


def test_failed_deliveries_are_retried_automatically() -> None:
    with WebhookReceiver() as receiver, PayPalSimulator(retry_time_scale=1 / 600) as simulator:
        simulator.add_webhook(receiver.url)
        receiver.respond_with(500, 404)
        client = PayPalClient(simulator)
        simulator.approve_order(client.create_order()["id"])
        assert receiver.wait_for(3, timeout=5)
        assert simulator.wait_for_webhooks()
        assert [(a.attempt, a.status) for a in simulator.webhook_attempts] == [(1, 500), (2, 404), (3, 200)]


def test_timeout_after_capture_then_retry_with_the_same_request_id(
    simulator: PayPalSimulator, client: PayPalClient
) -> None:
    order = client.create_order()
    simulator.approve_order(order["id"])
    simulator.fail_next(mode="timeout", seconds=1.0, executed=True, path="/v2/checkout/orders/")
    client.timeout = 0.3
    try:
        client.call("POST", f"/v2/checkout/orders/{order['id']}/capture", {}, request_id="cap-t")
        raise AssertionError("the capture should have timed out")
    except requests.exceptions.ReadTimeout:
        pass
    client.timeout = 5
    retried = client.call("POST", f"/v2/checkout/orders/{order['id']}/capture", {}, request_id="cap-t")
    assert (retried.status_code, retried.json()["status"]) == (200, "COMPLETED")
    assert len(simulator.captures) == 1
    simulator.fail_next(mode="error", path="/v2/checkout/orders")
    crashed = client.call("GET", f"/v2/checkout/orders/{order['id']}")
    assert (crashed.status_code, crashed.json()["name"]) == (500, "INTERNAL_SERVER_ERROR")


def test_runner_prints_credentials() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hostkeep.integrations.paypal.simulator", "--json"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        described = json.loads(process.stdout.readline())
        assert described["credentials"]["cert_url"].startswith(described["url"])
        assert requests.get(described["credentials"]["cert_url"], timeout=5).text.startswith("-----BEGIN CERTIFICATE")
    finally:
        process.terminate()
        process.wait(timeout=5)
