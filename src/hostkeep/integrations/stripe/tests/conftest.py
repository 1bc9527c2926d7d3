"""The Stripe simulator on 127.0.0.1, the real ``stripe`` SDK pointed at it, and a receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from hostkeep.integrations.gatewaysim.receiver import WebhookReceiver
from hostkeep.integrations.stripe.simulator import StripeSimulator, WebhookEndpoint


@pytest.fixture
def simulator() -> Iterator[StripeSimulator]:
    with StripeSimulator(auto_deliver=False, hang_seconds=2.0) as running:
        yield running


@pytest.fixture
def client(simulator: StripeSimulator) -> stripe.StripeClient:
    return stripe.StripeClient(
        simulator.secret_key,
        base_addresses={"api": simulator.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=3),
    )


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def endpoint(simulator: StripeSimulator, receiver: WebhookReceiver) -> WebhookEndpoint:
    return simulator.add_webhook_endpoint(receiver.url)
