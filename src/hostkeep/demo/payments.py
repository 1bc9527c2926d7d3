"""Demo data for payments (seeded by ``seed_demo``; every step finds what an earlier run made).

The demo provider takes rand through all four gateway simulators, bank transfer and manual
payments. ``start_simulators`` runs the simulators as real HTTP servers on fixed ports
(8101 Stripe, 8102 PayPal, 8103 PayFast, 8104 YooKassa) with their notifications pointed at the
demo site, so a demo customer can pay an invoice on each gateway's page and see it paid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hostkeep.integrations.payfast.simulator import PayFastSimulator
from hostkeep.integrations.payfast.simulator.simulator import (
    DEFAULT_MERCHANT_ID,
    DEFAULT_MERCHANT_KEY,
    DEFAULT_PASSPHRASE,
)
from hostkeep.integrations.paypal.simulator import PayPalSimulator
from hostkeep.integrations.paypal.simulator.simulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from hostkeep.integrations.stripe.simulator import StripeSimulator
from hostkeep.integrations.stripe.simulator.simulator import DEFAULT_SECRET_KEY as STRIPE_SECRET_KEY
from hostkeep.integrations.yookassa.simulator import YooKassaSimulator
from hostkeep.integrations.yookassa.simulator.simulator import DEFAULT_SECRET_KEY as YOOKASSA_SECRET_KEY
from hostkeep.integrations.yookassa.simulator.simulator import DEFAULT_SHOP_ID
from hostkeep.payments.models import GatewayAccount

HOST = "127.0.0.1"
PORTS = {"stripe": 8101, "paypal": 8102, "payfast": 8103, "yookassa": 8104}
STRIPE_WEBHOOK_SECRET = "whsec_hostkeepDemoWebhookSecret0000000000"  # noqa: S105 - the local simulator's
PAYFAST_ITN_SOURCE = "127.0.0.2"  # stands in for PayFast's networks on loopback
YOOKASSA_SOURCE = "127.0.0.3"  # stands in for YooKassa's networks


def _url(gateway: str) -> str:
    return f"http://{HOST}:{PORTS[gateway]}"


def _accounts() -> list[dict[str, Any]]:
    return [
        {
            "gateway": "stripe",
            "label": "Card (Stripe simulator)",
            "settings": {"api_base": _url("stripe"), "timeout": 10},
            "credentials": {"secret_key": STRIPE_SECRET_KEY, "webhook_secret": STRIPE_WEBHOOK_SECRET},
        },
        {
            "gateway": "paypal",
            "label": "PayPal (simulator)",
            "settings": {"api_base": _url("paypal"), "timeout": 10},
            "credentials": {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET},
        },
        {
            "gateway": "payfast",
            "label": "PayFast (simulator)",
            "settings": {
                "site_base": _url("payfast"),
                "api_base": _url("payfast"),
                "notify_networks": [f"{PAYFAST_ITN_SOURCE}/32"],
                "timeout": 10,
            },
            "credentials": {
                "merchant_id": DEFAULT_MERCHANT_ID,
                "merchant_key": DEFAULT_MERCHANT_KEY,
                "passphrase": DEFAULT_PASSPHRASE,
            },
        },
        {
            "gateway": "yookassa",
            "label": "YooKassa (simulator)",
            "settings": {"api_base": _url("yookassa"), "notify_networks": [f"{YOOKASSA_SOURCE}/32"], "timeout": 10},
            "credentials": {"shop_id": DEFAULT_SHOP_ID, "secret_key": YOOKASSA_SECRET_KEY},
        },
        {
            "gateway": "bank",
            "label": "EFT bank transfer",
            "settings": {
                "bank_name": "First National Bank",
                "account_holder": "The Villager People (Pty) Ltd",
                "account_number": "62000000000",
                "branch_code": "250655",
            },
            "credentials": {},
        },
        {"gateway": "manual", "label": "Cash or card at the office", "settings": {}, "credentials": {}},
    ]


def seed() -> None:
    """One gateway account per gateway, in rand, found by label on later runs."""
    for position, spec in enumerate(_accounts()):
        account = GatewayAccount.objects.filter(gateway=spec["gateway"], label=spec["label"]).first()
        if account is None:
            GatewayAccount.objects.create(position=position, currencies=["ZAR"], **spec)


def start_simulators(*, site_url: str) -> list[Callable[[], None]]:
    """Start the four gateway simulators on their fixed ports, notifications pointed at the
    demo site; returns their stop functions."""
    accounts = {account.gateway: account for account in GatewayAccount.objects.filter(gateway__in=PORTS)}
    if set(accounts) != set(PORTS):
        return []

    def notify(gateway: str) -> str:
        return f"{site_url.rstrip('/')}/payments/gateways/{accounts[gateway].pk}/notify/"

    stripe = StripeSimulator(host=HOST, port=PORTS["stripe"]).start()
    stripe.add_webhook_endpoint(notify("stripe"), secret=STRIPE_WEBHOOK_SECRET)
    paypal = PayPalSimulator(host=HOST, port=PORTS["paypal"]).start()
    webhook_id = paypal.add_webhook(notify("paypal"))
    # Each start of the simulator makes a new webhook id, which verification needs.
    GatewayAccount.objects.filter(pk=accounts["paypal"].pk).update(
        settings={**accounts["paypal"].settings, "webhook_id": webhook_id}
    )
    payfast = PayFastSimulator(
        host=HOST, port=PORTS["payfast"], webhook_source_ip=PAYFAST_ITN_SOURCE, default_notify_url=notify("payfast")
    ).start()
    yookassa = YooKassaSimulator(
        host=HOST, port=PORTS["yookassa"], webhook_source_ip=YOOKASSA_SOURCE, extra_currencies=("ZAR",)
    ).start()
    yookassa.add_notification_url(notify("yookassa"))
    return [stripe.stop, paypal.stop, payfast.stop, yookassa.stop]
