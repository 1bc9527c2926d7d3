"""Set-based state changes for jobs that move many services at once (dunning, the billing
run): one UPDATE guarded by the current state, then the history rows and outbox events in
bulk. The single-service path is ``actions.service_transition``; both follow the same table."""

from __future__ import annotations

from django.db import transaction

from hostkeep.core import clock
from hostkeep.core.actions import AuditActor
from hostkeep.core.models import OutboxEvent
from hostkeep.services.choices import SERVICE_TRANSITIONS
from hostkeep.services.models import Service, ServiceEvent


@transaction.atomic
def services_transition_bulk(*, service_ids: list[int], to: str, actor: AuditActor, reason: str) -> list[int]:
    """Move every listed service that may go to ``to`` from its current state; returns the
    ids that moved. Services in another state are left as they are (not an error in bulk)."""
    if not service_ids:
        return []
    allowed_from = [state for state, targets in SERVICE_TRANSITIONS.items() if to in targets]
    now = clock.now()
    rows = list(
        Service.objects.select_for_update()
        .filter(pk__in=service_ids, status__in=allowed_from)
        .order_by("pk")
        .values_list("pk", "status")
    )
    moved = [pk for pk, _status in rows]
    if not moved:
        return []
    Service.objects.filter(pk__in=moved).update(status=to, status_changed_at=now)
    ServiceEvent.objects.bulk_create(
        [
            ServiceEvent(
                service_id=pk,
                occurred_at=now,
                from_status=previous,
                to_status=to,
                actor_label=actor.label,
                actor_user_id=actor.user_id,
                reason=reason,
            )
            for pk, previous in rows
        ]
    )
    events = OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                topic=f"service.{to}", payload={"service_id": pk, "from": previous, "reason": reason}, created_at=now
            )
            for pk, previous in rows
        ]
    )

    def deliver() -> None:
        from hostkeep.core.tasks import outbox_deliver

        for event in events:
            outbox_deliver.enqueue(event_id=event.pk)

    transaction.on_commit(deliver)
    return moved
