"""Billing jobs: the daily billing run, split into ranges of customers that any number of
workers take in parallel; and dunning, which is cheap and runs after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crontask import cron
from django.db import IntegrityError, transaction
from django.tasks import task

from hostkeep.billing.choices import DunningStepKind, PromisedPaymentStatus
from hostkeep.billing.dunning import dunning_run
from hostkeep.billing.models import DunningStep, PromisedPayment
from hostkeep.billing.run import billing_run, due_customer_range
from hostkeep.core import clock
from hostkeep.core.actions import outbox_emit

RANGE_SIZE = 50_000


@task()
def billing_run_range(*, at: str, lo: int, hi: int, run_key: str) -> dict[str, Any]:
    """Bill customers [lo, hi) for the instant ``at`` (ISO); safe to run twice."""
    run = billing_run(
        at=dt.datetime.fromisoformat(at), customers=(lo, hi), run_key=f"{run_key}:{lo}", with_dunning=False
    )
    return {"renewed": run.services_renewed, "invoices": run.invoices_issued}


@cron("0 1 * * *")  # type: ignore[untyped-decorator]
@task()
def billing_run_daily() -> dict[str, Any]:
    """Every night: split the due customers into ranges and enqueue one job per range."""
    at = clock.now()
    span = due_customer_range(at)
    if span is None:
        return {"ranges": 0}
    lo, hi = span
    run_key = f"daily:{at:%Y-%m-%d}"
    ranges = [(start, min(start + RANGE_SIZE, hi)) for start in range(lo, hi, RANGE_SIZE)]
    for start, end in ranges:
        billing_run_range.enqueue(at=at.isoformat(), lo=start, hi=end, run_key=run_key)
    billing_dunning.using(run_after=at + dt.timedelta(minutes=30)).enqueue(at=at.isoformat())
    return {"ranges": len(ranges)}


@task()
def billing_dunning(*, at: str) -> dict[str, int]:
    return dunning_run(at=dt.datetime.fromisoformat(at))


PROMISE_WARNING_HOURS = 24


@cron("15 * * * *")  # type: ignore[untyped-decorator]
@task()
def promised_payments_warn_expiring() -> int:
    """Every hour: announce ``billing.promised_payment_expiring`` for open promises ending
    within a day, once per promise (a dunning reminder step with a unique key is inserted
    first; the event goes out only with it)."""
    now = clock.now()
    soon = PromisedPayment.objects.filter(
        status=PromisedPaymentStatus.OPEN,
        expires_at__gt=now,
        expires_at__lte=now + dt.timedelta(hours=PROMISE_WARNING_HOURS),
    ).values_list("pk", flat=True)
    announced = 0
    for promise_id in soon:
        try:
            with transaction.atomic():
                DunningStep.objects.create(
                    kind=DunningStepKind.REMINDER, key=f"promise-expiring:{promise_id}", occurred_at=now
                )
                outbox_emit(topic="billing.promised_payment_expiring", payload={"promised_payment_id": promise_id})
        except IntegrityError:
            continue
        announced += 1
    return announced
