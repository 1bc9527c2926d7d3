"""Jobs owned by core: delivering outbox events, a sweep that catches any left behind, and
an echo job that checks a job engine end to end."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crontask import cron
from django.db.models import F
from django.tasks import task

from hostkeep.core import clock
from hostkeep.core.errors import RetryableError
from hostkeep.core.jobs import with_retries
from hostkeep.core.models import OutboxEvent
from hostkeep.core.outbox import deliver


@task()
@with_retries(max_attempts=8, base_seconds=10)
def outbox_deliver(*, event_id: int, attempt: int = 1) -> dict[str, Any]:
    event = OutboxEvent.objects.filter(pk=event_id, delivered_at__isnull=True).first()
    if event is None:
        return {"event_id": event_id, "ran": []}
    try:
        ran = deliver(event)
    except Exception as error:
        OutboxEvent.objects.filter(pk=event_id).update(attempts=F("attempts") + 1, last_error=repr(error)[:2000])
        raise RetryableError(f"outbox handler failed: {error!r}") from error
    return {"event_id": event_id, "ran": ran}


@cron("* * * * *")  # type: ignore[untyped-decorator]
@task()
def outbox_sweep() -> int:
    """Enqueue delivery of events still undelivered a minute after they were written."""
    cutoff = clock.now() - dt.timedelta(minutes=1)
    pending = list(
        OutboxEvent.objects.filter(delivered_at__isnull=True, created_at__lt=cutoff, attempts__lt=8)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    for event_id in pending:
        outbox_deliver.enqueue(event_id=event_id)
    return len(pending)


@task()
def core_echo(*, value: Any) -> Any:
    """Health check of the job engine: returns its argument unchanged.

    The tests run it on every engine (database, immediate, Celery on Redis) to prove that a
    job enqueued by the web side is run by a worker and its result read back. It touches no
    data, so it is safe to enqueue against a live installation too.
    """
    return value
