"""PayFast: the signed form, the hosted page, ITNs and their four checks, tokenization, the API."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from urllib.parse import quote_plus

import requests

from hostkeep.integrations.gatewaysim.receiver import WebhookReceiver
from hostkeep.integrations.payfast.simulator import PayFastSimulator

from .conftest import ITN_SOURCE_IP, PayFastApi, checkout_fields, itn_problems, md5, sign_form, submit


def _pay(simulator: PayFastSimulator, fields: dict[str, str]) -> str:
    answer = submit(simulator, fields)
    assert answer.status_code == 303, answer.text
    page = answer.headers["Location"]
    assert "Pay now" in requests.get(page, timeout=5).text
    paid = requests.post(page, data={"action": "pay"}, timeout=5, allow_redirects=False)
    assert paid.headers["Location"] == fields["return_url"]
    return page.rsplit("/", 1)[1]


def test_form_pay_itn_passes_all_four_checks(simulator: PayFastSimulator, receiver: WebhookReceiver) -> None:
    _pay(simulator, checkout_fields(simulator, receiver))
    attempts = simulator.send_webhooks()
    assert [a.status for a in attempts] == [200]
    itn = receiver.requests[0]
    assert itn.header("Content-Type") == "application/x-www-form-urlencoded"
    names = [name for name, _ in itn.form_pairs()]
    assert names[:8] == [
        "m_payment_id",
        "pf_payment_id",
        "payment_status",
        "item_name",
        "item_description",
        "amount_gross",
        "amount_fee",
        "amount_net",
    ]
    assert names[-2:] == ["merchant_id", "signature"]
    posted = dict(itn.form_pairs())
    assert (posted["payment_status"], posted["m_payment_id"], posted["custom_str1"]) == (
        "COMPLETE",
        "attempt-501",
        "INV-2026-0009",
    )
    assert posted["custom_str2"] == ""  # empty fields are posted, and signed
    assert (posted["amount_gross"], posted["amount_fee"], posted["amount_net"]) == ("149.50", "-6.78", "142.72")
    assert itn.client_ip == ITN_SOURCE_IP
    assert itn_problems(simulator, itn, Decimal("149.50")) == []


def test_forged_or_misencoded_itns_fail_the_checks(simulator: PayFastSimulator, receiver: WebhookReceiver) -> None:
    _pay(simulator, checkout_fields(simulator, receiver))
    simulator.send_webhooks()
    itn = receiver.requests[0]
    assert itn_problems(simulator, itn, Decimal("10.00")) == ["data"]
    assert itn_problems(simulator, itn, Decimal("149.50"), allowed_ips=("197.97.145.145",)) == ["source"]
    forged = type(itn)(itn.method, itn.path, itn.headers, itn.body.replace(b"149.50", b"1.50"), itn.client_ip, 200)
    assert itn_problems(simulator, forged, Decimal("1.50")) == ["signature", "confirmation"]
    pairs = [(k, v) for k, v in itn.form_pairs() if k != "signature"]
    python_encoded = "&".join(f"{k}={quote_plus(v)}" for k, v in pairs)  # keeps "~": not PHP's urlencode
    assert "~" in python_encoded
    assert requests.post(f"{simulator.url}/eng/query/validate", data=python_encoded, timeout=5).text == "INVALID"


def test_bad_forms_get_an_html_error_page(simulator: PayFastSimulator, receiver: WebhookReceiver) -> None:
    good = checkout_fields(simulator, receiver)
    assert submit(simulator, good).status_code == 303
    cases = {
        "wrong signature": {**good, "signature": "0" * 32},
        "changed amount": {**good, "amount": "1500.00"},
        "below minimum": sign_form({**good, "amount": "4.99"}, simulator.passphrase),
        "no passphrase": sign_form({k: v for k, v in good.items() if k != "signature"}, None),
        "wrong merchant key": sign_form({**good, "merchant_key": "nope"}, simulator.passphrase),
    }
    alphabetical = {k: v for k, v in good.items() if k != "signature"}
    text = "&".join(f"{k}={quote_plus(v)}" for k, v in sorted(alphabetical.items()))
    cases["alphabetical order"] = {**alphabetical, "signature": md5(text + f"&passphrase={simulator.passphrase}")}
    for name, fields in cases.items():
        answer = submit(simulator, fields)
        assert (answer.status_code, answer.headers["Content-Type"].split(";")[0]) == (400, "text/html"), name
        assert "Unable to process this payment" in answer.text, name


def test_declined_and_cancelled_payments_send_no_itn(simulator: PayFastSimulator, receiver: WebhookReceiver) -> None:
    answer = submit(simulator, checkout_fields(simulator, receiver))
    page = answer.headers["Location"]
    declined = requests.post(page, data={"action": "decline"}, timeout=5)
    assert "declined" in declined.text
    cancelled = requests.post(page, data={"action": "cancel"}, timeout=5, allow_redirects=False)
    assert cancelled.headers["Location"] == "http://shop.example/payfast/cancel"
    assert simulator.send_webhooks() == []


def test_tokenization_then_adhoc_charges_with_itns(
    simulator: PayFastSimulator, receiver: WebhookReceiver, api: PayFastApi
) -> None:
    _pay(
        simulator, checkout_fields(simulator, receiver, amount="0.00", subscription_type="2", item_name="Card on file")
    )
    simulator.send_webhooks()
    token = dict(receiver.requests[0].form_pairs())["token"]
    assert len(token) == 36
    assert itn_problems(simulator, receiver.requests[0], Decimal("0.00")) == []

    charged = api.call(
        "POST",
        f"/subscriptions/{token}/adhoc",
        {"amount": 12_000, "item_name": "VPS renewal", "m_payment_id": "attempt-600"},
    )
    assert (charged.status_code, charged.json()["status"]) == (200, "success")
    pf_payment_id = charged.json()["data"]["pf_payment_id"]
    simulator.script_adhoc("failed", "Insufficient funds")
    refused = api.call(
        "POST",
        f"/subscriptions/{token}/adhoc",
        {"amount": 12_000, "item_name": "VPS renewal", "m_payment_id": "attempt-601"},
    )
    assert (refused.json()["status"], refused.json()["data"]["message"]) == ("failed", "Insufficient funds")
    simulator.send_webhooks()
    itns = [dict(r.form_pairs()) for r in receiver.requests[1:]]
    assert [(i["pf_payment_id"] == pf_payment_id, i["payment_status"], i["amount_gross"]) for i in itns] == [
        (True, "COMPLETE", "120.00"),
        (False, "FAILED", "120.00"),
    ]
    assert all(i["token"] == token for i in itns)

    assert (
        api.call(
            "POST", f"/subscriptions/{token}/adhoc", {"amount": 1, "item_name": "x"}, passphrase="wrong"
        ).status_code
        == 401
    )
    assert api.call("POST", f"/subscriptions/{token}/adhoc", {"amount": "1.00", "item_name": "x"}).status_code == 400
    assert api.call("GET", "/subscriptions/not-a-token/fetch").status_code == 404


def test_recharging_after_a_timeout_is_caught(simulator: PayFastSimulator, receiver: WebhookReceiver) -> None:
    _pay(simulator, checkout_fields(simulator, receiver, amount="0.00", subscription_type="2"))
    simulator.send_webhooks()
    token = dict(receiver.requests[0].form_pairs())["token"]
    impatient = PayFastApi(simulator, timeout=0.3)
    simulator.fail_next(mode="timeout", seconds=1.0, executed=True, path="/subscriptions/")
    charge = {"amount": 5000, "item_name": "Renewal", "m_payment_id": "attempt-700"}
    try:
        impatient.call("POST", f"/subscriptions/{token}/adhoc", charge)
        raise AssertionError("the charge should have timed out")
    except requests.exceptions.ReadTimeout:
        pass
    assert simulator.duplicate_charges() == []
    PayFastApi(simulator).call("POST", f"/subscriptions/{token}/adhoc", charge)  # a blind retry: charged twice
    duplicates = simulator.duplicate_charges()
    assert [[c["m_payment_id"] for c in group] for group in duplicates] == [["attempt-700", "attempt-700"]]


def test_subscription_billing_failure_sends_no_itn_and_cancel_does(
    simulator: PayFastSimulator, receiver: WebhookReceiver, api: PayFastApi
) -> None:
    fields = checkout_fields(
        simulator,
        receiver,
        amount="99.00",
        subscription_type="1",
        recurring_amount="99.00",
        frequency="3",
        cycles="0",
        billing_date="2030-01-15",
    )
    _pay(simulator, fields)
    simulator.send_webhooks()
    token = dict(receiver.requests[0].form_pairs())["token"]
    fetched = api.call("GET", f"/subscriptions/{token}/fetch").json()["data"]["response"]
    assert (fetched["status_text"], fetched["frequency"], fetched["amount"]) == ("ACTIVE", 3, 9900)
    assert fetched["run_date"].startswith("2030-01-15")

    simulator.run_subscription_billing(token, succeed=False)
    assert simulator.send_webhooks() == []
    after_failure = api.call("GET", f"/subscriptions/{token}/fetch").json()["data"]["response"]
    assert after_failure["run_date"].startswith("2030-01-15")
    assert after_failure["status_reason"]

    simulator.run_subscription_billing(token)
    assert (
        api.call("GET", f"/subscriptions/{token}/fetch").json()["data"]["response"]["run_date"].startswith("2030-02-15")
    )
    assert api.call("PUT", f"/subscriptions/{token}/cancel").json()["status"] == "success"
    simulator.send_webhooks()
    statuses = [dict(r.form_pairs())["payment_status"] for r in receiver.requests]
    assert statuses == ["COMPLETE", "COMPLETE", "CANCELLED"]


def test_refunds_in_cents_and_over_refund(
    simulator: PayFastSimulator, receiver: WebhookReceiver, api: PayFastApi
) -> None:
    _pay(simulator, checkout_fields(simulator, receiver))
    simulator.send_webhooks()
    pf_payment_id = dict(receiver.requests[0].form_pairs())["pf_payment_id"]
    query = api.call("GET", f"/refunds/query/{pf_payment_id}").json()["data"]["response"]
    assert (query["amount_available_for_refund"], query["status"]) == (14950, "FULL_REFUND_AVAILABLE")
    partial = api.call("POST", f"/refunds/{pf_payment_id}", {"amount": 5000, "reason": "Downgrade", "notify_buyer": 1})
    assert partial.json()["status"] == "success"
    over = api.call("POST", f"/refunds/{pf_payment_id}", {"amount": 9951, "reason": "Too much"})
    assert (over.status_code, over.json()["status"]) == (400, "failed")
    assert (
        api.call("GET", f"/refunds/query/{pf_payment_id}").json()["data"]["response"]["amount_available_for_refund"]
        == 9950
    )


def test_itns_are_resent_until_200_duplicated_and_reordered(
    simulator: PayFastSimulator, receiver: WebhookReceiver
) -> None:
    receiver.respond_with(500, 204)
    _pay(simulator, checkout_fields(simulator, receiver))
    assert [a.status for a in simulator.send_webhooks()] == [500]
    assert [a.status for a in simulator.deliver_due_webhooks()] == [204]  # "resends immediately"; only 200 counts
    assert [a.status for a in simulator.retry_failed_webhooks()] == [200]
    assert len({r.body for r in receiver.requests}) == 1

    simulator.hold_webhooks()
    _pay(simulator, checkout_fields(simulator, receiver, m_payment_id="attempt-502"))
    _pay(simulator, checkout_fields(simulator, receiver, m_payment_id="attempt-503"))
    simulator.release_webhooks(order="reverse", duplicate=True)
    later = [dict(r.form_pairs())["m_payment_id"] for r in receiver.requests[3:]]
    assert later == ["attempt-503", "attempt-503", "attempt-502", "attempt-502"]


def test_sandbox_sends_once_and_forwarded_for_is_configurable(receiver: WebhookReceiver) -> None:
    with PayFastSimulator(sandbox=True, auto_deliver=False, webhook_forwarded_for="197.97.145.150") as simulator:
        receiver.respond_with(500)
        _pay(simulator, checkout_fields(simulator, receiver))
        simulator.send_webhooks()
        assert simulator.retry_failed_webhooks() == []
        assert receiver.requests[0].header("X-Forwarded-For") == "197.97.145.150"
        assert receiver.requests[0].client_ip == "127.0.0.1"


def test_runner_prints_the_merchant() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hostkeep.integrations.payfast.simulator", "--json"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        described = json.loads(process.stdout.readline())
        assert described["credentials"]["merchant_id"] == "10000100"
        assert requests.post(described["credentials"]["process_url"], data={}, timeout=5).status_code == 400
    finally:
        process.terminate()
        process.wait(timeout=5)
