"""PayPal's configuration as a gateway account stores it."""

from __future__ import annotations

from dataclasses import dataclass

from hostkeep.payments.interface import GatewayContext

# Notifications whose transmission time is older than this are refused as replays.
REPLAY_WINDOW_SECONDS = 300


@dataclass(frozen=True)
class PayPalConfig:
    client_id: str
    client_secret: str
    webhook_id: str
    api_base: str
    timeout: float

    @classmethod
    def from_context(cls, context: GatewayContext) -> PayPalConfig:
        return cls(
            client_id=context.secret("client_id"),
            client_secret=context.secret("client_secret"),
            webhook_id=str(context.setting("webhook_id") or context.secret("webhook_id")),
            api_base=str(context.setting("api_base") or "https://api-m.paypal.com").rstrip("/"),
            timeout=float(context.setting("timeout", 20)),
        )
