"""Helpdesk's entries in the notifications catalogue. ``describe`` turns an outbox payload into
plain values; it never puts a message body in (a note must not travel, and reply text goes by
the conversation mail helpdesk sends itself)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hostkeep.notifications.catalogue import (
    Audience,
    EventCategory,
    EventDescription,
    EventType,
    event_type_register,
)


def _ticket(payload: dict[str, Any]) -> Any:
    from hostkeep.helpdesk.models import Ticket

    ticket_id = int(payload.get("ticket_id") or 0)
    return Ticket.objects.select_related("department", "assignee", "contact").filter(pk=ticket_id).first()


def _context(ticket: Any) -> dict[str, Any]:
    return {
        "ticket_number": ticket.pk,
        "ticket_subject": ticket.subject,
        "department": ticket.department.name,
        "status": str(ticket.get_status_display()),
    }


def _customer_users(ticket: Any) -> tuple[int, ...]:
    ids = {ticket.contact.user_id} if ticket.contact_id else set()
    ids.update(ticket.watchers.values_list("user_id", flat=True))
    return tuple(sorted(ids))


def _staff_link(ticket: Any) -> str:
    return reverse("staff:helpdesk_ticket", args=[ticket.pk])


def describe_opened(payload: dict[str, Any]) -> EventDescription | None:
    ticket = _ticket(payload)
    if ticket is None:
        return None
    users = (ticket.assignee.user_id,) if ticket.assignee_id else ()
    return EventDescription(customer_id=None, context=_context(ticket), link=_staff_link(ticket), user_ids=users)


def describe_replied(payload: dict[str, Any]) -> EventDescription | None:
    from hostkeep.helpdesk.choices import MessageKind
    from hostkeep.helpdesk.models import TicketMessage

    ticket = _ticket(payload)
    message = TicketMessage.objects.filter(pk=int(payload.get("message_id") or 0), kind=MessageKind.REPLY).first()
    if ticket is None or message is None:
        return None
    if payload.get("side") == "staff":
        if ticket.customer_id is None:
            return None
        return EventDescription(
            customer_id=ticket.customer_id,
            context={**_context(ticket), "author": message.public_author_name},
            link=reverse("portal:helpdesk_ticket", args=[ticket.pk]),
            user_ids=_customer_users(ticket),
        )
    users = (ticket.assignee.user_id,) if ticket.assignee_id else ()
    return EventDescription(customer_id=None, context=_context(ticket), link=_staff_link(ticket), user_ids=users)


def describe_staff(payload: dict[str, Any]) -> EventDescription | None:
    ticket = _ticket(payload)
    if ticket is None:
        return None
    return EventDescription(customer_id=None, context=_context(ticket), link=_staff_link(ticket))


SAMPLE = {"ticket_id": 1, "message_id": 1, "side": "staff"}
SUPPORT_STAFF = (Audience.STAFF_SUPPORT_1, Audience.STAFF_SUPPORT_2, Audience.STAFF_SUPPORT_3)


def register() -> None:
    event_type_register(
        EventType(
            topic="ticket.opened",
            label=_("Ticket opened"),
            category=EventCategory.SUPPORT,
            audience=(*SUPPORT_STAFF, Audience.USERS),
            describe=describe_opened,
            sample=SAMPLE,
        )
    )
    event_type_register(
        EventType(
            topic="ticket.replied",
            label=_("Ticket replied"),
            category=EventCategory.SUPPORT,
            audience=(Audience.USERS,),
            describe=describe_replied,
            sample=SAMPLE,
        )
    )
    event_type_register(
        EventType(
            topic="ticket.escalated",
            label=_("Ticket escalated"),
            category=EventCategory.SUPPORT,
            audience=(*SUPPORT_STAFF, Audience.STAFF_MANAGER),
            describe=describe_staff,
            sample=SAMPLE,
        )
    )
    event_type_register(
        EventType(
            topic="ticket.sla_at_risk",
            label=_("Ticket SLA at risk"),
            category=EventCategory.SUPPORT,
            audience=(*SUPPORT_STAFF, Audience.STAFF_MANAGER),
            describe=describe_staff,
            sample=SAMPLE,
        )
    )
