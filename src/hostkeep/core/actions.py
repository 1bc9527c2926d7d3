"""Writes owned by core: audit entries, outbox events and gapless numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from hostkeep.core import clock, outbox
from hostkeep.core.choices import ActorKind
from hostkeep.core.models import AuditEvent, OutboxEvent, SequenceCounter


@dataclass(frozen=True, slots=True)
class AuditActor:
    """Who acts, as the audit log records it. Built by accounts from a request or a job."""

    kind: str
    user_id: int | None = None
    label: str = ""
    ip_address: str | None = None


SYSTEM = AuditActor(kind=ActorKind.SYSTEM, label="system")


def audit_record(
    *,
    actor: AuditActor,
    action: str,
    customer_id: int | None = None,
    object_type: str = "",
    object_id: str | int = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry to the audit log, inside the caller's transaction."""
    return AuditEvent.objects.create(
        occurred_at=clock.now(),
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        actor_label=actor.label[:254],
        customer_id=customer_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        ip_address=actor.ip_address,
        detail=detail or {},
    )


def outbox_emit(*, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record an event in the caller's transaction and deliver it by a job after commit (one
    job for all the events of a transaction; none for a topic nobody subscribes to, which is
    recorded as delivered)."""
    now = clock.now()
    subscribed = outbox.has_handlers(topic)
    event = OutboxEvent.objects.create(
        topic=topic, payload=payload, created_at=now, delivered_at=None if subscribed else now
    )
    if subscribed:
        outbox.deliver_after_commit(event.pk)
    return event


def sequence_next(*, scope: str) -> int:
    """The next number of a gapless series; must run inside the transaction that uses it.

    The counter row is locked until that transaction ends, so concurrent issuers queue up,
    and a rollback returns the number (no gap).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must be called inside transaction.atomic()")
    updated = SequenceCounter.objects.filter(scope=scope).update(last_value=F("last_value") + 1)
    if not updated:
        try:
            with transaction.atomic():
                SequenceCounter.objects.create(scope=scope, last_value=0)
        except IntegrityError:
            pass  # another transaction created it first; the update below waits for its lock
        SequenceCounter.objects.filter(scope=scope).update(last_value=F("last_value") + 1)
    return SequenceCounter.objects.select_for_update().get(scope=scope).last_value


def sequence_reserve(*, scope: str, count: int) -> int:
    """Take ``count`` consecutive numbers of a gapless series at once (for bulk issuing);
    returns the first. Same locking and rollback behaviour as ``sequence_next``."""
    if count < 1:
        raise ValueError("count must be positive")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_reserve must be called inside transaction.atomic()")
    if not SequenceCounter.objects.filter(scope=scope).update(last_value=F("last_value") + count):
        try:
            with transaction.atomic():
                SequenceCounter.objects.create(scope=scope, last_value=0)
        except IntegrityError:
            pass
        SequenceCounter.objects.filter(scope=scope).update(last_value=F("last_value") + count)
    last = SequenceCounter.objects.select_for_update().get(scope=scope).last_value
    return last - count + 1
