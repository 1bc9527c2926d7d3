"""Outbox subscribers of notifications (listed in settings.OUTBOX_HANDLER_MODULES).

Every topic in the catalogue is delivered. The catalogue fills while apps get ready, and core
reads ``HANDLERS`` once, on the first delivery (after that), so ``HANDLERS`` is a live view of
the catalogue rather than a dictionary written at import time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hostkeep.core.outbox import Handler, current_event
from hostkeep.notifications.actions import notification_record
from hostkeep.notifications.catalogue import EVENT_TYPES


def notify(topic: str) -> Handler:
    """The handler of one catalogue topic."""

    def handler(payload: dict[str, Any]) -> None:
        event = current_event()
        notification_record(topic=topic, payload=payload, event_id=event.pk if event is not None else None)

    handler.__qualname__ = "notify"
    return handler


class CatalogueHandlers(Mapping[str, list[Handler]]):
    """topic -> [handler] for every event type registered in the catalogue."""

    def __getitem__(self, topic: str) -> list[Handler]:
        if topic not in EVENT_TYPES:
            raise KeyError(topic)
        return [notify(topic)]

    def __iter__(self) -> Iterator[str]:
        return iter(list(EVENT_TYPES))

    def __len__(self) -> int:
        return len(EVENT_TYPES)


HANDLERS: Mapping[str, list[Handler]] = CatalogueHandlers()
