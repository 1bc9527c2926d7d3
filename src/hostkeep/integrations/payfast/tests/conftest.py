"""The PayFast simulator, a receiver, and reference implementations written independently of it:
PHP ``urlencode``, the checkout signature, the four ITN checks and the API request signer."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from hostkeep.integrations.gatewaysim.receiver import ReceivedRequest, WebhookReceiver
from hostkeep.integrations.payfast.simulator import PayFastSimulator

ITN_SOURCE_IP = "127.0.0.2"  # stands in for PayFast's published ranges on loopback

_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
_ORDER = (
    "merchant_id",
    "merchant_key",
    "return_url",
    "cancel_url",
    "notify_url",
    "name_first",
    "name_last",
    "email_address",
    "cell_number",
    "m_payment_id",
    "amount",
    "item_name",
    "item_description",
    "custom_int1",
    "custom_str1",
    "subscription_type",
    "billing_date",
    "recurring_amount",
    "frequency",
    "cycles",
)


def php_urlencode(text: str) -> str:
    out = []
    for byte in text.encode("utf-8"):
        if byte in _SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def sign_form(fields: dict[str, str], passphrase: str | None) -> dict[str, str]:
    text = "&".join(f"{k}={php_urlencode(fields[k].strip())}" for k in _ORDER if fields.get(k, "").strip())
    if passphrase:
        text += f"&passphrase={php_urlencode(passphrase)}"
    return {**fields, "signature": md5(text)}


def itn_problems(
    simulator: PayFastSimulator,
    received: ReceivedRequest,
    expected_amount: Decimal,
    allowed_ips: tuple[str, ...] = (ITN_SOURCE_IP,),
) -> list[str]:
    """The spec's four ITN checks; returns what failed (empty = trustworthy)."""
    pairs = received.form_pairs()
    posted = dict(pairs)
    problems = []
    before_signature = []
    for key, value in pairs:
        if key == "signature":
            break
        before_signature.append(f"{key}={php_urlencode(value)}")
    parameter_string = "&".join(before_signature)
    with_passphrase = parameter_string + (
        f"&passphrase={php_urlencode(simulator.passphrase)}" if simulator.passphrase else ""
    )
    if md5(with_passphrase) != posted.get("signature"):
        problems.append("signature")
    if received.client_ip not in allowed_ips:
        problems.append("source")
    if abs(Decimal(posted.get("amount_gross", "0")) - expected_amount) > Decimal("0.01") or (
        posted.get("merchant_id") != simulator.merchant_id
    ):
        problems.append("data")
    answer = requests.post(
        f"{simulator.url}/eng/query/validate",
        data=parameter_string,
        timeout=5,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if answer.text != "VALID":
        problems.append("confirmation")
    return problems


class PayFastApi:
    """Signs like the PHP SDK's ``Request::sendApiRequest`` (alphabetical, ``testing`` excluded)."""

    def __init__(self, simulator: PayFastSimulator, *, timeout: float = 5.0) -> None:
        self.simulator = simulator
        self.timeout = timeout

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, passphrase: str | None = None
    ) -> requests.Response:
        headers = {
            "merchant-id": self.simulator.merchant_id,
            "version": "v1",
            "timestamp": dt.datetime.now(dt.UTC)
            .astimezone(dt.timezone(dt.timedelta(hours=2)))
            .isoformat(timespec="seconds"),
        }
        values = {**headers, **{k: str(v) for k, v in (body or {}).items()}}
        secret = passphrase if passphrase is not None else self.simulator.passphrase
        if secret:
            values["passphrase"] = secret
        headers["signature"] = md5("&".join(f"{k}={php_urlencode(values[k])}" for k in sorted(values)))
        return requests.request(
            method,
            f"{self.simulator.url}{path}?testing=true",
            headers=headers,
            data=json.dumps(body) if body is not None else None,
            timeout=self.timeout,
        )


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def simulator(receiver: WebhookReceiver) -> Iterator[PayFastSimulator]:
    with PayFastSimulator(
        auto_deliver=False, webhook_source_ip=ITN_SOURCE_IP, hang_seconds=2.0, default_notify_url=receiver.url
    ) as running:
        yield running


@pytest.fixture
def api(simulator: PayFastSimulator) -> PayFastApi:
    return PayFastApi(simulator)


def checkout_fields(simulator: PayFastSimulator, receiver: WebhookReceiver, **extra: str) -> dict[str, str]:
    fields = {
        "merchant_id": simulator.merchant_id,
        "merchant_key": simulator.merchant_key,
        "return_url": "http://shop.example/payfast/return",
        "cancel_url": "http://shop.example/payfast/cancel",
        "notify_url": receiver.url,
        "name_first": "Thabo",
        "email_address": "thabo@example.co.za",
        "m_payment_id": "attempt-501",
        "amount": "149.50",
        "item_name": "Minecraft server ~ 4 GB",
        "custom_str1": "INV-2026-0009",
        **extra,
    }
    return sign_form(fields, simulator.passphrase)


def submit(simulator: PayFastSimulator, fields: dict[str, str]) -> requests.Response:
    return requests.post(simulator.process_url, data=fields, timeout=5, allow_redirects=False)
