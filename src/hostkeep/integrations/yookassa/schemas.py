"""YooKassa's configuration as a gateway account stores it."""

from __future__ import annotations

from dataclasses import dataclass

from hostkeep.payments.interface import GatewayContext

# YooKassa's published notification sources (its documentation, "IP addresses").
DEFAULT_NOTIFY_NETWORKS = (
    "185.71.76.0/27",
    "185.71.77.0/27",
    "77.75.153.0/25",
    "77.75.156.11/32",
    "77.75.156.35/32",
    "77.75.154.128/25",
    "2a02:5180::/32",
)


@dataclass(frozen=True)
class YooKassaConfig:
    shop_id: str
    secret_key: str
    api_base: str
    notify_networks: tuple[str, ...]
    trust_forwarded_for: bool
    send_receipts: bool
    vat_code: int
    timeout: float

    @classmethod
    def from_context(cls, context: GatewayContext) -> YooKassaConfig:
        return cls(
            shop_id=context.secret("shop_id"),
            secret_key=context.secret("secret_key"),
            api_base=str(context.setting("api_base") or "https://api.yookassa.ru").rstrip("/"),
            notify_networks=tuple(context.setting("notify_networks") or DEFAULT_NOTIFY_NETWORKS),
            trust_forwarded_for=bool(context.setting("trust_forwarded_for", False)),
            send_receipts=bool(context.setting("send_receipts", False)),
            vat_code=int(context.setting("vat_code", 1)),
            timeout=float(context.setting("timeout", 20)),
        )
