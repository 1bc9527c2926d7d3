"""Delivery of outbox events to the handlers the apps list in their ``handlers.py``.

Each handlers module exposes ``HANDLERS: dict[str, list[callable]]`` (topic -> functions
taking the payload). The modules are named in settings.OUTBOX_HANDLER_MODULES, so the full
list of subscribers is written down in one place.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from hostkeep.core import clock
from hostkeep.core.models import OutboxDelivery, OutboxEvent

Handler = Callable[[dict[str, Any]], None]

# The event whose handlers are running: a handler that needs the occurrence's identity (say,
# notifications, to send each event once) reads it with ``current_event()``.
_current_event: ContextVar[OutboxEvent | None] = ContextVar("outbox_current_event", default=None)


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


def handler_name(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


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
                    OutboxDelivery.objects.create(event=event, handler=name, delivered_at=clock.now())
                    handler(event.payload)
            except IntegrityError:
                continue
            ran.append(name)
    finally:
        _current_event.reset(token)
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=clock.now(), last_error="")
    return ran


def deliver_pending(*, limit: int = 10_000) -> int:
    """Deliver every undelivered event now, oldest first (tests, and a stuck-queue rescue)."""
    count = 0
    for event in OutboxEvent.objects.filter(delivered_at__isnull=True).order_by("id")[:limit]:
        deliver(event)
        count += 1
    return count
