"""Jobs of notifications: one per delivery (with retries and back-off), and a sweep that
picks up deliveries whose job was lost."""

from __future__ import annotations

import datetime as dt

from crontask import cron
from django.tasks import task

from hostkeep.core import clock
from hostkeep.core.jobs import with_retries
from hostkeep.notifications.actions import delivery_send
from hostkeep.notifications.choices import DeliveryStatus
from hostkeep.notifications.models import Delivery

MAX_ATTEMPTS = 6


@task()
@with_retries(max_attempts=MAX_ATTEMPTS, base_seconds=30, cap_seconds=3600)
def notification_deliver(*, delivery_id: int, attempt: int = 1) -> str:
    """Send one message; a channel that is down only delays its own deliveries."""
    return delivery_send(delivery_id=delivery_id, final=attempt >= MAX_ATTEMPTS)


@cron("*/5 * * * *")  # type: ignore[untyped-decorator]
@task()
def notification_deliveries_sweep() -> int:
    """Enqueue deliveries still pending five minutes after they were recorded (their job was
    lost), and reopen those a crashed worker left "sending" for over fifteen minutes."""
    now = clock.now()
    stale = Delivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - dt.timedelta(minutes=15)
    ).update(status=DeliveryStatus.RETRYING)
    pending = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=now - dt.timedelta(minutes=5))
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    for delivery_id in pending:
        notification_deliver.enqueue(delivery_id=delivery_id)
    return len(pending) + stale
