"""Jobs owned by core: delivering outbox events, a sweep that catches any left behind, and
an echo job that checks a job engine end to end."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crontask import cron
from django.tasks import task

from hostkeep.core import clock
from hostkeep.core.errors import RetryableError
from hostkeep.core.jobs import with_retries
from hostkeep.core.models import OutboxEvent
from hostkeep.core.outbox import deliver_events

SWEEP_CHUNK = 50


@task()
@with_retries(max_attempts=8, base_seconds=10)
def outbox_deliver(
    *, event_id: int | None = None, event_ids: list[int] | None = None, attempt: int = 1
) -> dict[str, Any]:
    """Deliver one event, or the events one transaction wrote, oldest first. A failing event
    does not hold back the others; the retry runs only what is still undelivered."""
    wanted = [*(event_ids or []), *([event_id] if event_id is not None else [])]
    ran, failures = deliver_events(wanted)
    if failures:
        raise RetryableError(f"outbox handler failed: {'; '.join(failures)}")
    if event_ids is None and event_id is not None:
        return {"event_id": event_id, "ran": ran.get(event_id, [])}
    return {"event_ids": wanted, "ran": {str(pk): names for pk, names in ran.items()}}


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
    for start in range(0, len(pending), SWEEP_CHUNK):
        outbox_deliver.enqueue(event_ids=pending[start : start + SWEEP_CHUNK])
    return len(pending)


@task()
def core_echo(*, value: Any) -> Any:
    """Health check of the job engine: returns its argument unchanged.

    The tests run it on every engine (database, immediate, Celery on Redis) to prove that a
    job enqueued by the web side is run by a worker and its result read back. It touches no
    data, so it is safe to enqueue against a live installation too.
    """
    return value
