"""Delivery of outbox events to the handlers the apps list in their ``handlers.py``.

Each handlers module exposes ``HANDLERS: dict[str, list[callable]]`` (topic -> functions
taking the payload). The modules are named in settings.OUTBOX_HANDLER_MODULES, so the full
list of subscribers is written down in one place.

Delivery is proportionate: an event no handler subscribes to is recorded as delivered and costs
no job, and the events one transaction writes share one delivery job (``deliver_after_commit``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from hostkeep.core import clock
from hostkeep.core.models import OutboxDelivery, OutboxEvent

Handler = Callable[[dict[str, Any]], None]
logger = logging.getLogger(__name__)

# The event whose handlers are running: a handler that needs the occurrence's identity (say,
# notifications, to send each event once) reads it with ``current_event()``.
_current_event: ContextVar[OutboxEvent | None] = ContextVar("outbox_current_event", default=None)


# Set by ``delivering_inline()`` around a job that delivers its own events after commit.
_inline: ContextVar[bool] = ContextVar("outbox_deliver_inline", default=False)


def current_event() -> OutboxEvent | None:
    """The outbox event being delivered, when called from inside one of its handlers."""
    return _current_event.get()


@cache
def handlers_by_topic() -> dict[str, list[Handler]]:
    table: dict[str, list[Handler]] = {}
    for module_name in settings.OUTBOX_HANDLER_MODULES:
        module = importlib.import_module(module_name)
        for topic, functions in getattr(module, "HANDLERS", {}).items():
            table.setdefault(topic, []).extend(functions)
    return table


def has_handlers(topic: str) -> bool:
    """Whether any handler subscribes to ``topic``. Until every app is ready (the catalogue
    of notifications fills then) the answer is yes, so nothing is skipped too early."""
    if not apps.ready:
        return True
    return bool(handlers_by_topic().get(topic))


class _DeliveryBatch:
    """The events one transaction wrote, waiting for their delivery job."""

    def __init__(self) -> None:
        self.event_ids: list[int] = []
        self.enqueued: set[int] = set()


class _EnqueueDelivery:
    """The on-commit callback of one event. The first callback of a transaction to run enqueues
    one job for every event of its batch not enqueued yet; the others find theirs done.

    Each event keeps its own callback, so Django's savepoint bookkeeping still discards the
    callback of an event whose savepoint rolled back; its id may still ride along in a
    sibling's job, which then finds no such event and skips it.
    """

    def __init__(self, batch: _DeliveryBatch) -> None:
        self.batch = batch

    def __call__(self) -> None:
        from hostkeep.core.tasks import outbox_deliver

        pending = [event_id for event_id in self.batch.event_ids if event_id not in self.batch.enqueued]
        if not pending:
            return
        self.batch.enqueued.update(pending)
        if _inline.get():
            _ran, failures = deliver_events(pending)
            if not failures:
                return
            logger.warning("outbox: %s; left to the delivery job", "; ".join(failures))
        if len(pending) == 1:
            outbox_deliver.enqueue(event_id=pending[0])
        else:
            outbox_deliver.enqueue(event_ids=pending)


@contextmanager
def delivering_inline() -> Iterator[None]:
    """Inside a job: the events its transactions write are delivered right after each commit,
    by this worker, instead of by another job (a queue round trip less per event). An event
    with a failing handler is left to the usual delivery job and its retries."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def deliver_after_commit(event_id: int) -> None:
    """Enqueue the delivery of an event once the caller's transaction commits (at once outside
    a transaction); events of the same transaction are delivered by one job."""
    connection = transaction.get_connection()
    batch = None
    if connection.in_atomic_block:
        # Read-only look at Django's pending callbacks for this transaction: the newest of ours
        # names the batch this event joins.
        for _savepoints, callback, _robust in reversed(connection.run_on_commit):
            if isinstance(callback, _EnqueueDelivery):
                batch = callback.batch
                break
    if batch is None:
        batch = _DeliveryBatch()
    batch.event_ids.append(event_id)
    transaction.on_commit(_EnqueueDelivery(batch))


def handler_name(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


class _AlreadyDelivered(Exception):
    """This handler's delivery mark exists: it ran before (an integrity error the handler
    itself raises is a failure, retried, not this)."""


def deliver(event: OutboxEvent) -> list[str]:
    """Run every handler of the event's topic that has not run yet; returns those it ran.

    Each handler runs in its own transaction together with its delivery mark, so a handler
    either ran and is marked, or neither; a failure leaves the others' marks in place.
    """
    ran = []
    token = _current_event.set(event)
    try:
        for handler in handlers_by_topic().get(event.topic, []):
            name = handler_name(handler)
            try:
                with transaction.atomic():
                    try:
                        OutboxDelivery.objects.create(event=event, handler=name, delivered_at=clock.now())
                    except IntegrityError:
                        raise _AlreadyDelivered from None
                    handler(event.payload)
            except _AlreadyDelivered:
                continue
            ran.append(name)
    finally:
        _current_event.reset(token)
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=clock.now(), last_error="")
    return ran


def deliver_events(event_ids: list[int]) -> tuple[dict[int, list[str]], list[str]]:
    """Deliver the undelivered ones of these events, oldest first; a failing event does not
    hold back the others: its attempt is counted and its error kept. Returns the handlers run
    per event and the failures."""
    ran: dict[int, list[str]] = {}
    failures: list[str] = []
    for event in OutboxEvent.objects.filter(pk__in=event_ids, delivered_at__isnull=True).order_by("id"):
        try:
            ran[event.pk] = deliver(event)
        except Exception as error:
            OutboxEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1, last_error=repr(error)[:2000])
            failures.append(f"#{event.pk}: {error!r}")
    return ran, failures


def deliver_pending(*, limit: int = 10_000) -> int:
    """Deliver every undelivered event now, oldest first (tests, and a stuck-queue rescue)."""
    count = 0
    for event in OutboxEvent.objects.filter(delivered_at__isnull=True).order_by("id")[:limit]:
        deliver(event)
        count += 1
    return count
