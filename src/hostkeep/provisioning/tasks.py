"""Provisioning jobs: running one action (retries are scheduled by the action itself, with
``run_after``), the janitor that picks up actions whose job was lost or that hung, and the
periodic reconciliation with every panel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crontask import cron
from django.tasks import task

from hostkeep.core import clock
from hostkeep.core.outbox import delivering_inline
from hostkeep.provisioning.choices import OPEN_ACTION_STATUSES, ActionStatus
from hostkeep.provisioning.models import ProvisioningAction
from hostkeep.provisioning.reconciliation import reconcile_all
from hostkeep.provisioning.runner import action_execute
from hostkeep.provisioning.usage import usage_collect


@task()
def provisioning_action_run(*, action_id: int) -> str:
    """Run one action; what it announces (the service is active, it failed) is delivered by
    this job right after it commits, not queued behind other work."""
    with delivering_inline():
        return action_execute(action_id=action_id)


@cron("* * * * *")  # type: ignore[untyped-decorator]
@task()
def provisioning_janitor() -> dict[str, int]:
    """Actions left RUNNING by a crashed worker become UNKNOWN (the next attempt looks the
    object up first); open actions overdue by a minute get their job enqueued again."""
    now = clock.now()
    stuck = ProvisioningAction.objects.filter(
        status=ActionStatus.RUNNING, started_at__lt=now - dt.timedelta(minutes=10)
    ).update(status=ActionStatus.UNKNOWN, next_run_at=now)
    overdue = list(
        ProvisioningAction.objects.filter(
            status__in=OPEN_ACTION_STATUSES, next_run_at__lt=now - dt.timedelta(minutes=1)
        ).values_list("pk", flat=True)[:500]
    )
    for action_id in overdue:
        provisioning_action_run.enqueue(action_id=action_id)
    return {"stuck": stuck, "requeued": len(overdue)}


@cron("*/15 * * * *")  # type: ignore[untyped-decorator]
@task()
def provisioning_reconcile() -> dict[str, Any]:
    return reconcile_all()


@cron("5 * * * *")  # type: ignore[untyped-decorator]
@task()
def provisioning_usage_collect() -> dict[str, int]:
    """Every hour: pay-as-you-go figures from the panels, as usage records."""
    return usage_collect()
