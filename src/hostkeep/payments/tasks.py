"""Payments jobs: run an auto-pay attempt, confirm a payment with its gateway, execute a
refund, and the periodic reconciliation that asks gateways about payments left pending."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from crontask import cron
from django.tasks import task

from hostkeep.core import clock
from hostkeep.core.errors import HostkeepError
from hostkeep.core.jobs import with_retries
from hostkeep.payments.actions import payment_abandon, payment_confirm, refund_execute
from hostkeep.payments.autopay import autopay_attempt_run, autopay_charge
from hostkeep.payments.choices import AutopayStatus, PaymentKind, PaymentStatus, RefundStatus
from hostkeep.payments.interface import gateways
from hostkeep.payments.models import AutopayAttempt, Payment, Refund

logger = logging.getLogger(__name__)

# How long a payment may stay pending before reconciliation asks its gateway, and after how
# long an unpaid checkout is given up (a late success still counts: cancelled -> succeeded).
PENDING_TIMEOUT = dt.timedelta(minutes=15)
ABANDON_AFTER = dt.timedelta(days=3)


@task()
@with_retries(max_attempts=6, base_seconds=30)
def autopay_run(*, attempt_id: int, attempt: int = 1) -> dict[str, Any]:
    return {"attempt_id": attempt_id, "status": autopay_attempt_run(attempt_id=attempt_id)}


@task()
@with_retries(max_attempts=6, base_seconds=30)
def payment_confirm_job(*, payment_id: int, attempt: int = 1) -> dict[str, Any]:
    return {"payment_id": payment_id, "status": payment_confirm(payment_id=payment_id).status}


@task()
@with_retries(max_attempts=8, base_seconds=60)
def refund_execute_job(*, refund_id: int, attempt: int = 1) -> dict[str, Any]:
    return {"refund_id": refund_id, "status": refund_execute(refund_id=refund_id).status}


def payments_reconcile_now(*, at: dt.datetime | None = None, timeout: dt.timedelta = PENDING_TIMEOUT) -> dict[str, int]:
    """Settle what is left open past ``timeout``: auto-pay charges whose answer was lost are
    repeated with the same key (the gateway replays, never charges twice); checkout payments are
    asked about; refunds still pending are asked again."""
    now = at or clock.now()
    cutoff = now - timeout
    counts = {"charges": 0, "payments": 0, "refunds": 0, "abandoned": 0}
    abandoned = Payment.objects.filter(
        kind=PaymentKind.CHECKOUT, status=PaymentStatus.PENDING, created_at__lt=now - ABANDON_AFTER
    ).values_list("pk", flat=True)
    for payment_id in abandoned[:500]:
        payment_abandon(payment_id=payment_id)
        counts["abandoned"] += 1
    unknown = Payment.objects.filter(
        kind=PaymentKind.AUTOPAY, status__in=(PaymentStatus.UNKNOWN, PaymentStatus.PENDING), updated_at__lt=cutoff
    ).values_list("pk", "autopay_id", "account__gateway")
    for payment_id, attempt_id, gateway in unknown:
        if gateway not in gateways or not gateways.get(gateway).idempotent_charges:
            continue  # a repeat could charge twice; the gateway's notification settles it
        try:
            autopay_charge(payment_id=payment_id)
            if attempt_id and AutopayAttempt.objects.filter(pk=attempt_id, status=AutopayStatus.PENDING).exists():
                autopay_attempt_run(attempt_id=attempt_id)
        except HostkeepError as error:
            logger.warning("reconciling auto-pay payment %s failed: %s", payment_id, error.message)
        counts["charges"] += 1
    pending = Payment.objects.filter(
        kind=PaymentKind.CHECKOUT, status__in=(PaymentStatus.PENDING, PaymentStatus.UNKNOWN), updated_at__lt=cutoff
    ).exclude(gateway_payment_id="")
    for payment_id in pending.values_list("pk", flat=True)[:500]:
        try:
            payment_confirm(payment_id=payment_id)
        except HostkeepError as error:
            logger.warning("reconciling payment %s failed: %s", payment_id, error.message)
        counts["payments"] += 1
    for refund_id in Refund.objects.filter(status=RefundStatus.PENDING, created_at__lt=cutoff).values_list(
        "pk", flat=True
    )[:500]:
        try:
            refund_execute(refund_id=refund_id)
        except HostkeepError as error:
            logger.warning("reconciling refund %s failed: %s", refund_id, error.message)
        counts["refunds"] += 1
    return counts


@cron("*/5 * * * *")  # type: ignore[untyped-decorator]
@task()
def payments_reconcile() -> dict[str, int]:
    """Every five minutes: ask the gateways about payments still pending after the timeout."""
    return payments_reconcile_now()
