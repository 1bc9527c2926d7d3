"""YooKassa: payments, capture/cancel, saved methods, receipts, refunds, Idempotence-Key, notifications."""

from __future__ import annotations

import json
import subprocess
import sys

import requests

from hostkeep.integrations.gatewaysim.receiver import WebhookReceiver
from hostkeep.integrations.yookassa.simulator import YooKassaSimulator

from .conftest import NOTIFY_FROM, YooKassaClient, trusted


def _events(receiver: WebhookReceiver) -> list[str]:
    return [json.loads(r.body)["event"] for r in receiver.requests]


def test_redirect_pay_capture_with_notifications_verified_by_ip_and_refetch(
    simulator: YooKassaSimulator, client: YooKassaClient, receiver: WebhookReceiver
) -> None:
    payment = client.create()
    assert (payment["status"], payment["paid"], payment["test"]) == ("pending", False, True)
    assert payment["metadata"] == {"invoice_id": "17", "attempt_id": "903"}
    page = payment["confirmation"]["confirmation_url"]
    assert "1500.00 RUB" in requests.get(page, timeout=5).text
    back = requests.post(page, data={"action": "pay", "outcome": "succeeded"}, timeout=5, allow_redirects=False)
    assert back.headers["Location"] == "http://shop.example/yookassa/return"

    held = client.get(f"/payments/{payment['id']}").json()
    assert (held["status"], held["paid"], held["payment_method"]["card"]["last4"]) == (
        "waiting_for_capture",
        True,
        "4444",
    )
    assert "expires_at" in held
    captured = client.post(f"/payments/{payment['id']}/capture", {"amount": {"value": "1200.00", "currency": "RUB"}})
    assert (captured.json()["status"], captured.json()["amount"]["value"]) == ("succeeded", "1200.00")
    assert captured.json()["income_amount"]["value"] == "1158.00"

    simulator.send_webhooks()
    assert _events(receiver) == ["payment.waiting_for_capture", "payment.succeeded"]
    assert all(r.client_ip == NOTIFY_FROM for r in receiver.requests)
    assert receiver.requests[0].header("Content-Type") == "application/json"
    last = trusted(client, receiver.requests[1])
    assert last is not None
    assert last["status"] == "succeeded"
    assert trusted(client, receiver.requests[0]) is None  # stale: the object has moved on since


def test_forged_notification_is_caught_by_refetch_and_ip(
    simulator: YooKassaSimulator, client: YooKassaClient, receiver: WebhookReceiver
) -> None:
    payment = client.create()
    simulator.send_forged_notification(payment["id"], "payment.succeeded")
    simulator.send_forged_notification(payment["id"], "payment.succeeded", source_ip="127.0.0.9")
    simulator.send_webhooks()
    claims = [json.loads(r.body)["object"]["status"] for r in receiver.requests]
    assert claims == ["succeeded", "succeeded"]
    assert trusted(client, receiver.requests[0]) is None  # from an allowed address, but GET says pending
    assert receiver.requests[1].client_ip == "127.0.0.9"
    assert trusted(client, receiver.requests[1]) is None


def test_declines_cancel_and_expiry(
    simulator: YooKassaSimulator, client: YooKassaClient, receiver: WebhookReceiver
) -> None:
    declined = client.create()
    requests.post(
        declined["confirmation"]["confirmation_url"],
        data={"action": "pay", "outcome": "insufficient_funds"},
        timeout=5,
        allow_redirects=False,
    )
    assert client.get(f"/payments/{declined['id']}").json()["cancellation_details"] == {
        "party": "payment_network",
        "reason": "insufficient_funds",
    }

    cancelled = client.create()
    simulator.confirm_payment(cancelled["id"])
    answer = client.post(f"/payments/{cancelled['id']}/cancel", {})
    assert answer.json()["cancellation_details"] == {"party": "merchant", "reason": "canceled_by_merchant"}
    assert client.post(f"/payments/{cancelled['id']}/capture", {}).json()["code"] == "invalid_request"

    expiring = client.create()
    simulator.confirm_payment(expiring["id"])
    abandoned = client.create()
    simulator.clock.advance(7 * 24 * 3600)
    assert client.get(f"/payments/{expiring['id']}").json()["cancellation_details"] == {
        "party": "yoo_kassa",
        "reason": "expired_on_capture",
    }
    assert client.get(f"/payments/{abandoned['id']}").json()["cancellation_details"]["reason"] == (
        "expired_on_confirmation"
    )
    simulator.send_webhooks()
    assert _events(receiver).count("payment.canceled") == 4


def test_saved_method_charges_are_synchronous_and_can_be_revoked(
    simulator: YooKassaSimulator, client: YooKassaClient
) -> None:
    first = client.create(capture=True, save_payment_method=True)
    simulator.confirm_payment(first["id"])
    method = client.get(f"/payments/{first['id']}").json()["payment_method"]
    assert (method["saved"], method["id"]) == (True, first["id"])

    renewal = client.post(
        "/payments",
        {
            "amount": {"value": "700.00", "currency": "RUB"},
            "capture": True,
            "payment_method_id": method["id"],
            "description": "Продление",
        },
    )
    assert (renewal.json()["status"], renewal.json()["paid"]) == ("succeeded", True)
    simulator.script_saved_charge("canceled", "insufficient_funds")
    poor = client.post(
        "/payments",
        {"amount": {"value": "700.00", "currency": "RUB"}, "capture": True, "payment_method_id": method["id"]},
    )
    assert poor.json()["cancellation_details"] == {"party": "payment_network", "reason": "insufficient_funds"}
    simulator.revoke_payment_method(method["id"])
    revoked = client.post(
        "/payments",
        {"amount": {"value": "700.00", "currency": "RUB"}, "capture": True, "payment_method_id": method["id"]},
    )
    assert revoked.json()["cancellation_details"]["reason"] == "permission_revoked"


def test_receipts_are_checked_and_receipt_first_stays_pending(client: YooKassaClient) -> None:
    receipt = {
        "customer": {"email": "ivan@example.ru"},
        "items": [
            {
                "description": "VPS",
                "quantity": "2",
                "amount": {"value": "500.00", "currency": "RUB"},
                "vat_code": 1,
                "payment_mode": "full_payment",
                "payment_subject": "service",
            },
            {"description": "IP", "quantity": 1, "amount": {"value": "500.00", "currency": "RUB"}, "vat_code": 1},
        ],
    }
    assert client.create(receipt=receipt)["receipt_registration"] == "pending"
    wrong_sum = client.post(
        "/payments",
        {
            "amount": {"value": "1500.01", "currency": "RUB"},
            "receipt": receipt,
            "confirmation": {"type": "redirect", "return_url": "http://x/"},
        },
    )
    assert (wrong_sum.status_code, wrong_sum.json()["parameter"]) == (400, "receipt")
    no_contact = client.post(
        "/payments",
        {
            "amount": {"value": "1500.00", "currency": "RUB"},
            "receipt": {**receipt, "customer": {}},
            "confirmation": {"type": "redirect", "return_url": "http://x/"},
        },
    )
    assert no_contact.json()["parameter"] == "receipt.customer"

    with YooKassaSimulator(receipt_first=True, receipts_required=True) as strict:
        strict_client = YooKassaClient(strict)
        assert (
            strict_client.post(
                "/payments",
                {
                    "amount": {"value": "10.00", "currency": "RUB"},
                    "confirmation": {"type": "redirect", "return_url": "http://x/"},
                },
            ).json()["parameter"]
            == "receipt"
        )
        saved = strict_client.create(receipt=receipt, capture=True, save_payment_method=True)
        strict.confirm_payment(saved["id"])
        pending = strict_client.post(
            "/payments",
            {
                "amount": {"value": "1500.00", "currency": "RUB"},
                "capture": True,
                "payment_method_id": saved["id"],
                "receipt": receipt,
            },
        ).json()
        assert pending["status"] == "pending"
        assert strict.register_receipt(pending["id"])["status"] == "succeeded"


def test_refunds_partial_repeated_and_over_refund(
    simulator: YooKassaSimulator, client: YooKassaClient, receiver: WebhookReceiver
) -> None:
    payment = client.create(capture=True)
    assert (
        client.post("/refunds", {"payment_id": payment["id"], "amount": {"value": "1.00", "currency": "RUB"}}).json()[
            "code"
        ]
        == "invalid_request"
    )  # not succeeded yet
    simulator.confirm_payment(payment["id"])
    first = client.post("/refunds", {"payment_id": payment["id"], "amount": {"value": "1000.00", "currency": "RUB"}})
    assert (first.status_code, first.json()["status"]) == (200, "succeeded")
    second = client.post("/refunds", {"payment_id": payment["id"], "amount": {"value": "500.00", "currency": "RUB"}})
    assert second.json()["status"] == "succeeded"
    over = client.post("/refunds", {"payment_id": payment["id"], "amount": {"value": "0.01", "currency": "RUB"}})
    assert (over.status_code, over.json()["parameter"]) == (400, "amount")
    after = client.get(f"/payments/{payment['id']}").json()
    assert (after["refunded_amount"]["value"], after["refundable"]) == ("1500.00", False)
    simulator.send_webhooks()
    refund_note = receiver.requests[-1]
    assert json.loads(refund_note.body)["event"] == "refund.succeeded"
    fetched = trusted(client, refund_note)
    assert fetched is not None
    assert fetched["payment_id"] == payment["id"]


def test_idempotence_key_rules(simulator: YooKassaSimulator, client: YooKassaClient) -> None:
    body = {
        "amount": {"value": "100.00", "currency": "RUB"},
        "confirmation": {"type": "redirect", "return_url": "http://shop.example/"},
    }
    missing = client.post("/payments", body, key="")
    assert (missing.status_code, missing.json()["type"], missing.json()["code"]) == (400, "error", "invalid_request")
    first = client.post("/payments", body, key="k-1")
    same = client.post("/payments", body, key="k-1")
    assert same.json() == first.json()
    other = client.post("/payments", {**body, "amount": {"value": "101.00", "currency": "RUB"}}, key="k-1")
    assert (other.status_code, other.json()["parameter"]) == (400, "Idempotence-Key")
    assert len(simulator.payments) == 1

    simulator.script_processing(retry_after_ms=1500)
    simulator.clock.freeze()
    accepted = client.post("/payments", body, key="k-2")
    assert (accepted.status_code, accepted.json()["type"]) == (202, "processing")
    assert accepted.json()["retry_after"] == 1500
    assert client.post("/payments", body, key="k-2").status_code == 202
    simulator.clock.advance(1.5)
    done = client.post("/payments", body, key="k-2")
    assert (done.status_code, done.json()["status"]) == (200, "pending")
    assert len(simulator.payments) == 2

    simulator.fail_next(mode="error", executed=True, path="/v3/payments")
    crashed = client.post("/payments", body, key="k-3")
    assert (crashed.status_code, crashed.json()["code"]) == (500, "internal_server_error")
    assert len(simulator.payments) == 3  # the outcome was unknown, but the payment exists
    assert client.post("/payments", body, key="k-3").json()["id"] in simulator.payments
    assert len(simulator.payments) == 3

    simulator.clock.advance(24 * 3600 + 1)
    assert client.post("/payments", body, key="k-1").json()["id"] != first.json()["id"]


def test_timeouts_and_notification_retries() -> None:
    with WebhookReceiver() as receiver, YooKassaSimulator(retry_time_scale=1 / 600) as simulator:
        simulator.add_notification_url(receiver.url)
        receiver.respond_with(204, 500)
        impatient = YooKassaClient(simulator, timeout=0.3)
        simulator.fail_next(mode="timeout", seconds=1.0, executed=True, path="/v3/payments")
        try:
            impatient.create(key="slow-1")
            raise AssertionError("the request should have timed out")
        except requests.exceptions.ReadTimeout:
            pass
        (payment_id,) = simulator.payments
        assert YooKassaClient(simulator).create(key="slow-1")["id"] == payment_id
        simulator.confirm_payment(payment_id)
        assert receiver.wait_for(3, timeout=5)
        assert simulator.wait_for_webhooks()
        assert [(a.attempt, a.status) for a in simulator.webhook_attempts] == [(1, 204), (2, 500), (3, 200)]

        simulator.duplicate_next_webhooks()
        YooKassaClient(simulator).post(f"/payments/{payment_id}/capture", {})
        assert receiver.wait_for(5, timeout=5)
        assert receiver.requests[3].body == receiver.requests[4].body


def test_authentication_and_content_type(simulator: YooKassaSimulator) -> None:
    wrong = requests.get(f"{simulator.url}/v3/payments", auth=(simulator.shop_id, "test_wrong"), timeout=5)
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
    form = requests.post(
        f"{simulator.url}/v3/payments",
        data={"a": "b"},
        timeout=5,
        auth=(simulator.shop_id, simulator.secret_key),
        headers={"Idempotence-Key": "x"},
    )
    assert form.status_code == 415
    listed = requests.get(
        f"{simulator.url}/v3/payments?limit=1", timeout=5, auth=(simulator.shop_id, simulator.secret_key)
    ).json()
    assert listed == {"type": "list", "items": []}


def test_runner_prints_the_shop() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hostkeep.integrations.yookassa.simulator", "--json"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        described = json.loads(process.stdout.readline())
        shop = described["credentials"]
        me = requests.get(f"{shop['api_base']}/me", auth=(shop["shop_id"], shop["secret_key"]), timeout=5).json()
        assert me["account_id"] == shop["shop_id"]
    finally:
        process.terminate()
        process.wait(timeout=5)
