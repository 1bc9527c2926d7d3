"""The catalogue of events people are told about, and the contract every app uses to join it.

An app that emits an outbox event people should hear about registers an ``EventType`` for its
topic once, in its ``AppConfig.ready()``::

    event_type_register(EventType(
        topic="payment.received",
        label=_("Payment received"),
        category=EventCategory.BILLING,
        audience=(Audience.CONTACT_BILLING,),
        describe=describe_payment_received,   # payload -> EventDescription | None
    ))

Notifications lives low in the stack (it imports only accounts), so it never reads another
app's tables: the registering app's ``describe`` turns the outbox payload into the plain values
the templates need, the recipients beyond the audience, a link, and any attachments. ``describe``
runs inside the notifications job, may read its own app's tables, and returns ``None`` when
nothing should be sent (say, the object has gone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise


class EventCategory(StrEnum):
    """What a contact chooses channels for. Security and billing-critical events (an
    ``EventType`` with ``critical=True``) always reach at least one channel."""

    ACCOUNT = "account"
    SECURITY = "security"
    BILLING = "billing"
    SERVICES = "services"
    SUPPORT = "support"
    DOCUMENTS = "documents"


class Audience(StrEnum):
    """Who receives an event by default. ``contact:<role>`` means the customer's contacts with
    that role (owners always count as every role); ``staff:<role>`` the staff members with that
    role; ``users`` the people ``EventDescription.user_ids`` names (a ticket's author, its
    assignee)."""

    CONTACT_OWNER = "contact:owner"
    CONTACT_BILLING = "contact:billing"
    CONTACT_TECHNICAL = "contact:technical"
    STAFF_ADMIN = "staff:admin"
    STAFF_MANAGER = "staff:manager"
    STAFF_ACCOUNTANT = "staff:accountant"
    STAFF_SUPPORT_1 = "staff:support_1"
    STAFF_SUPPORT_2 = "staff:support_2"
    STAFF_SUPPORT_3 = "staff:support_3"
    STAFF_ENGINEER = "staff:engineer"
    USERS = "users"


@dataclass(frozen=True)
class Attachment:
    """A file to attach to e-mail: a path inside the private storage (never the web root)."""

    filename: str
    storage_path: str
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class EventDescription:
    """What one occurrence of an event says. ``context`` holds plain values only (str, int,
    Decimal, date); templates never receive model instances, so they cannot reach anything
    else."""

    customer_id: int | None
    context: dict[str, Any]
    link: str = ""
    user_ids: tuple[int, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    # What makes this occurrence one occurrence ("invoice.issued:42"): the same key is never
    # sent twice. Empty means "this outbox event", so a redelivered event still sends once.
    key: str = ""


@dataclass(frozen=True)
class DefaultTemplate:
    """The text an event ships with for one language, in the template syntax of
    ``notifications.rendering`` (``{{ name }}`` placeholders only). Staff may override it per
    channel and language; ``html`` is optional (the e-mail HTML is built from ``text``)."""

    subject: str
    text: str
    html: str = ""


@dataclass(frozen=True)
class EventType:
    topic: str
    label: str | Promise
    category: EventCategory
    audience: tuple[Audience, ...]
    describe: Callable[[dict[str, Any]], EventDescription | None]
    critical: bool = False
    # Example values of ``EventDescription.context`` for the template preview in the staff
    # area; its keys are also the placeholders a staff-edited template may use.
    sample: dict[str, Any] = field(default_factory=dict)
    # Default texts per language ("en", "ru", "es"); without them a generic text is used.
    templates: dict[str, DefaultTemplate] = field(default_factory=dict)


EVENT_TYPES: dict[str, EventType] = {}

# Categories whose messages can never be switched off entirely, whatever events they hold.
ALWAYS_CRITICAL = frozenset({EventCategory.SECURITY})


def event_type_register(event_type: EventType) -> EventType:
    """Add an event to the catalogue (once per topic; registering the same topic twice is a bug)."""
    existing = EVENT_TYPES.get(event_type.topic)
    if existing is not None and existing != event_type:
        raise ValueError(f"event type {event_type.topic!r} is already registered")
    EVENT_TYPES[event_type.topic] = event_type
    return event_type


def critical_categories() -> frozenset[EventCategory]:
    """Categories in which a contact must keep e-mail or in-app: security, and every category
    holding a critical event (billing, with its suspension warnings)."""
    return ALWAYS_CRITICAL | {event.category for event in EVENT_TYPES.values() if event.critical}


def payload_id(payload: dict[str, Any], key: str) -> int:
    """An id from an outbox payload for a ``describe`` lookup; 0 (matches nothing) if absent."""
    value = payload.get(key)
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0
