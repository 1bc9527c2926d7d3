"""PayFast's configuration as a gateway account stores it."""

from __future__ import annotations

from dataclasses import dataclass

from hostkeep.payments.interface import GatewayContext

# PayFast's published ITN source networks (www.payfast.co.za, w1w/w2w.payfast.co.za, sandbox).
DEFAULT_NOTIFY_NETWORKS = (
    "197.97.145.144/28",
    "41.74.179.192/27",
    "102.216.36.0/28",
    "102.216.36.128/28",
    "144.126.193.139/32",
)


@dataclass(frozen=True)
class PayFastConfig:
    merchant_id: str
    merchant_key: str
    passphrase: str
    process_url: str
    validate_url: str
    api_base: str
    notify_networks: tuple[str, ...]
    trust_forwarded_for: bool
    timeout: float

    @classmethod
    def from_context(cls, context: GatewayContext) -> PayFastConfig:
        site = str(context.setting("site_base") or "https://www.payfast.co.za").rstrip("/")
        return cls(
            merchant_id=context.secret("merchant_id"),
            merchant_key=context.secret("merchant_key"),
            passphrase=context.secret("passphrase"),
            process_url=f"{site}/eng/process",
            validate_url=f"{site}/eng/query/validate",
            api_base=str(context.setting("api_base") or "https://api.payfast.co.za").rstrip("/"),
            notify_networks=tuple(context.setting("notify_networks") or DEFAULT_NOTIFY_NETWORKS),
            trust_forwarded_for=bool(context.setting("trust_forwarded_for", False)),
            timeout=float(context.setting("timeout", 20)),
        )
