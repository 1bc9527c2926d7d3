"""Stripe's configuration as a gateway account stores it."""

from __future__ import annotations

from dataclasses import dataclass

from hostkeep.payments.interface import GatewayContext

DEFAULT_API_BASE = "https://api.stripe.com"
# Stripe's SDK refuses signatures older than this many seconds (its documented default).
REPLAY_WINDOW_SECONDS = 300


@dataclass(frozen=True)
class StripeConfig:
    secret_key: str
    webhook_secret: str
    api_base: str
    timeout: float

    @classmethod
    def from_context(cls, context: GatewayContext) -> StripeConfig:
        return cls(
            secret_key=context.secret("secret_key"),
            webhook_secret=context.secret("webhook_secret"),
            api_base=str(context.setting("api_base") or DEFAULT_API_BASE),
            timeout=float(context.setting("timeout", 20)),
        )
