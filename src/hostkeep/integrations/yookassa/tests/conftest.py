"""The YooKassa simulator, a small client, a receiver and the reference notification check."""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hostkeep.integrations.gatewaysim.receiver import ReceivedRequest, WebhookReceiver
from hostkeep.integrations.yookassa.simulator import YooKassaSimulator

NOTIFY_FROM = "127.0.0.3"  # stands in for YooKassa's 185.71.76.0/27 ... on loopback


class YooKassaClient:
    def __init__(self, simulator: YooKassaSimulator, *, timeout: float = 5.0) -> None:
        self.simulator = simulator
        self.timeout = timeout

    def post(self, path: str, body: Any, key: str | None = None) -> requests.Response:
        headers = {"Idempotence-Key": key or str(uuid.uuid4())} if key != "" else {}
        return requests.post(
            f"{self.simulator.url}/v3{path}",
            json=body,
            headers=headers,
            timeout=self.timeout,
            auth=(self.simulator.shop_id, self.simulator.secret_key),
        )

    def get(self, path: str) -> requests.Response:
        return requests.get(
            f"{self.simulator.url}/v3{path}",
            timeout=self.timeout,
            auth=(self.simulator.shop_id, self.simulator.secret_key),
        )

    def create(self, value: str = "1500.00", key: str | None = None, **extra: Any) -> dict[str, Any]:
        body = {
            "amount": {"value": value, "currency": "RUB"},
            "capture": False,
            "description": "Счёт № 17",
            "confirmation": {"type": "redirect", "return_url": "http://shop.example/yookassa/return"},
            "metadata": {"invoice_id": "17", "attempt_id": "903"},
            **extra,
        }
        answer = self.post("/payments", body, key)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def trusted(
    client: YooKassaClient, received: ReceivedRequest, networks: tuple[str, ...] = (f"{NOTIFY_FROM}/32",)
) -> dict[str, Any] | None:
    """The spec's verification: source address on the allow-list, then act only on a re-fetch."""
    if not any(ipaddress.ip_address(received.client_ip) in ipaddress.ip_network(n) for n in networks):
        return None
    claimed = json.loads(received.body)["object"]
    kind = "refunds" if "payment_id" in claimed else "payments"
    fetched = dict(client.get(f"/{kind}/{claimed['id']}").json())
    return fetched if fetched["status"] == claimed["status"] else None


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def simulator(receiver: WebhookReceiver) -> Iterator[YooKassaSimulator]:
    with YooKassaSimulator(auto_deliver=False, webhook_source_ip=NOTIFY_FROM, hang_seconds=2.0) as running:
        running.add_notification_url(receiver.url)
        yield running


@pytest.fixture
def client(simulator: YooKassaSimulator) -> YooKassaClient:
    return YooKassaClient(simulator)
