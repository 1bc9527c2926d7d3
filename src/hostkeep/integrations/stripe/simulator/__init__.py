"""A local Stripe for tests, the demo and benchmarks; see ``docs/simulators.md``."""

from hostkeep.integrations.stripe.simulator.cards import TEST_CARDS, TestCard
from hostkeep.integrations.stripe.simulator.signing import compute_signature, signature_header, verify_signature
from hostkeep.integrations.stripe.simulator.simulator import (
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_SECRET_KEY,
    LIVE_MODE_RETRY_SCHEDULE,
    TEST_MODE_RETRY_SCHEDULE,
    StripeSimulator,
    WebhookEndpoint,
)

__all__ = [
    "DEFAULT_PUBLISHABLE_KEY",
    "DEFAULT_SECRET_KEY",
    "LIVE_MODE_RETRY_SCHEDULE",
    "TEST_CARDS",
    "TEST_MODE_RETRY_SCHEDULE",
    "StripeSimulator",
    "TestCard",
    "WebhookEndpoint",
    "compute_signature",
    "signature_header",
    "verify_signature",
]
