"""The PayPal simulator, a minimal REST client (token cache, one refresh on 401) and a receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hostkeep.integrations.gatewaysim.receiver import WebhookReceiver
from hostkeep.integrations.paypal.simulator import PayPalSimulator


class PayPalClient:
    """What an integration does: cache the OAuth token, refresh it once on a 401."""

    def __init__(self, simulator: PayPalSimulator, *, timeout: float = 5.0) -> None:
        self.simulator = simulator
        self.timeout = timeout
        self.token: str | None = None

    def fetch_token(self) -> str:
        answer = requests.post(
            f"{self.simulator.url}/v1/oauth2/token",
            auth=(self.simulator.client_id, self.simulator.client_secret),
            data={"grant_type": "client_credentials"},
            timeout=self.timeout,
        )
        answer.raise_for_status()
        self.token = answer.json()["access_token"]
        return str(self.token)

    def call(
        self, method: str, path: str, body: Any = None, *, request_id: str | None = None, prefer: str | None = None
    ) -> requests.Response:
        for attempt in range(2):
            headers = {
                "Authorization": f"Bearer {self.token or self.fetch_token()}",
                "Content-Type": "application/json",
            }
            if request_id:
                headers["PayPal-Request-Id"] = request_id
            if prefer:
                headers["Prefer"] = prefer
            answer = requests.request(
                method, f"{self.simulator.url}{path}", json=body, headers=headers, timeout=self.timeout
            )
            if answer.status_code != 401 or attempt == 1:
                return answer
            self.token = None
        raise AssertionError("unreachable")

    def create_order(
        self, value: str = "25.00", *, request_id: str = "order-1", invoice_id: str = "INV-1", vault: bool = False
    ) -> dict[str, Any]:
        paypal: dict[str, Any] = {
            "experience_context": {
                "return_url": "http://shop.example/paypal/return",
                "cancel_url": "http://shop.example/paypal/cancel",
                "user_action": "PAY_NOW",
                "shipping_preference": "NO_SHIPPING",
            }
        }
        if vault:
            paypal["attributes"] = {
                "vault": {"store_in_vault": "ON_SUCCESS", "usage_type": "MERCHANT", "customer_type": "CONSUMER"}
            }
        answer = self.call(
            "POST",
            "/v2/checkout/orders",
            {
                "intent": "CAPTURE",
                "purchase_units": [
                    {
                        "reference_id": "invoice",
                        "description": "Hosting, December",
                        "custom_id": "attempt-31",
                        "invoice_id": invoice_id,
                        "amount": {"currency_code": "USD", "value": value},
                    }
                ],
                "payment_source": {"paypal": paypal},
            },
            request_id=request_id,
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())


@pytest.fixture
def simulator() -> Iterator[PayPalSimulator]:
    with PayPalSimulator(auto_deliver=False, hang_seconds=2.0) as running:
        yield running


@pytest.fixture
def client(simulator: PayPalSimulator) -> PayPalClient:
    return PayPalClient(simulator)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def webhook_id(simulator: PayPalSimulator, receiver: WebhookReceiver) -> str:
    return simulator.add_webhook(receiver.url)
