"""Demo data for notifications (seeded by ``seed_demo``; every step finds what an earlier run made).

The texts of every event ship in code (English, Russian, Spanish), so there is nothing to
seed for them. The demo adds an outgoing webhook and a Telegram account, both switched off,
so staff see what setting them up looks like; the events the other demo parts cause (the
demo invoice issued and paid, say) reach the demo customers in the portal and in the
captured mailbox once the worker has delivered the outbox.
"""

from __future__ import annotations

from collections.abc import Callable

from hostkeep.core import clock
from hostkeep.notifications.choices import EndpointKind
from hostkeep.notifications.models import ChannelAccount, Endpoint

DEMO_WEBHOOK = "Provider ERP (demo, off)"


def seed() -> None:
    """A disabled demo webhook and a disabled Telegram account (idempotent)."""
    if not Endpoint.objects.filter(name=DEMO_WEBHOOK).exists():
        Endpoint.objects.create(
            kind=EndpointKind.WEBHOOK,
            name=DEMO_WEBHOOK,
            url="https://erp.example.com/hostkeep/events",
            secret="demo-signing-secret-change-me",  # noqa: S106 - a disabled demo endpoint
            topics=["invoice.issued", "invoice.paid", "order.placed"],
            enabled=False,
            created_at=clock.now(),
        )
    ChannelAccount.objects.get_or_create(
        channel="telegram",
        defaults={"url": "tgram://123456789:demo-bot-token/{address}", "enabled": False, "updated_at": clock.now()},
    )


def start_simulators(*, site_url: str) -> list[Callable[[], None]]:
    """Start the local simulators the demo of notifications talks to (``site_url`` is where Hostkeep
    answers, for webhooks); returns their stop functions."""
    return []
